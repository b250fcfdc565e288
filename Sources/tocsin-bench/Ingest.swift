import ArgumentParser
import Foundation
import GRDB
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The receiver side: verify and store batches, against a raw insert and raw SHA-256.",
        discussion: """
            Each batch is checked against its author-signed checkpoint (one signature, every \
            entry decoded and hashed, the root recomputed) and stored with it in one durable \
            transaction; the next batch is verified while one is written (FeedStore.ingest). \
            `sequential_entries_per_second` is the same work without that overlap. The same run inserts the same rows into a plain table of the same shape \
            (same pragmas, same transactions) and hashes the same bytes with SHA-256, and prints \
            the ratios.
            """)

    @Option(help: "Entries to ingest.")
    var entries: Int = 100_000

    @Option(help: "Entries per batch (and per checkpoint).")
    var batchSize: Int = 1000

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    @Option(help: "Measurement rounds; the medians are printed.")
    var rounds: Int = 3

    func run() throws {
        let fixture = try BenchmarkFixture(nationals: 1, relays: 1)
        defer { fixture.scratch.remove() }
        let (scratch, now, network) = (fixture.scratch, fixture.now, fixture.network)
        let origin = try FeedOrigin(network: network.networkID, group: "nro", author: "XA")
        let authorKey = network.member("XA")!.key

        // The author's batches, prepared before timing: what a peer would send.
        var author = FeedAuthor(origin: origin, key: authorKey)
        var batches: [(first: UInt64, entries: [[UInt8]], note: [UInt8])] = []
        var number = 0
        while number < entries {
            let size = min(batchSize, entries - number)
            let batchEntries = (0..<size).map {
                SampleEntries.bulletin(
                    number: number + $0, country: "XA", byteCount: entrySize, authorTimeMs: 1_800_000_000_000)
            }
            let batch = try author.append(batchEntries)
            batches.append((batch.firstIndex, batchEntries, Array(batch.checkpoint.note.formatted.utf8)))
            number += size
        }
        let totalBytes = batches.reduce(0) { $0 + $1.entries.reduce(0) { $0 + $1.count } }

        // Rounds alternate Tocsin and the raw baselines, each on fresh databases, so that a
        // disturbance on the machine hits both; medians are reported.
        var verifyRates: [Double] = []
        var ingestRates: [Double] = []
        var sequentialRates: [Double] = []
        let incoming = batches.map { IncomingBatch(firstIndex: $0.first, entries: $0.entries, checkpointNote: $0.note) }
        var rawRates: [Double] = []
        var hashRates: [Double] = []
        func freshStore(_ name: String) throws -> FeedStore { try fixture.store(name) }
        func freshVerifier() -> FeedVerifier { FeedVerifier(origin: origin, author: authorKey.publicKey) }
        for round in 0..<rounds {
            // Verification alone (no storage), to show where the time goes.
            var dryVerifier = freshVerifier()
            var start = monotonicSeconds()
            for batch in batches {
                dryVerifier.commit(
                    try dryVerifier.verify(firstIndex: batch.first, entries: batch.entries, checkpointNote: batch.note))
            }
            verifyRates.append(Double(entries) / (monotonicSeconds() - start))

            // Tocsin, one batch after the other: verify, then store with its checkpoint in one
            // durable transaction.
            let sequentialStore = try freshStore("sequential-\(round)")
            var verifier = freshVerifier()
            start = monotonicSeconds()
            for batch in batches {
                let verified = try verifier.verify(
                    firstIndex: batch.first, entries: batch.entries, checkpointNote: batch.note)
                try sequentialStore.append(verified, now: now)
                verifier.commit(verified)
            }
            sequentialRates.append(Double(entries) / (monotonicSeconds() - start))

            // Tocsin's ingest path: the same, with the next batch verified while one is written.
            let store = try freshStore("pipelined-\(round)")
            var pipelined = freshVerifier()
            start = monotonicSeconds()
            let result = store.ingest(incoming, verifier: &pipelined, now: now)
            ingestRates.append(Double(entries) / (monotonicSeconds() - start))
            if let failure = result.stoppedBy { throw failure }
            precondition(result.storedEntries == entries)

            // Raw SQLite: the same rows, same table shape, same pragmas and transactions.
            rawRates.append(
                try rawInsertRate(
                    batches: batches.map(\.entries),
                    path: scratch.url.appendingPathComponent("raw-\(round).sqlite").path))

            // Raw SHA-256 over the same entry bytes.
            start = monotonicSeconds()
            var sink = SHA256Digest.zero
            for batch in batches {
                for entry in batch.entries { sink = SHA256.hash(entry) }
            }
            hashRates.append(Double(entries) / (monotonicSeconds() - start))
            precondition(sink != .zero || entries == 0)
        }

        let ingestRate = median(ingestRates)
        let rawRate = median(rawRates)
        let hashRate = median(hashRates)
        emit([
            "scenario": "ingest", "entries": entries, "batch_size": batchSize, "rounds": rounds,
            "entry_bytes": totalBytes / max(entries, 1), "seconds": rounded(Double(entries) / ingestRate, 3),
            "entries_per_second": rounded(ingestRate),
            "raw_insert_entries_per_second": rounded(rawRate), "ratio_to_raw": rounded(ingestRate / rawRate, 3),
            "raw_sha256_entries_per_second": rounded(hashRate),
            "ratio_to_raw_sha256": rounded(ingestRate / hashRate, 3),
            "verify_only_entries_per_second": rounded(median(verifyRates)),
            "sequential_entries_per_second": rounded(median(sequentialRates)),
        ])
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func rawInsertRate(batches: [[[UInt8]]], path: String) throws -> Double {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let database = try DatabasePool(path: path, configuration: configuration)
        try database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE entries (
                        position INTEGER PRIMARY KEY NOT NULL, feed_id INTEGER NOT NULL, entry_index INTEGER NOT NULL,
                        leaf_hash BLOB NOT NULL, kind INTEGER NOT NULL, author_time_ms INTEGER NOT NULL, bytes BLOB NOT NULL)
                    """)
        }
        // Leaf hashes are computed before timing: the raw baseline only inserts, with the
        // store's own row writer and nothing else (no decoding, hashing, checkpoint or feed row).
        let leafHashes = batches.map { $0.map { MerkleHash.leaf($0) } }
        let start = monotonicSeconds()
        var index: UInt64 = 0
        for (batch, hashes) in zip(batches, leafHashes) {
            try database.write { db in
                let writer = try EntryRowWriter(db)
                for (entry, hash) in zip(batch, hashes) {
                    try writer.insert(
                        feedID: 1, index: index, leafHash: hash, kind: 1, authorTimeMs: 1_800_000_000_000, bytes: entry)
                    index += 1
                }
            }
        }
        return Double(index) / (monotonicSeconds() - start)
    }
}
