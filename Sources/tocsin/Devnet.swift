import ArgumentParser
import Foundation
import TocsinDevelopment

struct Devnet: ParsableCommand {
    /// The `--json` output.
    struct Report: Encodable {
        struct Node: Encodable {
            let id: String
            let role: String
            let port: Int
            let folder: String
            let config: String
            let start: String
            let operate: String
        }

        let directory: String
        let networkID: String
        let nodes: [Node]
    }

    static let configuration = CommandConfiguration(
        abstract:
            "Write a complete local network (authority, charter, keys, configurations, data) without starting it.",
        discussion: """
            Fictional states XA, XB, … in fictional regional organisations, each with its relay as \
            convener, plus a network-wide group. Prints, for each node, the command that starts \
            it and the option that points tocsin at it.
            """)

    @Argument(help: "A new, empty folder.")
    var directory: String

    @Option(help: "National nodes (fictional states).")
    var nationals: Int = 4

    @Option(help: "Relays (one fictional regional organisation each).")
    var relays: Int = 2

    @Option(help: "Observers (in the network-wide group only).")
    var observers: Int = 1

    @Option(help: "The first loopback port; node n listens on base-port + n.")
    var basePort: Int = 7400

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(nationals), (1...100).contains(relays), (0...100).contains(observers) else {
            throw ValidationError("give 1–1,000 national nodes, 1–100 relays and 0–100 observers")
        }
        guard (1024...65535).contains(basePort), basePort + nationals + relays + observers <= 65535 else {
            throw ValidationError("--base-port must leave room for every node's port below 65536")
        }
    }

    func run() throws {
        let network = try FictionalNetwork.make(nationals: nationals, relays: relays, observers: observers, now: Date())
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        let nodes = try DevelopmentNetwork.write(network, to: url, basePort: basePort)
        let report = Report(
            directory: url.path, networkID: network.networkID.description,
            nodes: nodes.map { node in
                let folder = node.configuration.deletingLastPathComponent().path
                return .init(
                    id: node.id, role: node.role.rawValue, port: node.port, folder: folder,
                    config: node.configuration.path, start: "tocsind --config \(shellWord(node.configuration.path))",
                    operate: "tocsin status --node \(shellWord(folder))")
            })
        if json { return try printJSON(report) }
        print("wrote a network of \(nodes.count) nodes in \(url.path) (network \(network.networkID.shortHex))")
        print("start each node, then point tocsin at it with --node (or export TOCSIN_NODE=<folder>):")
        for node in report.nodes {
            print("  \(column(node.id, 6)) \(column(node.role, 9)) 127.0.0.1:\(node.port)")
            print("         \(node.start)")
            print("         \(node.operate)")
        }
    }
}
