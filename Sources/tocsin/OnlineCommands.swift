import ArgumentParser
import Foundation

/// `--data-dir DIR` or `--socket PATH`: where a running node's admin socket is.
struct AdminOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (its admin socket is admin.sock there).")
    var dataDir: String?

    @Option(help: "The node's admin socket.")
    var socket: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func client() throws -> AdminClient {
        if let socket { return AdminClient(socketPath: socket) }
        guard let dataDir else { throw CommandFailure("give --data-dir DIR or --socket PATH") }
        return AdminClient(socketPath: URL(fileURLWithPath: dataDir).appendingPathComponent("admin.sock").path)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a running node's status.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let status = try admin.client().json("GET", "/v1/status")
        if admin.json { return try printJSON(status) }
        guard let fields = status as? [String: Any] else { return }
        print("node      \(fields["node_id"] ?? "?") (\(fields["role"] ?? "?"))")
        print("network   \(fields["network"] ?? "?") \(fields["network_id"] ?? "")")
        print("groups    \((fields["groups"] as? [String])?.joined(separator: ", ") ?? "")")
        print("feeds     \(fields["feeds"] ?? 0), \(fields["entries"] ?? 0) entries")
        print("peers     \((fields["connected_peers"] as? [String])?.joined(separator: ", ") ?? "none") connected")
        print("forks     \(fields["forks"] ?? 0)")
    }
}

struct Peers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a running node's peers.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let peers = try admin.client().json("GET", "/v1/peers")
        if admin.json { return try printJSON(peers) }
        for peer in peers as? [[String: Any]] ?? [] {
            let id = (peer["node_id"] as? String ?? "?").padding(toLength: 8, withPad: " ", startingAt: 0)
            let role = (peer["role"] as? String ?? "?").padding(toLength: 9, withPad: " ", startingAt: 0)
            let state = (peer["connected"] as? Bool ?? false) ? "connected" : "not connected"
            print(
                "\(id) \(role) \((peer["address"] as? String ?? "(inbound)").padding(toLength: 22, withPad: " ", startingAt: 0)) \(state)"
            )
        }
    }
}

struct Feeds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the feeds a running node holds, with their heads.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let feeds = try admin.client().json("GET", "/v1/feeds")
        if admin.json { return try printJSON(feeds) }
        for feed in feeds as? [[String: Any]] ?? [] {
            let name = "\(feed["group"] ?? "?")/\(feed["author"] ?? "?")".padding(
                toLength: 14, withPad: " ", startingAt: 0)
            let root = String((feed["root"] as? String ?? "").prefix(16))
            let cosigners = (feed["cosigned_by"] as? [String] ?? []).compactMap { $0.split(separator: "/").last }
                .joined(separator: ",")
            let frozen = (feed["frozen"] as? Bool ?? false) ? "  FROZEN (fork)" : ""
            print("\(name) size \(feed["size"] ?? 0)  root \(root)…  cosigned by [\(cosigners)]\(frozen)")
        }
    }
}
