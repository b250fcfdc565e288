import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// What the end-to-end tests read of a devnet's nodes straight from their databases (the
/// daemons are other processes), and how they write into a stopped node's log.
extension NodeProcesses {
    /// Runs `body` with the network's daemons (from the executables of this build), then stops
    /// any still running.
    static func testing(_ directory: URL, _ body: (NodeProcesses) async throws -> Void) async throws {
        let daemons = NodeProcesses(
            directory: directory, executable: Commands.productsDirectory.appendingPathComponent("tocsind"))
        do {
            try await body(daemons)
        } catch {
            _ = await daemons.allStopped()
            throw error
        }
        _ = await daemons.allStopped()
    }

    /// SIGTERM to node `id`, awaited: its exit status.
    func stopped(_ id: String) async -> Int32 { (try? await Blocking.run { self.stop(id) }) ?? -1 }

    /// Every node stopped, awaited: their exit statuses.
    func allStopped() async -> [String: Int32] { (try? await Blocking.run { self.stopAll() }) ?? [:] }

    /// SIGKILL to node `id`, awaited.
    func killed(_ id: String) async { _ = try? await Blocking.run { self.killAbruptly(id) } }

    func data(_ id: String) -> URL { dataDirectory(id) }

    /// How many entries of `group/author` node `id` holds (read from its database).
    func size(_ id: String, group: String, author: String) -> UInt64 {
        guard let store = try? FeedStore.open(directory: data(id)),
            let origin = try? FeedOrigin(network: store.networkID, group: group, author: author)
        else { return 0 }
        return ((try? store.head(of: origin)) ?? nil)?.size ?? 0
    }

    /// Whether every node of `ids` holds `author`'s feed in `group` exactly as the author does,
    /// with at least `minimum` entries (the feed also carries the author's acknowledgements).
    func converged(author: String, group: String, at ids: [String], atLeast minimum: UInt64) -> Bool {
        let own = size(author, group: group, author: author)
        return own >= minimum && ids.allSatisfy { size($0, group: group, author: author) == own }
    }

    /// Appends entries to `author`'s feed directly in its data directory (its daemon stopped),
    /// as a node that misbehaves would; returns the index of the first.
    @discardableResult
    func inject(author: String, group: String, _ entries: [[UInt8]]) throws -> UInt64 {
        let store = try FeedStore.open(directory: data(author))
        let key = try KeyFile.read(from: directory.appendingPathComponent("\(author)/node.key").path)
        let origin = try FeedOrigin(network: store.networkID, group: group, author: author)
        var feed = FeedAuthor(
            origin: origin, key: key, frontier: try store.head(of: origin)?.frontier ?? MerkleFrontier())
        var first: UInt64?
        for slice in stride(from: 0, to: entries.count, by: 500) {
            let batch = try feed.append(Array(entries[slice..<min(slice + 500, entries.count)]))
            try store.append(batch, now: Date())
            first = first ?? batch.firstIndex
        }
        return first ?? feed.frontier.size
    }

    /// Appends `count` sample bulletins to `author`'s feed (its daemon stopped).
    func seed(author: String, group: String, count: Int) throws {
        let first = Int(size(author, group: group, author: author))
        try inject(
            author: author, group: group,
            (first..<first + count).map {
                SampleEntries.bulletin(number: $0, country: author, byteCount: 300, authorTimeMs: 1_800_000_000_000)
            })
    }
}

/// Real `tocsind` processes on loopback, made by `tocsin devnet`.
@Suite(.serialized) struct DaemonTests {
    /// A base port with `count` free ports after it on 127.0.0.1.
    static func freePorts(_ count: Int) -> Int {
        (try? DevelopmentNetwork.freeBasePort(count: count)) ?? 47_000
    }

    /// Waits for what daemons bring about (they are other processes: nothing to observe).
    static func eventually(_ timeout: TimeInterval = 90, _ daemons: NodeProcesses) -> Eventually {
        Eventually(timeout: timeout, abandon: { try daemons.checkRunning() })
    }

    @Test func bulletinsReachTheirGroupOnlyAndEveryNodeConvergesAfterRestartsAndAKill() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        let devnet = try await Commands.tocsin(
            "devnet", directory.path, "--nationals", "4", "--relays", "2", "--observers", "1", "--base-port",
            "\(Self.freePorts(7))")
        #expect(devnet.status == 0, "\(devnet.errorOutput)")
        try await NodeProcesses.testing(directory) { daemons in
            let everyone = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1"]
            // The node certificates the daemons use are issued by Certs/tocsin-pki (openssl CLI).
            for id in everyone {
                let issued = try await Commands.pki(
                    "node", "--ca-dir", directory.path, "--id", id, "--out", directory.appendingPathComponent(id).path,
                    "--key",
                    directory.appendingPathComponent("\(id)/node.key").path)
                #expect(issued.status == 0, "\(issued.errorOutput)")
                let node = directory.appendingPathComponent(id)
                try FileManager.default.removeItem(at: node.appendingPathComponent("node.crt"))
                try FileManager.default.moveItem(
                    at: node.appendingPathComponent("\(id).crt"), to: node.appendingPathComponent("node.crt"))
            }
            // RN convenes nro = RN, XA, XC; RS convenes sro = RS, XB, XD; all = everyone.
            try daemons.seed(author: "XA", group: "nro", count: 50)
            try daemons.seed(author: "XB", group: "all", count: 20)
            try daemons.start(everyone)
            try await Blocking.run { try daemons.waitUntilServing(everyone) }
            let socket = daemons.location("XC").adminSocket.path

            // A bulletin issued at a national node through the admin API.
            let issued = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "Exercise: rising hate speech in XC", "--severity",
                "severe",
                "--country", "XC", "--node", daemons.directory.appendingPathComponent("XC").path)
            #expect(issued.status == 0, "\(issued.errorOutput)")
            // XC's feed may already hold its acknowledgements of XA's bulletins: the new entry follows them.
            let reference = try EntryReference(parsing: issued.output.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(reference.group == "nro" && reference.author == "XC")
            let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            try await Self.eventually(90, daemons).holds("XC's bulletin at RN and XA") {
                ["RN", "XA"].allSatisfy { daemons.size($0, group: "nro", author: "XC") > reference.index }
            }
            let refused = try await Commands.tocsin(
                "bulletin", "issue", "--group", "sro", "--headline", "Not my group", "--severity", "minor", "--country",
                "XC",
                "--data-dir", daemons.data("XC").path)
            #expect(refused.status != 0)
            #expect(refused.errorOutput.contains("not a member"))
            // The CLI's --json is the admin API's model; TOCSIN_NODE and the node's node.toml name it.
            let status = try await Commands.tocsin(
                ["status", "--json"], environment: ["TOCSIN_NODE": daemons.configuration("RN").path])
            #expect(try AdminJSON.decode(NodeStatus.self, from: Data(status.output.utf8)).nodeID == "RN")
            let before = try await Commands.tocsin(
                "--node", daemons.directory.appendingPathComponent("RN").path, "peers", "--json")
            #expect(
                try AdminJSON.decode([PeerStatus].self, from: Data(before.output.utf8)).map(\.nodeID).contains("RS"))
            let feeds = try await Commands.tocsin(
                "--node=\(daemons.directory.appendingPathComponent("XC").path)", "feeds", "--json")
            #expect(
                try AdminJSON.decode([FeedReport].self, from: Data(feeds.output.utf8)).contains { $0.author == "XC" })
            // The relay witnessed what it forwarded, and its cosignature reached the other member.
            try await Self.eventually(30, daemons).holds("RN's cosignature of nro/XC at XA") {
                let feeds = try await Blocking.run { try daemons.client("XA").feeds() }
                let forwarded = feeds.first { $0.group == "nro" && $0.author == "XC" }
                return forwarded?.cosignedBy.contains { $0.hasSuffix("/RN") } == true
            }

            try await Self.eventually(90, daemons).holds("nro/XA at RN and XC") {
                daemons.converged(author: "XA", group: "nro", at: ["RN", "XC"], atLeast: 50)
            }
            try await Self.eventually(90, daemons).holds("all/XB everywhere") {
                everyone.allSatisfy { daemons.size($0, group: "all", author: "XB") == 20 }
            }
            for outsider in ["RS", "XB", "XD", "OBS1"] {
                #expect(daemons.size(outsider, group: "nro", author: "XA") == 0, "\(outsider) holds nro/XA")
                #expect(daemons.size(outsider, group: "nro", author: "XC") == 0, "\(outsider) holds nro/XC")
            }

            // A relay stops; its state issues more; the relay restarts; everyone converges.
            #expect(await daemons.stopped("RN") == 0)
            #expect(await daemons.stopped("XA") == 0)
            try daemons.seed(author: "XA", group: "nro", count: 30)
            try daemons.start("XA")
            try daemons.start("RN")
            try await Self.eventually(90, daemons).holds("nro/XA after the relay's restart") {
                daemons.converged(author: "XA", group: "nro", at: ["RN", "XC"], atLeast: 80)
            }

            // kill -9 in the middle of a large catch-up, then restart: it converges.
            #expect(await daemons.stopped("XC") == 0)
            #expect(await daemons.stopped("XA") == 0)
            try daemons.seed(author: "XA", group: "nro", count: 20_000)
            try daemons.start("XA")
            let target = daemons.size("XA", group: "nro", author: "XA")
            #expect(target >= 20_080)
            try await Self.eventually(90, daemons).holds("the relay's copy of nro/XA") {
                daemons.size("RN", group: "nro", author: "XA") == target
            }
            try daemons.start("XC")
            try await Self.eventually(60, daemons).holds("XC's catch-up under way") {
                daemons.size("XC", group: "nro", author: "XA") > 80
            }
            await daemons.killed("XC")
            let interrupted = daemons.size("XC", group: "nro", author: "XA")
            print("XC was killed holding \(interrupted) of \(target) entries of nro/XA")
            try daemons.start("XC")
            try await Self.eventually(180, daemons).holds("XC's catch-up after kill -9 at \(interrupted)") {
                daemons.size("XC", group: "nro", author: "XA") == target
            }

            // Graceful stops, and every node's log verifies.
            let statuses = await daemons.allStopped()
            #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
            for id in everyone {
                let verify = try await Commands.tocsin("verify", "--data-dir", daemons.data(id).path)
                #expect(verify.status == 0, "\(id): \(verify.output)")
            }
        }
    }
}
