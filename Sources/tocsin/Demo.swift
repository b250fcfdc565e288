import ArgumentParser
import Foundation
import TocsinCore
import TocsinDevelopment
import TocsinNode
import TocsinStore

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a whole local network and a regional consultation on it, narrated.",
        discussion: """
            Writes a temporary network with `tocsin devnet` (its own authority, charter, keys and \
            databases): national focal points of fictional states XA–XH in two fictional regional \
            organisations, each organisation's relay as convener, and an observer. Starts every \
            node as a `tocsind` process over mutual TLS on loopback, then: a bulletin is issued \
            and acknowledged by each member; a proposal is opened under a two-thirds policy; the \
            members vote; the convener records the decision; every node verifies it; every \
            node's log is verified and the heads compared. Cleans up unless --keep.
            """)

    @Flag(help: "Leave the network running and print how to point tocsin at each node.")
    var keep = false

    @Option(help: "Where to write the network (default: a new temporary folder).")
    var directory: String?

    func run() throws {
        let started = Date()
        let folder = URL(
            fileURLWithPath: directory
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-demo-\(getpid())").path)
        let network = try FictionalNetwork.make(
            nationals: 8, relays: 2, observers: 1, now: Date(), name: "Fictional Regional Early Warning Network",
            policy: .twoThirds)
        let nodes = try DevelopmentNetwork.write(
            network, to: folder, basePort: try DevelopmentNetwork.freeBasePort(count: network.members.count),
            antiEntropySeconds: 5)
        let say = Narrator(started: started)
        say("wrote a network of \(nodes.count) nodes in \(folder.path)")
        for group in network.charter.groups {
            say(
                "  group \(group.id) (\(group.name)): \(group.members.joined(separator: ", ")); convener \(group.convener)"
            )
        }

        // Each node is a process of its own: tocsind when it is built next to this command,
        // else this command itself (`swift run tocsin demo` builds tocsin alone).
        let (executable, prefix) = Self.nodeCommand()
        let daemons = try Daemons(nodes: nodes, executable: executable, prefix: prefix)
        var finished = false
        defer {
            if !finished || !keep {
                daemons.stopAll()
                if !keep && directory == nil { try? FileManager.default.removeItem(at: folder) }
            }
        }
        try daemons.startAll()
        say("started \(nodes.count) tocsind processes over mutual TLS on loopback; waiting for their sessions")
        try daemons.waitUntilConnected()
        say("every node is connected to its relays")

        // 1. A bulletin, and its arrival and acknowledgement at each member.
        let region = network.charter.group("nro")!
        let issued = try daemons.call(
            "XA", "POST", "/v1/bulletins",
            [
                "group": "nro", "status": "exercise",
                "headline": "Exercise: hate speech against a minority in XA rising",
                "severity": "severe", "urgency": "expected", "certainty": "likely", "country": "XA",
                "description": "Broadcasts calling for exclusion of a minority in the northern districts (fictional).",
                "risk_factors": ["8.3", "9.1", "10"], "areas": [["description": "Northern districts of XA"]],
                "recommended_actions": ["Monitor broadcasts", "Prepare a fact-finding mission"],
            ])
        let bulletin = issued["reference"] as! String
        say("XA issued bulletin \(bulletin) to nro (\(region.members.filter { $0 != "XA" }.joined(separator: ", ")))")
        let members = region.members.filter { $0 != "XA" }
        let receipts = try daemons.waitFor("every member of nro to acknowledge receipt") { () -> [String: Any]? in
            let detail = try daemons.call("XA", "GET", "/v1/bulletins/\(bulletin)")
            let acknowledged = (detail["members"] as? [[String: Any]] ?? []).filter { $0["received_ms"] != nil }
            return acknowledged.count == members.count ? detail : nil
        }
        let issuedMs = (receipts["summary"] as? [String: Any])?["issued_ms"] as? Int64 ?? 0
        for member in receipts["members"] as? [[String: Any]] ?? [] {
            let received = (member["received_ms"] as? NSNumber)?.int64Value ?? 0
            say("  \(member["member"] ?? "?") stored it and acknowledged receipt \(received - issuedMs) ms after issue")
        }
        let outside = try ["RS", "XB", "OBS1"].filter { try daemons.list($0, "/v1/bulletins").isEmpty }
        say("  outside nro, \(outside.joined(separator: ", ")) hold no copy of it (confidential to the group)")
        _ = try daemons.call("XC", "POST", "/v1/acknowledgements", ["bulletin": bulletin, "level": "read"])
        _ = try daemons.call("XE", "POST", "/v1/acknowledgements", ["bulletin": bulletin, "level": "acted-on"])
        say("XC's operator marked it read; XE's operator marked it acted on")

        // 2. A proposal under a two-thirds policy, and the votes.
        let proposal =
            try daemons.call(
                "XC", "POST", "/v1/proposals",
                [
                    "group": "nro", "title": "Send a regional fact-finding mission to the northern districts of XA",
                    "action": "fact-finding-mission", "policy": "two-thirds", "deadline": "10m",
                    "priority": "urgent", "bulletins": [bulletin],
                    "rationale": "Early warning signs under risk factors 8, 9 and 10 (exercise).",
                ])["reference"] as! String
        let voting = region.members.filter { network.charter.node($0)?.role == .national }
        say(
            "XC proposed \(proposal): a fact-finding mission, two-thirds of \(voting.count) voting members (\(voting.joined(separator: ", "))), deadline in 10 minutes"
        )
        for (voter, position, statement) in [
            ("XA", "endorse", "XA welcomes the mission"), ("XE", "object", "Premature"),
            ("XC", "endorse", ""), ("XG", "endorse", "The signs are clear"),
        ] {
            _ = try daemons.waitFor("\(voter) to receive the proposal") { () -> Bool? in
                try daemons.call(voter, "GET", "/v1/proposals/\(proposal)").isEmpty ? nil : true
            }
            let vote = try daemons.call(
                voter, "POST", "/v1/votes", ["proposal": proposal, "position": position, "statement": statement])
            say("  \(voter) votes \(position) (\(vote["reference"] ?? "?"))")
            // Each vote is witnessed by the convener before the next, so the story reads in order.
            _ = try daemons.waitFor("RN to witness the vote") { () -> Bool? in
                let detail = try daemons.call("RN", "GET", "/v1/proposals/\(proposal)")
                let votes = detail["votes"] as? [[String: Any]] ?? []
                return votes.contains {
                    $0["reference"] as? String == vote["reference"] as? String && $0["witnessed_ms"] != nil
                }
                    ? true : nil
            }
        }

        // 3. The decision, recorded by the convener and verified everywhere.
        let decision = try daemons.waitFor("the convener's decision") { () -> [String: Any]? in
            let summary = try daemons.call("RN", "GET", "/v1/proposals/\(proposal)")["summary"] as? [String: Any]
            return (summary?["decisions"] as? [[String: Any]])?.first
        }
        say(
            "RN, the convener, recorded decision \(decision["reference"] ?? "?"): \(decision["outcome"] ?? "?") (counted \((decision["counted"] as? [String] ?? []).joined(separator: ", ")))"
        )
        for id in region.members {
            let verdict = try daemons.waitFor("\(id) to verify the decision") { () -> String? in
                let summary = try daemons.call(id, "GET", "/v1/proposals/\(proposal)")["summary"] as? [String: Any]
                let decisions = summary?["decisions"] as? [[String: Any]] ?? []
                guard let holds = decisions.first?["holds"] as? Bool else { return nil }
                return holds
                    ? "recomputed the tally: the decision follows from the votes and the charter"
                    : "FLAGGED: \((decisions.first?["findings"] as? [String] ?? []).joined(separator: "; "))"
            }
            say("  \(id) \(verdict)")
        }

        // 4. Every log verified, heads identical.
        if keep {
            finished = true
            say("the network keeps running. Point tocsin at a node with --data-dir:")
            for node in nodes {
                print("  tocsin status --data-dir \(node.dataDirectory.path)    # \(node.id), \(node.role.rawValue)")
            }
            print("stop it with: kill \(daemons.processIdentifiers.map(String.init).joined(separator: " "))")
            return
        }
        try daemons.waitForIdenticalHeads(network: network)
        daemons.stopAll()
        say("stopped every node gracefully")
        var failures: [String] = []
        var heads: [String: Set<String>] = [:]
        for node in nodes {
            let store = try FeedStore.open(directory: node.dataDirectory)
            let audit = try store.audit()
            if !audit.holds { failures.append("\(node.id): \(audit)") }
            for head in try store.heads() {
                heads[head.origin.description, default: []].insert("\(head.size):\(head.root.hex)")
            }
        }
        let diverging = heads.filter { $0.value.count > 1 }.keys.sorted()
        say(
            "verified every node's log (\(nodes.count) databases): \(failures.isEmpty ? "all hold" : failures.joined(separator: "; "))"
        )
        say(
            "compared heads: \(heads.count) feeds, \(diverging.isEmpty ? "identical on every node that holds them" : "DIVERGING: \(diverging)")"
        )
        finished = true
        guard failures.isEmpty, diverging.isEmpty else { throw CommandFailure("the demo network did not converge") }
        say("done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// How to start a node process: `tocsind --config …`, or `tocsin demo-node --config …`.
    static func nodeCommand() -> (URL, [String]) {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let tocsind = me.deletingLastPathComponent().appendingPathComponent("tocsind")
        if FileManager.default.isExecutableFile(atPath: tocsind.path) { return (tocsind, []) }
        return (me, ["demo-node"])
    }
}

/// `tocsin demo-node --config node.toml`: what `tocsind` does, for the demo's processes.
struct DemoNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-node", abstract: "Run a node as tocsind does (used by tocsin demo).", shouldDisplay: false)

    @Option(help: "The node's configuration file (node.toml).")
    var config: String

    func run() async throws {
        try await NodeDaemon.run(configPath: config)
    }
}

/// Prints each step with the time since the demo started.
struct Narrator {
    let started: Date

    func callAsFunction(_ text: String) {
        print(String(format: "[%6.2f s] ", Date().timeIntervalSince(started)) + text)
        fflush(nil)
    }
}

/// The demo's `tocsind` processes and their admin sockets.
final class Daemons {
    let nodes: [DevelopmentNetwork.Node]
    let executable: URL
    let prefix: [String]
    var processes: [String: Process] = [:]

    init(nodes: [DevelopmentNetwork.Node], executable: URL, prefix: [String]) throws {
        self.nodes = nodes
        self.executable = executable
        self.prefix = prefix
    }

    var processIdentifiers: [Int32] { processes.values.map(\.processIdentifier).sorted() }

    func startAll() throws {
        for node in nodes {
            let process = Process()
            process.executableURL = executable
            process.arguments = prefix + ["--config", node.configuration.path]
            let log = node.configuration.deletingLastPathComponent().appendingPathComponent("tocsind.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes[node.id] = process
        }
    }

    func stopAll() {
        for process in processes.values where process.isRunning { process.terminate() }
        for process in processes.values { process.waitUntilExit() }
        processes = [:]
    }

    func client(_ id: String) -> AdminClient {
        let node = nodes.first { $0.id == id }!
        return AdminClient(socketPath: node.dataDirectory.appendingPathComponent("admin.sock").path)
    }

    @discardableResult
    func call(_ id: String, _ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        return try client(id).json(method, path, body: data) as? [String: Any] ?? [:]
    }

    func list(_ id: String, _ path: String) throws -> [[String: Any]] {
        try client(id).json("GET", path) as? [[String: Any]] ?? []
    }

    /// Polls `probe` until it gives a value (errors count as not yet), for at most 30 s.
    func waitFor<Value>(_ what: String, timeout: TimeInterval = 30, _ probe: () throws -> Value?) throws -> Value {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            for (id, process) in processes where !process.isRunning {
                throw CommandFailure("tocsind \(id) exited (status \(process.terminationStatus)); see its tocsind.log")
            }
            do {
                if let value = try probe() { return value }
                lastError = nil
            } catch {
                lastError = error
            }
            usleep(50_000)
        }
        throw CommandFailure("timed out waiting for \(what)\(lastError.map { ": \($0)" } ?? "")")
    }

    func waitUntilConnected() throws {
        for node in nodes {
            _ = try waitFor("\(node.id) to connect") { () -> Bool? in
                let peers = try list(node.id, "/v1/peers")
                let dialled = peers.filter { $0["address"] != nil }
                return dialled.allSatisfy { $0["connected"] as? Bool == true } ? true : nil
            }
        }
    }

    /// Waits until every node reports the same head for every feed it holds.
    func waitForIdenticalHeads(network: FictionalNetwork) throws {
        _ = try waitFor("identical heads on every node") { () -> Bool? in
            var heads: [String: Set<String>] = [:]
            var holders: [String: Int] = [:]
            for node in nodes {
                for feed in try list(node.id, "/v1/feeds") {
                    let origin = feed["origin"] as? String ?? "?"
                    heads[origin, default: []].insert("\(feed["size"] ?? 0):\(feed["root"] ?? "")")
                    holders[origin, default: 0] += 1
                }
            }
            // Each feed held by every node that may see it, at one head.
            let complete = heads.keys.allSatisfy { origin in
                guard let parsed = try? FeedOrigin(parsing: origin) else { return false }
                let expected = network.members.filter {
                    network.charter.maySee(nodeID: $0.node.id, groupID: parsed.group)
                }.count
                return heads[origin]!.count == 1 && holders[origin] == expected
            }
            return complete ? true : nil
        }
    }
}
