import ArgumentParser
import Foundation
import Logging
import NIOPosix
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
            A relay holds --entries entries of about 1 KiB in --feeds feeds of the network-wide \
            group; a fresh national node starts with the relay as its only peer and replicates \
            everything (Heads, Want, verified Entries batches, durable stores). The same run \
            measures FeedStore.ingest on the same batches in process and prints the ratio.
            """)

    @Option(help: "Entries in all.")
    var entries: Int = 100_000

    @Option(help: "Feeds (one author each).")
    var feeds: Int = 10

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    func run() async throws {
        let fixture = try BenchmarkFixture(nationals: max(feeds, 1) + 1, relays: 1, logLevel: .error)
        let (now, network) = (fixture.now, fixture.network)
        let authors = network.charter.nodes.filter { $0.role == .national }.map(\.id).dropFirst().prefix(feeds)
        let group = FictionalNetwork.networkWideGroup
        func create(_ id: String) throws -> FeedStore { try fixture.store(id) }

        // The relay's store, and the same batches for the in-process ingest.
        let source = try create("RN")
        var incoming: [FeedOrigin: [IncomingBatch]] = [:]
        for (position, author) in authors.enumerated() {
            let origin = try FeedOrigin(network: network.networkID, group: group, author: author)
            var feed = FeedAuthor(origin: origin, key: network.member(author)!.key)
            let count = entries / feeds + (position < entries % feeds ? 1 : 0)
            var written = 0
            while written < count {
                let size = min(1000, count - written)
                let batch = try feed.append(
                    (written..<written + size).map {
                        SampleEntries.bulletin(number: $0, country: author, byteCount: entrySize, authorTimeMs: 1)
                    })
                try source.append(batch, now: now)
                incoming[origin, default: []].append(
                    IncomingBatch(
                        firstIndex: batch.firstIndex, entries: batch.entries,
                        checkpointNote: Array(batch.checkpoint.note.formatted.utf8)))
                written += size
            }
        }

        // In-process ingest of the same batches (a blocking pipeline: on a thread of its own).
        let ingestStore = try create("ingest")
        let batchesByOrigin = incoming
        let charter = network.charter
        let ingestSeconds = try await Blocking.run {
            let start = monotonicSeconds()
            for (origin, batches) in batchesByOrigin.sorted(by: { $0.key < $1.key }) {
                var verifier = FeedVerifier(origin: origin, author: charter.node(origin.author)!.publicKey)
                let result = ingestStore.ingest(batches, verifier: &verifier, now: now)
                if let failure = result.stoppedBy { throw failure }
            }
            return monotonicSeconds() - start
        }
        let ingestRate = Double(entries) / ingestSeconds

        // Over TLS: the relay serves, a fresh national node catches up.
        let relay = try fixture.runtime("RN", store: source)
        let port = try await relay.start(host: "127.0.0.1", port: 0, peers: [])
        let fresh = try fixture.runtime("XA", store: try create("XA"))
        let target = UInt64(entries)
        let progress = FeedTotals(target: target)
        await fresh.observe { event in
            if case .stored(let origin, let size) = event { progress.update(origin.description, size) }
        }
        let start = monotonicSeconds()
        try await fresh.start(host: "127.0.0.1", port: 0, peers: [.init(nodeID: "RN", host: "127.0.0.1", port: port)])
        let finished = await progress.reached(timeout: .seconds(600))
        let seconds = monotonicSeconds() - start
        await fresh.stop()
        await relay.stop()
        await fixture.close()
        guard finished else { throw ValidationError("catch-up did not finish in 600 s") }
        let rate = Double(entries) / seconds
        emit([
            "scenario": "catch-up", "entries": entries, "feeds": feeds, "entry_bytes": entrySize,
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
