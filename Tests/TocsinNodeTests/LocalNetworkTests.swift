import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNode
import TocsinStore

/// Waits for conditions on node events without sleeping: every event wakes the waiter, which
/// checks its condition again.
final class EventWaiter: @unchecked Sendable {
    private let lock = NSLock()
    private var generation = 0
    private var sleepers: [UInt64: CheckedContinuation<Void, Never>] = [:]
    /// Sleepers whose time ran out before they were registered.
    private var expired: Set<UInt64> = []
    private var nextSleeper: UInt64 = 0

    func signal() {
        let woken = lock.withLock {
            generation += 1
            defer { sleepers = [:] }
            return Array(sleepers.values)
        }
        for sleeper in woken { sleeper.resume() }
    }

    /// Suspends until an event after `seen`, or until `deadline`.
    private func next(after seen: Int, deadline: ContinuousClock.Instant) async {
        let id = lock.withLock {
            nextSleeper += 1
            return nextSleeper
        }
        let timeout = Task {
            try? await Task.sleep(until: deadline)
            self.wake(id)
        }
        await withCheckedContinuation { continuation in
            let already = lock.withLock {
                guard generation == seen, expired.remove(id) == nil else { return true }
                sleepers[id] = continuation
                return false
            }
            if already { continuation.resume() }
        }
        timeout.cancel()
        lock.withLock { _ = expired.remove(id) }
    }

    private func wake(_ id: UInt64) {
        let sleeper: CheckedContinuation<Void, Never>? = lock.withLock {
            guard let sleeper = sleepers.removeValue(forKey: id) else {
                expired.insert(id)
                return nil
            }
            return sleeper
        }
        sleeper?.resume()
    }

    /// Returns true once `predicate` holds, checked now and after every event; false after
    /// `timeout` seconds.
    func wait(timeout: TimeInterval = 30, until predicate: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            let seen = lock.withLock { generation }
            if await predicate() { return true }
            if ContinuousClock.now >= deadline { return false }
            await next(after: seen, deadline: deadline)
        }
    }
}

/// Several nodes in one process, over real TLS on loopback, each with its own database.
@Suite(.serialized) struct LocalNetworkTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    final class LocalNetwork: @unchecked Sendable {
        let network: FictionalNetwork
        let directory: URL
        var nodes: [String: NodeRuntime] = [:]
        var ports: [String: Int] = [:]
        /// Nodes whose data directory is elsewhere than `directory` (by parent folder).
        var placed: [String: URL] = [:]
        let waiter: EventWaiter
        /// What every node logged at warning level and above (each line wakes the waiter).
        let logs: LogRecorder

        init(nationals: Int, relays: Int) throws {
            let waiter = EventWaiter()
            self.waiter = waiter
            logs = LogRecorder(onRecord: { waiter.signal() })
            network = try FictionalNetwork.make(nationals: nationals, relays: relays, observers: 1, now: Date())
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tocsin-local-\(UUID().uuidString)")
        }

        /// Runs `body` on a new local network, then stops every node and removes its files.
        static func run(
            nationals: Int, relays: Int, _ body: (LocalNetwork) async throws -> Void
        ) async throws {
            let local = try LocalNetwork(nationals: nationals, relays: relays)
            do {
                try await body(local)
            } catch {
                await local.stopAll()
                throw error
            }
            await local.stopAll()
        }

        /// Starts `id` dialling `peers`; `addresses` overrides where a peer is dialled (by id).
        /// Anti-entropy runs every `antiEntropy` (far more often than the default 30 s, so that
        /// tests of repair are quick; a test of what must not wait for it sets the default).
        func start(
            _ id: String, peers: [String], addresses overrides: [String: Int] = [:],
            antiEntropy: TimeAmount = .milliseconds(300), clock: @escaping @Sendable () -> Date = { Date() }
        ) async throws {
            let member = network.member(id)!
            let store = try FeedStore.open(directory: dataDirectory(id))
            let recorder = logs
            var logger = Logger(label: "tocsin.\(id)") { recorder.handler(label: $0) }
            logger.logLevel = .warning
            let node = try NodeRuntime(
                nodeID: id, key: member.key, certificateChain: [member.certificate],
                authority: network.authority.certificate, store: store, group: LocalNetworkTests.group, logger: logger,
                witness: false, backoff: .init(initial: .milliseconds(20), maximum: .milliseconds(400)), clock: clock)
            let waiter = self.waiter
            await node.observe { _ in waiter.signal() }
            let addresses = peers.compactMap { peer in
                (overrides[peer] ?? ports[peer]).map {
                    NodeRuntime.PeerAddress(nodeID: peer, host: "127.0.0.1", port: $0)
                }
            }
            ports[id] = try await node.start(
                host: "127.0.0.1", port: ports[id] ?? 0, peers: addresses, antiEntropyInterval: antiEntropy)
            nodes[id] = node
        }

        /// Where `id` keeps its data: `directory/<id>`, or `parent/<id>` when created there.
        func dataDirectory(_ id: String) -> URL {
            (placed[id] ?? directory).appendingPathComponent(id)
        }

        /// Creates `id`'s data directory, in `parent` (a small file system, say) when given.
        func create(_ id: String, in parent: URL? = nil) throws {
            if let parent { placed[id] = parent }
            _ = try FeedStore.create(
                at: dataDirectory(id), genesis: network.signedCharter,
                authorityCertificatePEM: network.authority.certificate.pem, now: Date())
        }

        func stop(_ id: String) async {
            await nodes[id]?.stop()
            nodes[id] = nil
        }

        func stopAll() async {
            for id in nodes.keys.sorted() { await stop(id) }
            try? FileManager.default.removeItem(at: directory)
        }

        /// Appends at `id` once the restore guard allows it (a peer told it its own heads).
        func append(_ id: String, group: String, _ entries: [[UInt8]]) async throws -> FeedBatch {
            try await nodes[id]!.appendWhenReady(group: group, entries: entries, timeout: .seconds(30)).batch
        }

        func size(_ id: String, _ origin: FeedOrigin) -> UInt64 {
            (try? nodes[id]?.store.head(of: origin)?.size) ?? nil ?? 0
        }

        /// XA restored from an old copy of its data directory, alone: it wrote 3 bulletins in
        /// nro (the copy is taken), then 2 more that only RN holds; then XA's folder is
        /// replaced by the copy, RN is stopped, and XA starts again, dialling RN. Returns XA's
        /// feed in nro (5 entries at RN, 3 at the restored XA).
        func restoreXAFromAnOldCopy() async throws -> FeedOrigin {
            for id in ["RN", "XA"] { try create(id) }
            try await start("RN", peers: [])
            try await start("XA", peers: ["RN"])
            let first = try await append(
                "XA", group: "nro", (0..<3).map { SampleEntries.bulletin(number: $0, country: "XA", authorTimeMs: 1) })
            #expect(await waiter.wait { self.size("RN", first.origin) == 3 })
            await stop("XA")
            let backup = directory.appendingPathComponent("XA-backup")
            try FileManager.default.copyItem(at: directory.appendingPathComponent("XA"), to: backup)
            try await start("XA", peers: ["RN"])
            _ = try await append(
                "XA", group: "nro", (3..<5).map { SampleEntries.bulletin(number: $0, country: "XA", authorTimeMs: 1) })
            #expect(await waiter.wait { self.size("RN", first.origin) == 5 })
            await stop("XA")
            try FileManager.default.removeItem(at: directory.appendingPathComponent("XA"))
            try FileManager.default.copyItem(at: backup, to: directory.appendingPathComponent("XA"))
            await stop("RN")
            try await start("XA", peers: ["RN"])
            return first.origin
        }
    }

    /// Certificates are issued for a year here; 340 days on, the node warns of its own and of
    /// each peer's, in its status and its log.
    @Test func aNodeWarnsOfCertificatesExpiringWithinThirtyDays() async throws {
        try await LocalNetwork.run(nationals: 1, relays: 1) { local in
            let later: @Sendable () -> Date = { Date().addingTimeInterval(340 * 86_400) }
            for id in ["RN", "XA"] { try local.create(id) }
            try await local.start("RN", peers: [], clock: later)
            try await local.start("XA", peers: ["RN"], clock: later)
            #expect(await local.waiter.wait { await local.nodes["XA"]!.connectedPeers() == ["RN"] })
            let warnings = try await local.nodes["XA"]!.status().certificateWarnings
            #expect(warnings.contains { $0.hasPrefix("this node's certificate expires") && $0.contains("days") })
            #expect(warnings.contains { $0.hasPrefix("RN's certificate expires") })
            #expect(local.logs.lines(of: "tocsin.XA").contains { $0.text.contains("RN's certificate expires") })
            // Today, nothing to say.
            #expect(
                CertificateExpiry.warning(for: "x", notAfter: Date().addingTimeInterval(31 * 86_400), now: Date())
                    == nil)
            #expect(
                CertificateExpiry.warning(for: "x", notAfter: Date().addingTimeInterval(-1), now: Date())?.contains(
                    "expired") == true)
        }
    }

    @Test func aBulletinReachesEveryMemberOfItsGroupAndNoOneElse() async throws {
        try await LocalNetwork.run(nationals: 3, relays: 2) { local in
            let ids = ["RN", "RS", "XA", "XB", "XC", "OBS1"]
            for id in ids { try local.create(id) }
            // Relays first; states dial their relay, the relays dial each other.
            try await local.start("RN", peers: [])
            try await local.start("RS", peers: ["RN"])
            try await local.start("XA", peers: ["RN"])
            try await local.start("XC", peers: ["RN"])
            try await local.start("XB", peers: ["RS"])
            try await local.start("OBS1", peers: ["RN"])
            let charter = local.network.charter
            #expect(charter.group("nro")!.members.sorted() == ["RN", "XA", "XC"])

            let bulletin = SampleEntries.bulletin(
                number: 1, country: "XA", byteCount: 400, authorTimeMs: 1_800_000_000_000)
            let batch = try await local.append("XA", group: "nro", [bulletin])
            let origin = batch.origin
            #expect(await local.waiter.wait { local.size("RN", origin) == 1 && local.size("XC", origin) == 1 })
            let networkWide = try await local.append(
                "XB", group: FictionalNetwork.networkWideGroup,
                [SampleEntries.bulletin(number: 2, country: "XB", byteCount: 400, authorTimeMs: 1_800_000_000_000)])
            #expect(await local.waiter.wait { ids.allSatisfy { local.size($0, networkWide.origin) == 1 } })
            // The regional bulletin never left its group.
            for id in ["RS", "XB", "OBS1"] {
                #expect(local.size(id, origin) == 0, "\(id) holds \(origin)")
            }
            #expect(try local.nodes["XC"]!.store.entry(origin: origin, index: 0)?.bytes == bulletin)
            for id in ids { #expect(try local.nodes[id]!.store.audit().holds, "\(id)") }
        }
    }

    @Test func aStoppedRelayCatchesUpAfterRestart() async throws {
        try await LocalNetwork.run(nationals: 2, relays: 1) { local in
            for id in ["RN", "XA", "XB"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("XA", peers: ["RN"])
            try await local.start("XB", peers: ["RN"])
            let first = try await local.append(
                "XA", group: "nro", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
            #expect(
                await local.waiter.wait { local.size("RN", first.origin) == 1 && local.size("XB", first.origin) == 1 })

            await local.stop("RN")
            for number in 1...40 {
                _ = try await local.append(
                    "XA", group: "nro", [SampleEntries.bulletin(number: number, country: "XA", authorTimeMs: 1)])
            }
            try await local.start("RN", peers: [])
            // XA and XB redial with backoff; the relay catches up and forwards to XB.
            #expect(
                await local.waiter.wait { local.size("RN", first.origin) == 41 && local.size("XB", first.origin) == 41 }
            )
            for id in ["RN", "XA", "XB"] { #expect(try local.nodes[id]!.store.audit().holds, "\(id)") }
        }
    }

    @Test func aDialledAddressThatAnswersAsAnotherNodeIsRefused() async throws {
        try await LocalNetwork.run(nationals: 2, relays: 2) { local in
            for id in ["RN", "RS", "XA"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("RS", peers: [])
            // XA's configuration gives RS's address for RN: RS's certificate answers there.
            let logged = local.logs.count
            try await local.start("XA", peers: ["RN"], addresses: ["RN": local.ports["RS"]!])
            #expect(
                await local.waiter.wait(timeout: 10) {
                    local.logs.lines(of: "tocsin.XA", after: logged).contains {
                        $0.text.contains("dialled RN, but the certificate there is RS's")
                    }
                })
            #expect(await local.nodes["XA"]!.connectedPeers() == [])
        }
    }

    /// A restored node learns that the network holds more of its feed, and the peer that
    /// showed it leaves before sending the entries: the node appends nothing, and still
    /// appends nothing after a restart, until it holds what was shown.
    @Test func aRestoredNodeThatLostThePeerItWasCatchingUpFromStillAppendsNothing() async throws {
        try await LocalNetwork.run(nationals: 2, relays: 1) { local in
            try local.create("XA")
            try await local.start("XA", peers: [])
            let node = local.nodes["XA"]!
            let store = node.store
            let origin = try FeedOrigin(network: local.network.networkID, group: "nro", author: "XA")
            // The network holds 5 entries of XA's feed; this copy of XA holds 3 of them.
            var author = FeedAuthor(origin: origin, key: local.network.member("XA")!.key)
            try store.append(
                author.append((0..<3).map { SampleEntries.bulletin(number: $0, country: "XA", authorTimeMs: 1) }),
                now: Date())
            let ahead = try author.append(
                (3..<5).map { SampleEntries.bulletin(number: $0, country: "XA", authorTimeMs: 1) })
            await local.stop("XA")
            try await local.start("XA", peers: [])
            let restored = local.nodes["XA"]!
            // A peer (here a test client holding RN's key) shows the checkpoint at 5, is asked
            // for the entries, and leaves without sending them.
            let (channel, capture) = try await TestPeer.connect(
                as: "RN", of: local.network, port: local.ports["XA"]!, onRead: { local.waiter.signal() })
            try await channel.writeAndFlush(TestPeer.hello(from: "RN", of: local.network)).get()
            var heads = Tocsin_V1_Heads()
            heads.heads = [
                .with {
                    $0.origin = origin.description
                    $0.checkpoint = Data(ahead.checkpoint.note.formatted.utf8)
                }
            ]
            try await channel.writeAndFlush(Tocsin_V1_Message.with { $0.heads = heads }).get()
            #expect(
                await local.waiter.wait {
                    capture.messages.contains { if case .want = $0.body { true } else { false } }
                })
            try await channel.close().get()
            #expect(await restored.appendReadiness(group: "nro") == .catchingUp(held: 3, known: 5))
            await #expect(throws: NodeError.self) {
                try await restored.appendWhenReady(
                    group: "nro", entries: [SampleEntries.bulletin(number: 9, country: "XA", authorTimeMs: 1)],
                    timeout: .milliseconds(300))
            }
            // Restarted, and told by a peer that holds nothing of the feed: still behind.
            await local.stop("XA")
            try await local.start("XA", peers: [])
            let again = local.nodes["XA"]!
            let (second, _) = try await TestPeer.connect(as: "RN", of: local.network, port: local.ports["XA"]!)
            try await second.writeAndFlush(TestPeer.hello(from: "RN", of: local.network)).get()
            try await second.writeAndFlush(Tocsin_V1_Message.with { $0.heads = Tocsin_V1_Heads() }).get()
            #expect(
                await local.waiter.wait { await again.appendReadiness(group: "nro") != .waitingForPeers },
                "the empty Heads is read")
            #expect(await again.appendReadiness(group: "nro") == .catchingUp(held: 3, known: 5))
            try await second.close().get()
            #expect(try store.head(of: origin)?.size == 3, "nothing was appended at an index the network holds")
        }
    }

    @Test func aNodeRestoredFromAnOldCopyCatchesUpItsOwnFeedBeforeAppending() async throws {
        try await LocalNetwork.run(nationals: 2, relays: 1) { local in
            // Restored from the old copy and alone: it refuses to append.
            let origin = try await local.restoreXAFromAnOldCopy()
            let restored = local.nodes["XA"]!
            #expect(await restored.appendReadiness(group: "nro") == .waitingForPeers)
            await #expect(throws: NodeError.self) {
                try await restored.append(
                    group: "nro", entries: [SampleEntries.bulletin(number: 9, country: "XA", authorTimeMs: 1)])
            }
            await #expect(throws: NodeError.self) {
                try await restored.appendWhenReady(
                    group: "nro", entries: [SampleEntries.bulletin(number: 9, country: "XA", authorTimeMs: 1)],
                    timeout: .milliseconds(200))
            }
            // An append that waits: it resumes when the relay is back, XA has learnt it is behind and
            // caught up its own feed, and it lands after what the network holds.
            let waiting = Task {
                try await restored.appendWhenReady(
                    group: "nro", entries: [SampleEntries.bulletin(number: 5, country: "XA", authorTimeMs: 1)],
                    timeout: .seconds(60))
            }
            try await local.start("RN", peers: [])
            let next = try await waiting.value
            #expect(next.firstIndex == 5)
            #expect(await local.waiter.wait { local.size("RN", origin) == 6 })
            for id in ["RN", "XA"] { #expect(try local.nodes[id]!.store.audit().holds, "\(id)") }
            #expect(try local.nodes["RN"]!.store.forkProofs().isEmpty)
        }
    }
}
