import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// Real `tocsind` processes on loopback, made by `tocsin devnet`.
@Suite(.serialized) struct DaemonTests {
    /// A running local network of daemons.
    final class Daemons {
        let directory: URL
        var processes: [String: Process] = [:]

        init(directory: URL) { self.directory = directory }

        func start(_ id: String) throws {
            let process = Process()
            process.executableURL = Commands.productsDirectory.appendingPathComponent("tocsind")
            process.arguments = ["--config", directory.appendingPathComponent("\(id)/node.toml").path]
            let log = directory.appendingPathComponent("\(id).log")
            if !FileManager.default.fileExists(atPath: log.path) {
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            processes[id] = process
        }

        /// SIGTERM; returns the exit status.
        @discardableResult
        func stop(_ id: String) -> Int32 {
            guard let process = processes.removeValue(forKey: id) else { return -1 }
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        func kill9(_ id: String) {
            guard let process = processes.removeValue(forKey: id) else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stopAll() -> [String: Int32] {
            var statuses: [String: Int32] = [:]
            for id in processes.keys.sorted() { statuses[id] = stop(id) }
            return statuses
        }

        func data(_ id: String) -> URL { directory.appendingPathComponent("\(id)/data") }

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

        /// Appends entries to `author`'s feed directly in its data directory (its daemon stopped).
        func seed(author: String, group: String, count: Int) throws {
            let store = try FeedStore.open(directory: data(author))
            let key = try KeyFile.read(from: directory.appendingPathComponent("\(author)/node.key").path)
            let origin = try FeedOrigin(network: store.networkID, group: group, author: author)
            var feed = FeedAuthor(
                origin: origin, key: key, frontier: try store.head(of: origin)?.frontier ?? MerkleFrontier())
            var written = 0
            while written < count {
                let size = min(500, count - written)
                let first = Int(feed.frontier.size)
                try store.append(
                    feed.append(
                        (first..<first + size).map {
                            SampleEntries.bulletin(
                                number: $0, country: author, byteCount: 300, authorTimeMs: 1_800_000_000_000)
                        }), now: Date())
                written += size
            }
        }

        /// Polls the databases until `condition` holds: the daemons are other processes.
        func await(timeout: TimeInterval = 90, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition() { return true }
                usleep(50_000)
            }
            return condition()
        }

        func log(_ id: String) -> String {
            (try? String(contentsOf: directory.appendingPathComponent("\(id).log"), encoding: .utf8)) ?? ""
        }
    }

    /// A base port with `count` free ports after it on 127.0.0.1.
    static func freePorts(_ count: Int) -> Int {
        (try? DevelopmentNetwork.freeBasePort(count: count)) ?? 47_000
    }

    @Test func bulletinsReachTheirGroupOnlyAndEveryNodeConvergesAfterRestartsAndAKill() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        let devnet = try Commands.tocsin(
            "devnet", directory.path, "--nationals", "4", "--relays", "2", "--observers", "1", "--base-port",
            "\(Self.freePorts(7))")
        #expect(devnet.status == 0, "\(devnet.errorOutput)")
        let daemons = Daemons(directory: directory)
        defer { _ = daemons.stopAll() }
        let everyone = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1"]
        // The node certificates the daemons use are issued by Certs/tocsin-pki (openssl CLI).
        for id in everyone {
            let issued = try Commands.pki(
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
        for id in everyone { try daemons.start(id) }
        let socket = daemons.data("XC").appendingPathComponent("admin.sock").path
        #expect(daemons.await { FileManager.default.fileExists(atPath: socket) })

        // A bulletin issued at a national node through the admin API.
        let issued = try Commands.tocsin(
            "bulletin", "issue", "--group", "nro", "--headline", "Exercise: rising hate speech in XC", "--severity",
            "severe",
            "--country", "XC", "--data-dir", daemons.data("XC").path)
        #expect(issued.status == 0, "\(issued.errorOutput)")
        // XC's feed may already hold its acknowledgements of XA's bulletins: the new entry follows them.
        let reference = try EntryReference(parsing: issued.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(reference.group == "nro" && reference.author == "XC")
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(
            daemons.await {
                ["RN", "XA"].allSatisfy { daemons.size($0, group: "nro", author: "XC") > reference.index }
            })
        let refused = try Commands.tocsin(
            "bulletin", "issue", "--group", "sro", "--headline", "Not my group", "--severity", "minor", "--country",
            "XC",
            "--data-dir", daemons.data("XC").path)
        #expect(refused.status != 0)
        #expect(refused.errorOutput.contains("not a member"))
        let status = try Commands.tocsin("status", "--json", "--data-dir", daemons.data("RN").path)
        let fields = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        #expect(fields?["node_id"] as? String == "RN")
        // The relay witnessed what it forwarded, and its cosignature reached the other member.
        func cosignedByRelay() -> Bool {
            guard let feeds = try? Commands.tocsin("feeds", "--json", "--data-dir", daemons.data("XA").path),
                let list = try? JSONSerialization.jsonObject(with: Data(feeds.output.utf8)) as? [[String: Any]]
            else { return false }
            let forwarded = list.first { $0["group"] as? String == "nro" && $0["author"] as? String == "XC" }
            return (forwarded?["cosigned_by"] as? [String])?.contains { $0.hasSuffix("/RN") } == true
        }
        #expect(daemons.await(timeout: 30, cosignedByRelay))

        #expect(
            daemons.await { daemons.converged(author: "XA", group: "nro", at: ["RN", "XC"], atLeast: 50) },
            "\(daemons.log("XC"))")
        #expect(daemons.await { everyone.allSatisfy { daemons.size($0, group: "all", author: "XB") == 20 } })
        for outsider in ["RS", "XB", "XD", "OBS1"] {
            #expect(daemons.size(outsider, group: "nro", author: "XA") == 0, "\(outsider) holds nro/XA")
            #expect(daemons.size(outsider, group: "nro", author: "XC") == 0, "\(outsider) holds nro/XC")
        }

        // A relay stops; its state issues more; the relay restarts; everyone converges.
        #expect(daemons.stop("RN") == 0)
        #expect(daemons.stop("XA") == 0)
        try daemons.seed(author: "XA", group: "nro", count: 30)
        try daemons.start("XA")
        try daemons.start("RN")
        #expect(daemons.await { daemons.converged(author: "XA", group: "nro", at: ["RN", "XC"], atLeast: 80) })

        // kill -9 in the middle of a large catch-up, then restart: it converges.
        #expect(daemons.stop("XC") == 0)
        #expect(daemons.stop("XA") == 0)
        try daemons.seed(author: "XA", group: "nro", count: 20_000)
        try daemons.start("XA")
        let target = daemons.size("XA", group: "nro", author: "XA")
        #expect(target >= 20_080)
        #expect(daemons.await { daemons.size("RN", group: "nro", author: "XA") == target })
        try daemons.start("XC")
        #expect(daemons.await(timeout: 60) { daemons.size("XC", group: "nro", author: "XA") > 80 })
        daemons.kill9("XC")
        let interrupted = daemons.size("XC", group: "nro", author: "XA")
        print("XC was killed holding \(interrupted) of \(target) entries of nro/XA")
        try daemons.start("XC")
        #expect(
            daemons.await(timeout: 180) { daemons.size("XC", group: "nro", author: "XA") == target },
            "stopped at \(interrupted)")

        // Graceful stops, and every node's log verifies.
        let statuses = daemons.stopAll()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
        for id in everyone {
            let verify = try Commands.tocsin("verify", "--data-dir", daemons.data(id).path)
            #expect(verify.status == 0, "\(id): \(verify.output)")
        }
    }
}
