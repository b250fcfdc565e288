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
            transaction. The same run inserts the same rows into a plain table of the same shape \
            (same pragmas, same transactions) and hashes the same bytes with SHA-256, and prints \
            the ratios.
            """)

    @Option(help: "Entries to ingest.")
    var entries: Int = 100_000

    @Option(help: "Entries per batch (and per checkpoint).")
    var batchSize: Int = 1000

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    func run() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let now = Date()
        let network = try FictionalNetwork.make(nationals: 1, relays: 1, now: now)
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

        // Tocsin: verify each batch, then store it with its checkpoint in one transaction.
        let store = try FeedStore.create(
            at: scratch.url.appendingPathComponent("node"), genesis: network.signedCharter,
            authorityCertificatePEM: network.authority.certificate.pem, now: now)
        var verifier = FeedVerifier(origin: origin, author: authorKey.publicKey)
        var start = monotonicSeconds()
        for batch in batches {
            let verified = try verifier.verify(
                firstIndex: batch.first, entries: batch.entries, checkpointNote: batch.note)
            try store.append(verified, now: now)
            verifier.commit(verified)
        }
        let ingestSeconds = monotonicSeconds() - start

        // Raw SQLite: the same rows, same table shape, same pragmas and transactions.
        let rawRate = try rawInsertRate(batches: batches.map(\.entries), directory: scratch.url)

        // Raw SHA-256 over the same entry bytes.
        start = monotonicSeconds()
        var sink = SHA256Digest.zero
        for batch in batches {
            for entry in batch.entries { sink = SHA256.hash(entry) }
        }
        let hashSeconds = monotonicSeconds() - start
        precondition(sink != .zero || entries == 0)

        let ingestRate = Double(entries) / ingestSeconds
        let hashRate = Double(entries) / hashSeconds
        emit([
            "scenario": "ingest", "entries": entries, "batch_size": batchSize,
            "entry_bytes": totalBytes / max(entries, 1),
            "seconds": rounded(ingestSeconds, 3), "entries_per_second": rounded(ingestRate),
            "raw_insert_entries_per_second": rounded(rawRate), "ratio_to_raw": rounded(ingestRate / rawRate, 3),
            "raw_sha256_entries_per_second": rounded(hashRate),
            "ratio_to_raw_sha256": rounded(ingestRate / hashRate, 3),
        ])
    }

    private func rawInsertRate(batches: [[[UInt8]]], directory: URL) throws -> Double {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let database = try DatabasePool(
            path: directory.appendingPathComponent("raw.sqlite").path, configuration: configuration)
        try database.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE entries (
                        position INTEGER PRIMARY KEY NOT NULL, feed_id INTEGER NOT NULL, entry_index INTEGER NOT NULL,
                        leaf_hash BLOB NOT NULL, kind INTEGER NOT NULL, author_time_ms INTEGER NOT NULL, bytes BLOB NOT NULL)
                    """)
        }
        // Leaf hashes are computed before timing: the raw baseline only inserts.
        let leafHashes = batches.map { $0.map { Data(MerkleHash.leaf($0).bytes) } }
        let start = monotonicSeconds()
        var index: Int64 = 0
        for (batch, hashes) in zip(batches, leafHashes) {
            try database.write { db in
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO entries (position, feed_id, entry_index, leaf_hash, kind, author_time_ms, bytes)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                for (entry, hash) in zip(batch, hashes) {
                    try statement.execute(arguments: [
                        (Int64(1) << 40) | index, 1, index, hash, 1, 1_800_000_000_000, Data(entry),
                    ])
                    index += 1
                }
            }
        }
        return Double(index) / (monotonicSeconds() - start)
    }
}
