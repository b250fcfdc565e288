import ArgumentParser
import Foundation
import TocsinDevelopment

struct Devnet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a complete local network (authority, charter, keys, configurations, data) without starting it.",
        discussion: """
            Fictional states XA, XB, … in fictional regional organisations, each with its relay as \
            convener, plus a network-wide group. Start each node with `tocsind --config DIR/<id>/node.toml`.
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

    func run() throws {
        let network = try FictionalNetwork.make(nationals: nationals, relays: relays, observers: observers, now: Date())
        let url = URL(fileURLWithPath: directory)
        let nodes = try DevelopmentNetwork.write(network, to: url, basePort: basePort)
        if json {
            try printJSON([
                "directory": url.path, "network_id": network.networkID.description,
                "nodes": nodes.map {
                    ["id": $0.id, "role": $0.role.rawValue, "port": $0.port, "config": $0.configuration.path]
                        as [String: Any]
                },
            ])
            return
        }
        print("wrote a network of \(nodes.count) nodes in \(url.path) (network \(network.networkID.shortHex))")
        for node in nodes {
            print(
                "  \(node.id.padding(toLength: 6, withPad: " ", startingAt: 0)) \(node.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) 127.0.0.1:\(node.port)  tocsind --config \(node.configuration.path)"
            )
        }
    }
}
