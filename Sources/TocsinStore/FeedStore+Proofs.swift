import Foundation
import GRDB
import TocsinCore
import TocsinCrypto

extension FeedStore {
    /// An inclusion proof of entry `index` to the feed's latest checkpoint.
    public struct InclusionProof: Sendable {
        public let entry: StoredEntry
        public let checkpoint: SignedCheckpoint
        public let proof: [SHA256Digest]
    }

    /// Proves entry `index` of `origin` against the latest stored checkpoint, from stored
    /// hashes only (at most 2^7 hashes read per proof step; no feed is rehashed).
    public func inclusionProof(origin: FeedOrigin, index: UInt64) throws(StoreError) -> InclusionProof? {
        try Self.run {
            try database.read { db in
                guard
                    let feed = try Row.fetchOne(
                        db, sql: "SELECT * FROM feeds WHERE origin = ?", arguments: [origin.description]),
                    let entryRow = try Row.fetchOne(
                        db,
                        sql: """
                            SELECT feeds.origin, entries.entry_index, entries.leaf_hash, entries.kind,
                                   entries.author_time_ms, entries.bytes
                            FROM entries JOIN feeds ON feeds.id = entries.feed_id WHERE entries.position = ?
                            """, arguments: [StoreSchema.position(feed: feed["id"], index: index) ?? -1])
                else { return nil }
                let head = try Self.head(row: feed, in: db)
                guard let checkpoint = head.checkpoint, index < checkpoint.checkpoint.size else { return nil }
                let proofs = Self.proofs(feedID: feed["id"], base: try Self.base(row: feed), in: db)
                guard let path = try proofs.inclusionProof(index: index, size: checkpoint.checkpoint.size) else {
                    return nil
                }
                return InclusionProof(entry: try Self.entry(row: entryRow), checkpoint: checkpoint, proof: path)
            }
        }
    }

    /// A consistency proof between two sizes of a feed, from stored hashes.
    public func consistencyProof(
        origin: FeedOrigin, oldSize: UInt64, newSize: UInt64
    ) throws(StoreError) -> [SHA256Digest]? {
        try withProofs(origin: origin) { proofs, head in
            guard newSize <= head.size else { return nil }
            return try proofs.consistencyProof(oldSize: oldSize, newSize: newSize)
        }
    }

    /// Runs `body` with proof generation over `origin`'s stored tree, in one read transaction.
    public func withProofs<Result>(
        origin: FeedOrigin, _ body: (MerkleProofs<any Error>, FeedHead) throws -> Result?
    ) throws(StoreError) -> Result? {
        try Self.run {
            try database.read { db in
                guard
                    let feed = try Row.fetchOne(
                        db, sql: "SELECT * FROM feeds WHERE origin = ?", arguments: [origin.description])
                else { return nil }
                let head = try Self.head(row: feed, in: db)
                return try body(Self.proofs(feedID: feed["id"], base: head.base, in: db), head)
            }
        }
    }

    static func proofs(feedID: Int64, base: MerkleFrontier?, in db: Database) -> MerkleProofs<any Error> {
        guard let base, base.size > 0 else {
            return MerkleProofs { level, index in try subtreeHash(feedID: feedID, level: level, index: index, in: db) }
        }
        return MerkleProofs { level, index in
            try subtreeHash(feedID: feedID, level: level, index: index, base: base, in: db)
        }
    }

    /// The frontier of the first `size` entries of `origin` (what a member admitted later
    /// receives as the base of the feed), from stored hashes; nil if the feed is not held to
    /// that size, or starts past it.
    public func frontier(of origin: FeedOrigin, size: UInt64) throws(StoreError) -> MerkleFrontier? {
        try withProofs(origin: origin) { proofs, head -> MerkleFrontier? in
            guard size <= head.size, size >= head.firstIndex else { return nil }
            var nodes: [SHA256Digest] = []
            var start: UInt64 = 0
            for level in (0..<64).reversed() where size & (UInt64(1) << UInt64(level)) != 0 {
                nodes.append(try proofs.perfectSubtree(level, start >> UInt64(level)))
                start += UInt64(1) << UInt64(level)
            }
            return try MerkleFrontier(size: size, nodes: nodes)
        }
    }

    /// The hash of perfect subtree (`level`, `index`) of a feed held from past its first
    /// entry: a subtree before the first entry held is one of `base`'s nodes (no other can be
    /// asked for: every proof from the first entry held on is made of those and of later
    /// subtrees); one that spans the first entry held is folded from its two halves.
    static func subtreeHash(
        feedID: Int64, level: Int, index: UInt64, base: MerkleFrontier, in db: Database
    ) throws -> SHA256Digest {
        guard level < 64, index <= (UInt64.max >> UInt64(level)) - 1 else {
            throw MerkleProofError.missingNode(level: level, index: index)
        }
        let first = index << UInt64(level)
        let end = first + (UInt64(1) << UInt64(level))
        if first >= base.size { return try subtreeHash(feedID: feedID, level: level, index: index, in: db) }
        if end <= base.size {
            var start: UInt64 = 0
            var position = 0
            for baseLevel in (0..<64).reversed() where base.size & (UInt64(1) << UInt64(baseLevel)) != 0 {
                if baseLevel == level, start == first { return base.nodes[position] }
                start += UInt64(1) << UInt64(baseLevel)
                position += 1
            }
            throw MerkleProofError.missingNode(level: level, index: index)
        }
        return MerkleHash.interior(
            try subtreeHash(feedID: feedID, level: level - 1, index: index * 2, base: base, in: db),
            try subtreeHash(feedID: feedID, level: level - 1, index: index * 2 + 1, base: base, in: db))
    }

    /// The hash of perfect subtree (`level`, `index`): read if persisted, else folded from
    /// the persisted level below it.
    static func subtreeHash(feedID: Int64, level: Int, index: UInt64, in db: Database) throws -> SHA256Digest {
        let base = level - level % FeedTree.persistedLevelInterval
        let width = UInt64(1) << UInt64(level - base)
        let first = index << UInt64(level - base)
        let blobs: [Data]
        if base == 0 {
            guard let low = StoreSchema.position(feed: feedID, index: first),
                let high = StoreSchema.position(feed: feedID, index: first + width - 1)
            else { throw MerkleProofError.missingNode(level: level, index: index) }
            blobs = try Data.fetchAll(
                db, sql: "SELECT leaf_hash FROM entries WHERE position BETWEEN ? AND ? ORDER BY position",
                arguments: [low, high])
        } else {
            blobs = try Data.fetchAll(
                db,
                sql: """
                    SELECT hash FROM subtrees WHERE feed_id = ? AND level = ? AND subtree_index BETWEEN ? AND ?
                    ORDER BY subtree_index
                    """, arguments: [feedID, base, Int64(first), Int64(first + width - 1)])
        }
        guard UInt64(blobs.count) == width else { throw MerkleProofError.missingNode(level: level, index: index) }
        var hashes: [SHA256Digest] = []
        hashes.reserveCapacity(blobs.count)
        for blob in blobs {
            guard let digest = SHA256Digest(bytes: blob) else {
                throw StoreError.corrupt("a stored hash is not 32 bytes")
            }
            hashes.append(digest)
        }
        while hashes.count > 1 {
            hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleHash.interior(hashes[$0], hashes[$0 + 1]) }
        }
        return hashes[0]
    }
}
