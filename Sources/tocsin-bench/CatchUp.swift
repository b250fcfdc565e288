import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNode
import TocsinStore

struct CatchUp: ParsableCommand {
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

    func run() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let now = Date()
        let network = try FictionalNetwork.make(nationals: max(feeds, 1) + 1, relays: 1, now: now)
        let authors = network.charter.nodes.filter { $0.role == .national }.map(\.id).dropFirst().prefix(feeds)
        let group = FictionalNetwork.networkWideGroup
        func create(_ id: String) throws -> FeedStore {
            try FeedStore.create(
                at: scratch.url.appendingPathComponent(id), genesis: network.signedCharter,
                authorityCertificatePEM: network.authority.certificate.pem, now: now)
        }

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

        // In-process ingest of the same batches.
        let ingestStore = try create("ingest")
        var start = monotonicSeconds()
        for (origin, batches) in incoming.sorted(by: { $0.key < $1.key }) {
            var verifier = FeedVerifier(
                origin: origin, author: network.charter.node(origin.author)!.publicKey)
            let result = ingestStore.ingest(batches, verifier: &verifier, now: now)
            if let failure = result.stoppedBy { throw failure }
        }
        let ingestRate = Double(entries) / (monotonicSeconds() - start)

        // Over TLS: the relay serves, a fresh national node catches up.
        let group2 = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group2.syncShutdownGracefully() }
        var logger = Logger(label: "tocsin-bench")
        logger.logLevel = .error
        func node(_ id: String, store: FeedStore) throws -> NodeRuntime {
            let member = network.member(id)!
            return try NodeRuntime(
                nodeID: id, key: member.key, certificateChain: [member.certificate],
                authority: network.authority.certificate,
                store: store, group: group2, logger: logger, witness: false)
        }
        let relay = try node("RN", store: source)
        let port = try relay.start(host: "127.0.0.1", port: 0, peers: [])
        let fresh = try node("XA", store: try create("XA"))
        let done = DispatchSemaphore(value: 0)
        let target = UInt64(entries)
        let progress = FeedTotals()
        fresh.observe { event in
            if case .stored(let origin, let size) = event, progress.update(origin.description, size) == target {
                done.signal()
            }
        }
        start = monotonicSeconds()
        try fresh.start(host: "127.0.0.1", port: 0, peers: [.init(nodeID: "RN", host: "127.0.0.1", port: port)])
        let finished = done.wait(timeout: .now() + 600) == .success
        let seconds = monotonicSeconds() - start
        fresh.stop()
        relay.stop()
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

/// Entries held per feed, summed: safe from the node's queue.
final class FeedTotals: @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [String: UInt64] = [:]

    /// Records a feed's size; returns the total over all feeds.
    func update(_ origin: String, _ size: UInt64) -> UInt64 {
        lock.withLock {
            sizes[origin] = size
            return sizes.values.reduce(0, +)
        }
    }
}
