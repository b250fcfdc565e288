import Foundation
import GRDB
import TocsinCore
import TocsinCrypto

extension FeedStore {
    /// Stores a verified batch and its checkpoint in one transaction.
    ///
    /// The feed must hold exactly `batch.firstIndex` entries and not be frozen; otherwise
    /// nothing is written. Returns the feed's new head. A bulk write runs at the writer's raised
    /// priority (`WriterPriority`).
    @discardableResult
    public func append(_ batch: FeedBatch, now: Date) throws(StoreError) -> FeedHead {
        try WriterPriority.run(raising: Self.isBulk([batch])) { () throws(StoreError) in
            try Self.run {
                try database.write { db in try Self.append(batch, now: now, in: db) }
            }
        }
    }

    /// Stores several verified batches (of any feeds) in one transaction: all or none.
    public func append(_ batches: [FeedBatch], now: Date) throws(StoreError) {
        try WriterPriority.run(raising: Self.isBulk(batches)) { () throws(StoreError) in
            try Self.run {
                try database.write { db in
                    for batch in batches { _ = try Self.append(batch, now: now, in: db) }
                }
            }
        }
    }

    /// Whether writing `batches` is a bulk write (`WriterPriority.isBulk`).
    static func isBulk(_ batches: [FeedBatch]) -> Bool {
        var entries = 0
        var bytes = 0
        for batch in batches {
            entries += batch.entries.count
            bytes += batch.entryByteCount
            if WriterPriority.isBulk(entries: entries, bytes: bytes) { return true }
        }
        return false
    }

    static func append(_ batch: FeedBatch, now: Date, in db: Database) throws -> FeedHead {
        let origin = batch.origin.description
        let feedID: Int64
        // A feed held from a member's admission starts where its base ends.
        let base = batch.base.map { Data($0.serialized) }
        var heldBase = batch.base
        if let row = try Row.fetchOne(
            try db.cachedStatement(sql: "SELECT id, size, frozen, base FROM feeds WHERE origin = ?"),
            arguments: [origin])
        {
            feedID = row["id"]
            let size: Int64 = row["size"]
            guard row["frozen"] as Int64 == 0 else { throw StoreError.frozen(origin: origin) }
            if let base {
                // Only a feed that holds nothing (one a fork proof created) takes a base.
                guard size == 0, row["base"] as Data? == nil else {
                    throw StoreError.notContiguous(origin: origin, held: UInt64(size), batchStartsAt: batch.firstIndex)
                }
                try db.execute(sql: "UPDATE feeds SET base = ? WHERE id = ?", arguments: [base, feedID])
            } else {
                heldBase = try Self.base(row: row)
                guard UInt64(size) == batch.firstIndex else {
                    throw StoreError.notContiguous(origin: origin, held: UInt64(size), batchStartsAt: batch.firstIndex)
                }
            }
        } else {
            guard batch.firstIndex == (batch.base?.size ?? 0) else {
                throw StoreError.notContiguous(origin: origin, held: 0, batchStartsAt: batch.firstIndex)
            }
            try db.execute(
                sql: "INSERT INTO feeds (origin, group_id, author, size, frontier, base) VALUES (?, ?, ?, 0, ?, ?)",
                arguments: [
                    origin, batch.origin.group, batch.origin.author, Data(MerkleFrontier().serialized), base,
                ])
            feedID = db.lastInsertedRowID
        }

        let writer = try EntryRowWriter(db)
        for offset in batch.entries.indices {
            let header = batch.headers[offset]
            try writer.insert(
                feedID: feedID, index: batch.firstIndex + UInt64(offset), leafHash: batch.leafHashes[offset],
                kind: header.kind, authorTimeMs: header.authorTimeMs, bytes: batch.entries[offset])
        }
        let insertSubtree = try db.cachedStatement(
            sql: "INSERT INTO subtrees (feed_id, level, subtree_index, hash) VALUES (?, ?, ?, ?)")
        for node in batch.completedNodes {
            try insertSubtree.execute(arguments: [feedID, node.level, Int64(node.index), Data(node.hash.bytes)])
        }
        let checkpoint = batch.checkpoint
        try db.cachedStatement(
            sql: "INSERT INTO checkpoints (feed_id, size, root, note, stored_at_ms) VALUES (?, ?, ?, ?, ?)"
        ).execute(
            arguments: [
                feedID, Int64(checkpoint.checkpoint.size), Data(checkpoint.checkpoint.root.bytes),
                Data(checkpoint.authorNote.formatted.utf8), milliseconds(now),
            ])
        let checkpointID = db.lastInsertedRowID
        for cosignature in checkpoint.cosignatures {
            try insertCosignature(cosignature, checkpointID: checkpointID, now: now, in: db)
        }
        try db.cachedStatement(sql: "UPDATE feeds SET size = ?, frontier = ? WHERE id = ?").execute(
            arguments: [Int64(batch.frontier.size), Data(batch.frontier.serialized), feedID])
        return FeedHead(
            origin: batch.origin, size: batch.frontier.size, frontier: batch.frontier, checkpoint: checkpoint,
            isFrozen: false, base: heldBase)
    }

    static func insertCosignature(_ cosignature: Cosignature, checkpointID: Int64, now: Date, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO cosignatures (checkpoint_id, witness, timestamp, line, stored_at_ms)
                VALUES (?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                checkpointID, cosignature.witnessName, Int64(cosignature.timestamp), cosignature.noteSignature.line,
                milliseconds(now),
            ])
    }

    /// Stores a witness's cosignature of a stored checkpoint (same origin, size and root).
    /// The caller verifies the cosignature first. Returns false if no such checkpoint is held.
    @discardableResult
    public func addCosignature(
        _ cosignature: Cosignature, to checkpoint: Checkpoint, now: Date
    ) throws(StoreError) -> Bool {
        try addCosignatures([(cosignature, checkpoint)], now: now) == 1
    }

    /// Stores cosignatures of stored checkpoints in one transaction (one durable write for
    /// those that arrive together). Returns how many were stored: one whose checkpoint is not
    /// held is passed over.
    @discardableResult
    public func addCosignatures(_ cosignatures: [(Cosignature, Checkpoint)], now: Date) throws(StoreError) -> Int {
        try Self.run {
            try database.write { db in
                var stored = 0
                for (cosignature, checkpoint) in cosignatures {
                    let id = try Int64.fetchOne(
                        try db.cachedStatement(
                            sql: """
                                SELECT checkpoints.id FROM checkpoints JOIN feeds ON feeds.id = checkpoints.feed_id
                                WHERE feeds.origin = ? AND checkpoints.size = ? AND checkpoints.root = ?
                                ORDER BY checkpoints.id DESC LIMIT 1
                                """),
                        arguments: [checkpoint.origin, Int64(checkpoint.size), Data(checkpoint.root.bytes)])
                    guard let id else { continue }
                    try Self.insertCosignature(cosignature, checkpointID: id, now: now, in: db)
                    stored += 1
                }
                return stored
            }
        }
    }

    /// Stores a fork proof (verified by the caller) and freezes its feed. A proof of a feed not
    /// held yet is kept with an empty, frozen feed: the feed stays frozen when it arrives,
    /// across restarts.
    public func recordForkProof(_ proof: ForkProof, now: Date) throws(StoreError) {
        let origin: FeedOrigin
        do {
            origin = try FeedOrigin(parsing: proof.origin)
        } catch {
            throw StoreError.unknownFeed(proof.origin)
        }
        try Self.run {
            try database.write { db in
                let feedID: Int64
                if let held = try Int64.fetchOne(
                    db, sql: "SELECT id FROM feeds WHERE origin = ?", arguments: [proof.origin])
                {
                    feedID = held
                } else {
                    try db.execute(
                        sql: "INSERT INTO feeds (origin, group_id, author, size, frontier) VALUES (?, ?, ?, 0, ?)",
                        arguments: [
                            origin.description, origin.group, origin.author, Data(MerkleFrontier().serialized),
                        ])
                    feedID = db.lastInsertedRowID
                }
                // One proof per feed is enough: recording again (after a failed write) is a no-op.
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM fork_proofs WHERE feed_id = ?", arguments: [feedID])
                    == true
                {
                    return
                }
                try db.execute(
                    sql: "INSERT INTO fork_proofs (feed_id, proof, stored_at_ms) VALUES (?, ?, ?)",
                    arguments: [feedID, Data(proof.serialized), Self.milliseconds(now)])
                try db.execute(sql: "UPDATE feeds SET frozen = 1 WHERE id = ?", arguments: [feedID])
            }
        }
    }

    /// A small durable write that changes nothing: 64 KiB into a scratch table and out again
    /// in one transaction. It fails as an append would when the disk is full, and succeeds
    /// once there is room for a batch's pages again.
    public func probeWrite() throws(StoreError) {
        try Self.run {
            try database.write { db in
                try db.execute(sql: "INSERT INTO write_probe (data) VALUES (zeroblob(65536))")
                try db.execute(sql: "DELETE FROM write_probe")
            }
        }
    }

    /// Remembers that a peer showed this node `size` entries of its own feed `origin` (with a
    /// checkpoint this node signed): the restore guard needs it across restarts.
    public func recordOwnFeedKnown(_ origin: FeedOrigin, size: UInt64, now: Date) throws(StoreError) {
        try Self.run {
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO own_feed_known (origin, size, stored_at_ms) VALUES (?, ?, ?)",
                    arguments: [origin.description, Int64(min(size, Checkpoint.maximumSize)), Self.milliseconds(now)])
            }
        }
    }

    /// The largest size of each of this node's own feeds that a peer has shown it.
    public func ownFeedKnown() throws(StoreError) -> [FeedOrigin: UInt64] {
        let rows = try Self.run {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT origin, MAX(size) AS size FROM own_feed_known GROUP BY origin")
            }
        }
        var known: [FeedOrigin: UInt64] = [:]
        for row in rows {
            guard let origin = try? FeedOrigin(parsing: row["origin"] as String), let size = row["size"] as Int64?,
                size >= 0
            else { throw StoreError.corrupt("an own_feed_known row is unreadable") }
            known[origin] = UInt64(size)
        }
        return known
    }
}
