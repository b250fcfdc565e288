import Foundation
import Logging
import NIOPosix
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNode
import TocsinStore

/// Waits for conditions on node events without sleeping: every event wakes the waiter.
///
/// The predicate runs without the lock held, so it may call into a node whose queue is the
/// one signalling (holding the lock there would deadlock the two).
final class EventWaiter: @unchecked Sendable {
    private let condition = NSCondition()
    private var generation = 0

    func signal() {
        condition.lock()
        generation += 1
        condition.broadcast()
        condition.unlock()
    }

    func wait(timeout: TimeInterval = 30, until predicate: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            condition.lock()
            let seen = generation
            condition.unlock()
            if predicate() { return true }
            condition.lock()
            while generation == seen {
                if !condition.wait(until: deadline) {
                    condition.unlock()
                    return predicate()
                }
            }
            condition.unlock()
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
        let waiter = EventWaiter()
        /// What every node logged at warning level and above.
        let logs = LogRecorder()

        init(nationals: Int, relays: Int) throws {
            network = try FictionalNetwork.make(nationals: nationals, relays: relays, observers: 1, now: Date())
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tocsin-local-\(UUID().uuidString)")
        }

        func start(_ id: String, peers: [String]) throws {
            let member = network.member(id)!
            let store = try FeedStore.open(directory: directory.appendingPathComponent(id))
            let recorder = logs
            var logger = Logger(label: "tocsin.\(id)") { recorder.handler(label: $0) }
            logger.logLevel = .warning
            let node = try NodeRuntime(
                nodeID: id, key: member.key, certificateChain: [member.certificate],
                authority: network.authority.certificate, store: store, group: LocalNetworkTests.group, logger: logger,
                witness: false, backoff: .init(initial: .milliseconds(20), maximum: .milliseconds(400)))
            let waiter = self.waiter
            node.observe { _ in waiter.signal() }
            let addresses = peers.compactMap { peer in
                ports[peer].map { NodeRuntime.PeerAddress(nodeID: peer, host: "127.0.0.1", port: $0) }
            }
            ports[id] = try node.start(
                host: "127.0.0.1", port: ports[id] ?? 0, peers: addresses, antiEntropyInterval: .milliseconds(300))
            nodes[id] = node
        }

        func create(_ id: String) throws {
            _ = try FeedStore.create(
                at: directory.appendingPathComponent(id), genesis: network.signedCharter,
                authorityCertificatePEM: network.authority.certificate.pem, now: Date())
        }

        func stop(_ id: String) {
            nodes[id]?.stop()
            nodes[id] = nil
        }

        func stopAll() {
            for id in nodes.keys.sorted() { stop(id) }
            try? FileManager.default.removeItem(at: directory)
        }

        /// Appends at `id` once the restore guard allows it (a peer told it its own heads).
        func append(_ id: String, group: String, _ entries: [[UInt8]]) throws -> FeedBatch {
            let node = nodes[id]!
            _ = waiter.wait { node.appendReadiness(group: group) == .ready }
            return try node.append(group: group, entries: entries)
        }

        func size(_ id: String, _ origin: FeedOrigin) -> UInt64 {
            (try? nodes[id]?.store.head(of: origin)?.size) ?? nil ?? 0
        }
    }

    @Test func aBulletinReachesEveryMemberOfItsGroupAndNoOneElse() throws {
        let local = try LocalNetwork(nationals: 3, relays: 2)
        defer { local.stopAll() }
        let ids = ["RN", "RS", "XA", "XB", "XC", "OBS1"]
        for id in ids { try local.create(id) }
        // Relays first; states dial their relay, the relays dial each other.
        try local.start("RN", peers: [])
        try local.start("RS", peers: ["RN"])
        try local.start("XA", peers: ["RN"])
        try local.start("XC", peers: ["RN"])
        try local.start("XB", peers: ["RS"])
        try local.start("OBS1", peers: ["RN"])
        let charter = local.network.charter
        #expect(charter.group("nro")!.members.sorted() == ["RN", "XA", "XC"])

        let bulletin = SampleEntries.bulletin(number: 1, country: "XA", byteCount: 400, authorTimeMs: 1_800_000_000_000)
        let batch = try local.append("XA", group: "nro", [bulletin])
        let origin = batch.origin
        #expect(local.waiter.wait { local.size("RN", origin) == 1 && local.size("XC", origin) == 1 })
        let networkWide = try local.append(
            "XB", group: FictionalNetwork.networkWideGroup,
            [SampleEntries.bulletin(number: 2, country: "XB", byteCount: 400, authorTimeMs: 1_800_000_000_000)])
        #expect(local.waiter.wait { ids.allSatisfy { local.size($0, networkWide.origin) == 1 } })
        // The regional bulletin never left its group.
        for id in ["RS", "XB", "OBS1"] {
            #expect(local.size(id, origin) == 0, "\(id) holds \(origin)")
        }
        #expect(try local.nodes["XC"]!.store.entry(origin: origin, index: 0)?.bytes == bulletin)
        for id in ids { #expect(try local.nodes[id]!.store.audit().holds, "\(id)") }
    }

    @Test func aStoppedRelayCatchesUpAfterRestart() throws {
        let local = try LocalNetwork(nationals: 2, relays: 1)
        defer { local.stopAll() }
        for id in ["RN", "XA", "XB"] { try local.create(id) }
        try local.start("RN", peers: [])
        try local.start("XA", peers: ["RN"])
        try local.start("XB", peers: ["RN"])
        let first = try local.append(
            "XA", group: "nro", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
        #expect(local.waiter.wait { local.size("RN", first.origin) == 1 && local.size("XB", first.origin) == 1 })

        local.stop("RN")
        for number in 1...40 {
            _ = try local.append(
                "XA", group: "nro", [SampleEntries.bulletin(number: number, country: "XA", authorTimeMs: 1)])
        }
        try local.start("RN", peers: [])
        // XA and XB redial with backoff; the relay catches up and forwards to XB.
        #expect(local.waiter.wait { local.size("RN", first.origin) == 41 && local.size("XB", first.origin) == 41 })
        for id in ["RN", "XA", "XB"] { #expect(try local.nodes[id]!.store.audit().holds, "\(id)") }
    }

    @Test func aNodeRestoredFromAnOldCopyCatchesUpItsOwnFeedBeforeAppending() throws {
        let local = try LocalNetwork(nationals: 2, relays: 1)
        defer { local.stopAll() }
        for id in ["RN", "XA"] { try local.create(id) }
        try local.start("RN", peers: [])
        try local.start("XA", peers: ["RN"])
        let first = try local.append(
            "XA", group: "nro", (0..<3).map { SampleEntries.bulletin(number: $0, country: "XA", authorTimeMs: 1) })
        #expect(local.waiter.wait { local.size("RN", first.origin) == 3 })
        // A backup of XA's data directory, taken now.
        local.stop("XA")
        let backup = local.directory.appendingPathComponent("XA-backup")
        try FileManager.default.copyItem(at: local.directory.appendingPathComponent("XA"), to: backup)
        try local.start("XA", peers: ["RN"])
        _ = try local.append(
            "XA", group: "nro", (3..<5).map { SampleEntries.bulletin(number: $0, country: "XA", authorTimeMs: 1) })
        #expect(local.waiter.wait { local.size("RN", first.origin) == 5 })
        local.stop("XA")

        // Restored from the old copy and alone: it refuses to append.
        try FileManager.default.removeItem(at: local.directory.appendingPathComponent("XA"))
        try FileManager.default.copyItem(at: backup, to: local.directory.appendingPathComponent("XA"))
        local.stop("RN")
        try local.start("XA", peers: ["RN"])
        #expect(local.nodes["XA"]!.appendReadiness(group: "nro") == .waitingForPeers)
        #expect(throws: NodeError.self) {
            try local.nodes["XA"]!.append(
                group: "nro", entries: [SampleEntries.bulletin(number: 9, country: "XA", authorTimeMs: 1)])
        }
        // Once the relay is back, XA learns it is behind, catches up its own feed, and appends after it.
        try local.start("RN", peers: [])
        let next = try local.append(
            "XA", group: "nro", [SampleEntries.bulletin(number: 5, country: "XA", authorTimeMs: 1)])
        #expect(next.firstIndex == 5)
        #expect(local.waiter.wait { local.size("RN", first.origin) == 6 })
        for id in ["RN", "XA"] { #expect(try local.nodes[id]!.store.audit().holds, "\(id)") }
        #expect(try local.nodes["RN"]!.store.forkProofs().isEmpty)
    }
}
