import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNode
import TocsinStore

struct CatchUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up",
        abstract: "A fresh node pulls a peer's feeds over TLS on loopback, against the in-process ingest rate.",
        discussion: """
            A relay holds --entries bulletins of about 1 KiB in --feeds feeds of the network-wide \
            group, and its receipt of each in its own feed (as a running relay writes them); a \
            fresh national node starts with the relay as its only peer and replicates \
            everything (Heads, Want, verified Entries batches, durable stores). The relay is a \
            `tocsind` process of its own (built next to this benchmark; --serving in-process runs \
            it in this process instead, as before). The same run measures FeedStore.ingest on the \
            same batches in process and prints the ratio.
            """)

    enum Serving: String, ExpressibleByArgument {
        case process = "process"
        case inProcess = "in-process"
    }

    @Option(help: "Bulletins in all (each with the relay's receipt).")
    var entries: Int = 100_000

    @Option(help: "Feeds (one author each).")
    var feeds: Int = 10

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    @Option(help: "Where the serving relay runs: process (a tocsind of its own) or in-process.")
    var serving: Serving = .process

    func run() async throws {
        let fixture = try BenchmarkFixture(nationals: max(feeds, 1) + 1, relays: 1, logLevel: .error)
        let (now, network) = (fixture.now, fixture.network)
        let authors = network.charter.nodes.filter { $0.role == .national }.map(\.id).dropFirst().prefix(feeds)
        let group = FictionalNetwork.networkWideGroup
        func create(_ id: String) throws -> FeedStore { try fixture.store(id) }
        let programs = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if serving == .process {
            guard FileManager.default.isExecutableFile(atPath: programs.appendingPathComponent("tocsind").path) else {
                throw ValidationError("no tocsind next to this benchmark: build both (swift build -c release)")
            }
        }
        // The relay as `tocsin devnet` lays it out, for a tocsind of its own.
        let folder = fixture.scratch.url.appendingPathComponent("net")
        let layout =
            serving == .process
            ? try DevelopmentNetwork.write(
                network, to: folder, basePort: try DevelopmentNetwork.freeBasePort(count: network.members.count),
                antiEntropySeconds: 30, now: now) : []
        let relayNode = layout.first { $0.id == "RN" }

        // The relay's store, and the same batches for the in-process ingest.
        var source: FeedStore? = try relayNode.map { try FeedStore.open(directory: $0.dataDirectory) } ?? create("RN")
        var incoming: [FeedOrigin: [IncomingBatch]] = [:]
        func store(_ batch: FeedBatch) throws {
            try source!.append(batch, now: now)
            incoming[batch.origin, default: []].append(
                IncomingBatch(
                    firstIndex: batch.firstIndex, entries: batch.entries,
                    checkpointNote: Array(batch.checkpoint.note.formatted.utf8)))
        }
        // The relay's receipt of every bulletin, as a running relay writes them: a tocsind
        // relay that found them missing would write them while it serves.
        let relayOrigin = try FeedOrigin(network: network.networkID, group: group, author: "RN")
        var relayFeed = FeedAuthor(origin: relayOrigin, key: network.member("RN")!.key)
        var receipts: [[UInt8]] = []
        for (position, author) in authors.enumerated() {
            let origin = try FeedOrigin(network: network.networkID, group: group, author: author)
            var feed = FeedAuthor(origin: origin, key: network.member(author)!.key)
            let count = entries / feeds + (position < entries % feeds ? 1 : 0)
            var written = 0
            while written < count {
                let size = min(1000, count - written)
                let bulletins = (written..<written + size).map {
                    SampleEntries.bulletin(number: $0, country: author, byteCount: entrySize, authorTimeMs: 1)
                }
                let batch = try feed.append(bulletins)
                try store(batch)
                for (offset, bulletin) in bulletins.enumerated() {
                    receipts.append(
                        ConsultationEntries.acknowledgement(
                            of: EntryReference(group: group, author: author, index: batch.firstIndex + UInt64(offset)),
                            leafHash: MerkleHash.leaf(bulletin), level: .received, authorTimeMs: 2))
                }
                while receipts.count >= 1000 {
                    try store(try relayFeed.append(Array(receipts.prefix(1000))))
                    receipts.removeFirst(1000)
                }
                written += size
            }
        }
        if !receipts.isEmpty { try store(try relayFeed.append(receipts)) }
        let total = incoming.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.entries.count } }

        // In-process ingest of the same batches (a blocking pipeline: on a thread of its own).
        let ingestStore = try create("ingest")
        let batchesByOrigin = incoming
        let charter = network.charter
        let ingestSeconds = try await Blocking.run {
            // Each timed part starts with nothing of the parts before waiting for the disk: the
            // hundreds of megabytes just written would otherwise be flushed while it runs.
            sync()
            let start = monotonicSeconds()
            for (origin, batches) in batchesByOrigin.sorted(by: { $0.key < $1.key }) {
                var verifier = FeedVerifier(origin: origin, author: charter.node(origin.author)!.publicKey)
                let result = ingestStore.ingest(batches, verifier: &verifier, now: now)
                if let failure = result.stoppedBy { throw failure }
            }
            return monotonicSeconds() - start
        }
        let ingestRate = Double(total) / ingestSeconds

        // Over TLS: the relay serves, a fresh national node catches up.
        var relay: NodeRuntime?
        var daemons: NodeProcesses?
        let port: Int
        if let relayNode {
            source = nil  // the daemon opens the relay's database alone
            let processes = NodeProcesses(directory: folder, programsIn: programs)
            try processes.start(relayNode.id)
            daemons = processes
            // Serving only once it has read its log (its consultation answers): a relay's start
            // is not part of catching up.
            try await Eventually(timeout: 300, abandon: { try processes.checkRunning() }).holds("tocsind to be ready") {
                (try? await Blocking.run { try processes.client(relayNode.id).bulletins(limit: 1) }) != nil
            }
            port = relayNode.port
        } else {
            let inProcess = try fixture.runtime("RN", store: source!)
            port = try await inProcess.start(host: "127.0.0.1", port: 0, peers: [])
            relay = inProcess
        }
        let fresh = try fixture.runtime("XA", store: try create("XA"))
        let target = UInt64(total)
        let progress = FeedTotals(target: target)
        await fresh.observe { event in
            if case .stored(let origin, let size) = event { progress.update(origin.description, size) }
        }
        try await Blocking.run { sync() }
        let start = monotonicSeconds()
        try await fresh.start(host: "127.0.0.1", port: 0, peers: [.init(nodeID: "RN", host: "127.0.0.1", port: port)])
        let finished = await progress.reached(timeout: .seconds(600))
        let seconds = monotonicSeconds() - start
        await fresh.stop()
        await relay?.stop()
        _ = daemons?.stopAll()
        await fixture.close()
        guard finished else { throw ValidationError("catch-up did not finish in 600 s") }
        let rate = Double(total) / seconds
        emit([
            "scenario": "catch-up", "entries": total, "bulletins": entries, "feeds": feeds + 1,
            "entry_bytes": entrySize,
            "serving": serving.rawValue,
            "seconds": rounded(seconds, 3),
            "entries_per_second": rounded(rate), "ingest_entries_per_second": rounded(ingestRate),
            "ratio_to_ingest": rounded(rate / ingestRate, 3),
        ])
    }
}

/// Entries held per feed, summed, until they reach a target: fed from the node's queue,
/// awaited by the benchmark.
final class FeedTotals: @unchecked Sendable {
    private let lock = NSLock()
    private let target: UInt64
    private var sizes: [String: UInt64] = [:]
    private var done = false
    private var expired = false
    private var waiter: CheckedContinuation<Bool, Never>?

    init(target: UInt64) { self.target = target }

    /// Records a feed's size.
    func update(_ origin: String, _ size: UInt64) {
        let woken: CheckedContinuation<Bool, Never>? = lock.withLock {
            sizes[origin] = size
            guard !done, sizes.values.reduce(0, +) >= target else { return nil }
            done = true
            defer { waiter = nil }
            return waiter
        }
        woken?.resume(returning: true)
    }

    /// Whether the target was reached within `timeout`.
    func reached(timeout: Duration) async -> Bool {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let woken: CheckedContinuation<Bool, Never>? = self.lock.withLock {
                self.expired = true
                defer { self.waiter = nil }
                return self.waiter
            }
            woken?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = lock.withLock {
                if done { return true }
                if expired { return false }
                waiter = continuation
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }
}
