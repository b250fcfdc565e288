import Foundation
import GRDB
import GRDBSQLite
import TocsinCore
import TocsinCrypto

extension FeedStore {
    /// The authority certificate this data directory trusts (PEM).
    public func authorityCertificatePEM() throws(StoreError) -> String {
        let data = try Self.run {
            try database.read { db in
                try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'authority_certificate'")
            }
        }
        guard let data else { throw StoreError.corrupt("the authority certificate is missing") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every stored charter version, oldest first, as (version, TOML bytes, signature).
    public func charterFiles() throws(StoreError) -> [(version: UInt64, toml: [UInt8], signature: [UInt8])] {
        try Self.run {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT version, toml, signature FROM charters ORDER BY version").map { row in
                    let version: Int64 = row["version"]
                    let toml: Data = row["toml"]
                    let signature: Data = row["signature"]
                    return (UInt64(version), Array(toml), Array(signature))
                }
            }
        }
    }

    /// Every version of the charter held: the genesis charter, then the amendments of the
    /// authority feed, each checked again (signatures, versions, predecessors, keys).
    public func charterChain() throws(StoreError) -> CharterChain {
        let genesis = try genesisCharter()
        let authority: Ed25519PublicKey
        do {
            authority = try Certificate(pem: authorityCertificatePEM()).publicKey()
        } catch {
            throw StoreError.corrupt("the authority certificate is unusable: \(error)")
        }
        let amendments = try entries(origin: AuthorityFeed.origin(of: networkID)).map(\.bytes)
        do {
            return try CharterChain(genesis: genesis, authority: authority, amendments: amendments)
        } catch {
            throw StoreError.corrupt("the stored amendments of the charter do not hold: \(error)")
        }
    }

    /// The genesis charter, with its signature checked against the stored authority.
    public func genesisCharter() throws(StoreError) -> SignedCharter {
        guard let genesis = try charterFiles().first else { throw StoreError.corrupt("no charter is stored") }
        do {
            let authority = try Certificate(pem: authorityCertificatePEM()).publicKey()
            return try SignedCharter(toml: genesis.toml, signatureFile: genesis.signature, authority: authority)
        } catch {
            throw StoreError.corrupt("the stored genesis charter does not verify: \(error)")
        }
    }

    /// The head of every feed, ordered by origin.
    public func heads() throws(StoreError) -> [FeedHead] {
        try Self.run {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM feeds ORDER BY origin").map { try Self.head(row: $0, in: db) }
            }
        }
    }

    /// The head of one feed, or nil if it is not held.
    public func head(of origin: FeedOrigin) throws(StoreError) -> FeedHead? {
        try Self.run {
            try database.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM feeds WHERE origin = ?", arguments: [origin.description]).map {
                    try Self.head(row: $0, in: db)
                }
            }
        }
    }

    /// How many entries of `origin` are stored (0 for a feed not held): a read of one row.
    public func storedSize(of origin: FeedOrigin) throws(StoreError) -> UInt64 {
        try Self.run {
            try database.read { db in
                let size = try Int64.fetchOne(
                    db, sql: "SELECT size FROM feeds WHERE origin = ?", arguments: [origin.description])
                return UInt64(clamping: max(0, size ?? 0))
            }
        }
    }

    static func head(row: Row, in db: Database) throws -> FeedHead {
        let originText: String = row["origin"]
        let origin = try FeedOrigin(parsing: originText)
        let frontierData: Data = row["frontier"]
        let frontier = try MerkleFrontier(serialized: Array(frontierData))
        let feedID: Int64 = row["id"]
        var checkpoint: SignedCheckpoint?
        if let checkpointRow = try Row.fetchOne(
            db, sql: "SELECT id, note FROM checkpoints WHERE feed_id = ? ORDER BY size DESC, id DESC LIMIT 1",
            arguments: [feedID])
        {
            checkpoint = try withCosignatures(checkpointRow, in: db)
        }
        let frozen: Int64 = row["frozen"]
        return FeedHead(
            origin: origin, size: frontier.size, frontier: frontier, checkpoint: checkpoint, isFrozen: frozen != 0,
            base: try base(row: row))
    }

    /// The stored base of a feed row (nil for a feed held from its first entry).
    static func base(row: Row) throws -> MerkleFrontier? {
        guard let data = row["base"] as Data? else { return nil }
        return try MerkleFrontier(serialized: Array(data))
    }

    static func withCosignatures(_ row: Row, in db: Database) throws -> SignedCheckpoint {
        let note: Data = row["note"]
        var checkpoint = try SignedCheckpoint(parsing: Array(note))
        let lines = try String.fetchAll(
            db, sql: "SELECT line FROM cosignatures WHERE checkpoint_id = ? ORDER BY id",
            arguments: [row["id"] as Int64])
        for line in lines {
            let parsed = try SignedNote(parsing: "x\n\n" + line)
            checkpoint = checkpoint.adding(try Cosignature(signature: parsed.signatures[0]))
        }
        return checkpoint
    }

    /// Every stored checkpoint of a feed, smallest first, each with its cosignatures.
    public func checkpoints(of origin: FeedOrigin) throws(StoreError) -> [SignedCheckpoint] {
        try Self.run {
            try database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT checkpoints.id, checkpoints.note FROM checkpoints JOIN feeds ON feeds.id = checkpoints.feed_id
                        WHERE feeds.origin = ? ORDER BY checkpoints.size, checkpoints.id
                        """, arguments: [origin.description]
                ).map { try Self.withCosignatures($0, in: db) }
            }
        }
    }

    /// Entries in log order (feed by feed, index by index), optionally filtered.
    public func entries(
        group: String? = nil, author: String? = nil, origin: FeedOrigin? = nil, from index: UInt64 = 0,
        limit: Int? = nil
    ) throws(StoreError) -> [StoredEntry] {
        try Self.run {
            try database.read { db in
                var conditions = ["entries.entry_index >= ?"]
                var arguments: StatementArguments = [Int64(index)]
                if let group {
                    conditions.append("feeds.group_id = ?")
                    _ = arguments.append(contentsOf: [group])
                }
                if let author {
                    conditions.append("feeds.author = ?")
                    _ = arguments.append(contentsOf: [author])
                }
                if let origin {
                    conditions.append("feeds.origin = ?")
                    _ = arguments.append(contentsOf: [origin.description])
                }
                let limitClause = limit.map { " LIMIT \($0)" } ?? ""
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT feeds.origin, entries.entry_index, entries.leaf_hash, entries.kind,
                               entries.author_time_ms, entries.bytes
                        FROM entries JOIN feeds ON feeds.id = entries.feed_id
                        WHERE \(conditions.joined(separator: " AND "))
                        ORDER BY feeds.origin, entries.entry_index\(limitClause)
                        """, arguments: arguments)
                var result: [StoredEntry] = []
                while let row = try rows.next() { result.append(try Self.entry(row: row)) }
                return result
            }
        }
    }

    /// One entry, or nil if the feed does not hold it.
    public func entry(origin: FeedOrigin, index: UInt64) throws(StoreError) -> StoredEntry? {
        guard index < Checkpoint.maximumSize else { return nil }
        return try entries(of: origin, in: index..<index + 1).first
    }

    /// - Parameter origin: the feed every row is of, when the caller knows it (parsed from
    ///   the row's `origin` otherwise).
    static func entry(row: Row, origin known: FeedOrigin? = nil) throws -> StoredEntry {
        let index: Int64 = row["entry_index"]
        let leafHash: Data = row["leaf_hash"]
        let bytes: Data = row["bytes"]
        let origin = try known ?? FeedOrigin(parsing: row["origin"] as String)
        guard let digest = SHA256Digest(bytes: leafHash) else {
            throw StoreError.corrupt("entry \(origin) #\(index) has a malformed leaf hash")
        }
        return StoredEntry(
            origin: origin, index: UInt64(index), leafHash: digest, kind: row["kind"],
            authorTimeMs: row["author_time_ms"], bytes: Array(bytes))
    }

    /// Every stored fork proof, as stored (verify before believing).
    public func forkProofs() throws(StoreError) -> [ForkProof] {
        let blobs = try Self.run {
            try database.read { db in try Data.fetchAll(db, sql: "SELECT proof FROM fork_proofs ORDER BY id") }
        }
        var proofs: [ForkProof] = []
        for blob in blobs {
            do {
                proofs.append(try ForkProof(serialized: Array(blob)))
            } catch {
                throw StoreError.corrupt("a stored fork proof is unreadable: \(error)")
            }
        }
        return proofs
    }

    /// A verifier primed with what the store holds of `origin` (empty if nothing).
    public func verifier(for origin: FeedOrigin, author: Ed25519PublicKey) throws(StoreError) -> FeedVerifier {
        guard let head = try head(of: origin) else { return FeedVerifier(origin: origin, author: author) }
        return FeedVerifier(
            origin: origin, author: author, frontier: head.frontier, latest: head.checkpoint, isFrozen: head.isFrozen)
    }
}

extension FeedStore {
    /// The root of every stored checkpoint of a feed, by size.
    public func checkpointRoots(of origin: FeedOrigin) throws(StoreError) -> [UInt64: SHA256Digest] {
        try Self.run {
            try database.read { db in
                var roots: [UInt64: SHA256Digest] = [:]
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT checkpoints.size, checkpoints.root FROM checkpoints JOIN feeds ON feeds.id = checkpoints.feed_id
                        WHERE feeds.origin = ?
                        """, arguments: [origin.description])
                while let row = try rows.next() {
                    let size: Int64 = row["size"]
                    let root: Data = row["root"]
                    if let digest = SHA256Digest(bytes: root) { roots[UInt64(size)] = digest }
                }
                return roots
            }
        }
    }

    /// The stored author checkpoint of exactly `size` entries, if any.
    public func checkpoint(of origin: FeedOrigin, size: UInt64) throws(StoreError) -> SignedCheckpoint? {
        try Self.run {
            try database.read { db in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT checkpoints.id, checkpoints.note FROM checkpoints JOIN feeds ON feeds.id = checkpoints.feed_id
                        WHERE feeds.origin = ? AND checkpoints.size = ? ORDER BY checkpoints.id LIMIT 1
                        """, arguments: [origin.description, Int64(size)]
                ).map { try Self.withCosignatures($0, in: db) }
            }
        }
    }
}

extension FeedStore {
    /// The row id of `origin`'s feed, if it is held.
    static func feedID(of origin: FeedOrigin, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            try db.cachedStatement(sql: "SELECT id FROM feeds WHERE origin = ?"), arguments: [origin.description])
    }

    /// The bytes of `origin`'s entries in `range`, in index order, as stored: what a node
    /// serves to a peer, read without decoding anything else of the rows (fewer than
    /// `range.count` when it does not hold them all).
    public func entryBytes(of origin: FeedOrigin, in range: Range<UInt64>) throws(StoreError) -> [Data] {
        try rows(of: origin, in: range, columns: "bytes") { $0[0] }
    }

    /// Calls `body` with the bytes of each stored entry of `range` of `origin`, in index order,
    /// straight from SQLite's row (valid during the call only), until `body` returns false:
    /// serving reads them so, with no copy and no allocation per entry. Returns how many
    /// entries `body` was given.
    public func forEachEntry(
        of origin: FeedOrigin, in range: Range<UInt64>, _ body: (UnsafeRawBufferPointer) -> Bool
    ) throws(StoreError) -> Int {
        let range = range.clamped(to: 0..<Checkpoint.maximumSize)
        guard !range.isEmpty else { return 0 }
        return try Self.run {
            try database.read { db in
                guard let feedID = try Self.feedID(of: origin, in: db) else { return 0 }
                let statement = try db.cachedStatement(
                    sql: "SELECT bytes FROM entries WHERE position BETWEEN ? AND ? ORDER BY position")
                try statement.setArguments([
                    StoreSchema.position(feed: feedID, index: range.lowerBound),
                    StoreSchema.position(feed: feedID, index: range.upperBound - 1),
                ])
                let handle = statement.sqliteStatement
                defer { sqlite3_reset(handle) }
                var count = 0
                while true {
                    let result = sqlite3_step(handle)
                    if result == SQLITE_DONE { return count }
                    guard result == SQLITE_ROW else {
                        throw DatabaseError(
                            resultCode: ResultCode(rawValue: result),
                            message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
                    }
                    count += 1
                    let goesOn = body(
                        UnsafeRawBufferPointer(
                            start: sqlite3_column_blob(handle, 0), count: Int(sqlite3_column_bytes(handle, 0))))
                    if !goesOn { return count }
                }
            }
        }
    }

    /// Entries `range` of one feed, read along the primary key (no scan of other entries).
    public func entries(of origin: FeedOrigin, in range: Range<UInt64>) throws(StoreError) -> [StoredEntry] {
        try rows(of: origin, in: range, columns: "entry_index, leaf_hash, kind, author_time_ms, bytes") {
            try Self.entry(row: $0, origin: origin)
        }
    }

    /// `columns` of `origin`'s entry rows in `range`, in index order, each made into a value.
    func rows<Value>(
        of origin: FeedOrigin, in range: Range<UInt64>, columns: String, _ make: (Row) throws -> Value
    ) throws(StoreError) -> [Value] {
        // No feed holds an index at or beyond 2^40: a range asked from a peer is cut there.
        let range = range.clamped(to: 0..<Checkpoint.maximumSize)
        guard !range.isEmpty else { return [] }
        return try Self.run {
            try database.read { db in
                guard let feedID = try Self.feedID(of: origin, in: db) else { return [] }
                let rows = try Row.fetchCursor(
                    try db.cachedStatement(
                        sql: "SELECT \(columns) FROM entries WHERE position BETWEEN ? AND ? ORDER BY position"),
                    arguments: [
                        StoreSchema.position(feed: feedID, index: range.lowerBound),
                        StoreSchema.position(feed: feedID, index: range.upperBound - 1),
                    ])
                var result: [Value] = []
                result.reserveCapacity(Int(min(range.upperBound - range.lowerBound, 10_000)))
                while let row = try rows.next() { result.append(try make(row)) }
                return result
            }
        }
    }

    /// The index of the first stored entry of `origin` its author wrote at or after
    /// `milliseconds`, or nil if none is that recent: where a member admitted at that time
    /// starts the feed (`CharterChain.historyStart`). Reads the feed's rows in index order,
    /// from `start` (a search that found none so far need not read those rows again).
    public func firstIndex(
        of origin: FeedOrigin, authoredFromMs milliseconds: Int64, from start: UInt64 = 0
    ) throws(StoreError) -> UInt64? {
        guard start < Checkpoint.maximumSize else { return nil }
        return try Self.run {
            try database.read { db in
                guard
                    let feedID = try Int64.fetchOne(
                        db, sql: "SELECT id FROM feeds WHERE origin = ?", arguments: [origin.description]),
                    let low = StoreSchema.position(feed: feedID, index: start),
                    let high = StoreSchema.position(feed: feedID, index: Checkpoint.maximumSize - 1)
                else { return nil }
                let index = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT entry_index FROM entries WHERE position BETWEEN ? AND ? AND author_time_ms >= ?
                        ORDER BY position LIMIT 1
                        """, arguments: [low, high, milliseconds])
                return index.flatMap { $0 >= 0 ? UInt64($0) : nil }
            }
        }
    }
}
