import GRDB
import GRDBSQLite
import TocsinCore
import TocsinCrypto

/// Inserts entry rows through one prepared statement, binding the entry bytes and leaf hash
/// in place: an entry is never copied on its way into SQLite.
///
/// `tocsin-bench ingest` times this same writer alone as its raw-insert baseline.
public struct EntryRowWriter {
    private let statement: Statement
    private let database: Database

    /// Prepares the insert into `table`, which has the columns of the `entries` table.
    public init(_ database: Database, table: String = "entries") throws {
        self.database = database
        statement = try database.cachedStatement(
            sql: """
                INSERT INTO \(table) (position, feed_id, entry_index, leaf_hash, kind, author_time_ms, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
    }

    public func insert(
        feedID: Int64, index: UInt64, leafHash: SHA256Digest, kind: Int, authorTimeMs: Int64, bytes: [UInt8]
    ) throws {
        guard let position = StoreSchema.position(feed: feedID, index: index) else {
            throw StoreError.corrupt("entry index \(index) is beyond the largest feed (2^40)")
        }
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_bind_int64(handle, 1, position)
        sqlite3_bind_int64(handle, 2, feedID)
        sqlite3_bind_int64(handle, 3, Int64(index))
        sqlite3_bind_int64(handle, 5, Int64(kind))
        sqlite3_bind_int64(handle, 6, authorTimeMs)
        // The buffers outlive the step, so SQLite may use them without copying (SQLITE_STATIC).
        let result = leafHash.withUnsafeBytes { hash in
            bytes.withUnsafeBytes { entry in
                sqlite3_bind_blob(handle, 4, hash.baseAddress, Int32(hash.count), nil)
                sqlite3_bind_blob(
                    handle, 7, entry.baseAddress ?? UnsafeRawPointer(hash.baseAddress), Int32(entry.count), nil)
                let result = sqlite3_step(handle)
                sqlite3_clear_bindings(handle)
                return result
            }
        }
        guard result == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(database.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: result), message: message)
        }
    }
}
