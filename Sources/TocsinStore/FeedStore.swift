import Foundation
import GRDB
import TocsinCore
import TocsinCrypto

/// A node's durable log: every feed it holds, with checkpoints, cosignatures and fork proofs,
/// in one SQLite database (WAL, `synchronous=FULL`) in the data directory.
///
/// A batch is written with its checkpoint in one transaction or not at all. What the store
/// holds is append-only: the API offers no update or delete, and triggers refuse them.
public final class FeedStore: Sendable {
    /// The database file inside a data directory.
    public static let databaseFileName = "tocsin.sqlite"

    let database: DatabasePool
    /// Copies the write-ahead log into the database file off the writer's path.
    let checkpointer: WALCheckpointer
    /// The data directory.
    public let directory: URL
    /// The network this store belongs to.
    public let networkID: NetworkID

    private init(database: DatabasePool, checkpointer: WALCheckpointer, directory: URL) throws(StoreError) {
        self.database = database
        self.checkpointer = checkpointer
        self.directory = directory
        let id: Data? = try Self.run {
            try database.read { db in try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'network_id'") }
        }
        guard let id, let digest = SHA256Digest(bytes: id) else {
            throw StoreError.corrupt("the network id is missing from the meta table")
        }
        self.networkID = NetworkID(digest: digest)
    }

    /// Creates a data directory (mode 0700) for the network founded by `genesis`, trusting
    /// `authorityCertificatePEM` as its authority.
    public static func create(
        at directory: URL, genesis: SignedCharter, authorityCertificatePEM: String, now: Date
    ) throws(StoreError) -> FeedStore {
        let path = directory.appendingPathComponent(databaseFileName).path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError.alreadyInitialised(path: directory.path)
        }
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.database("cannot create \(directory.path): \(error.localizedDescription)")
        }
        let (database, checkpointer) = try openPool(path: path)
        try run {
            try StoreSchema.migrator.migrate(database)
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES ('network_id', ?), ('authority_certificate', ?)",
                    arguments: [Data(genesis.networkID.digest.bytes), Data(authorityCertificatePEM.utf8)])
                try db.execute(
                    sql: "INSERT INTO charters (version, toml, signature, stored_at_ms) VALUES (?, ?, ?, ?)",
                    arguments: [
                        Int64(genesis.charter.version), Data(genesis.bytes), Data(genesis.signature), milliseconds(now),
                    ])
            }
        }
        return try FeedStore(database: database, checkpointer: checkpointer, directory: directory)
    }

    /// Opens an existing data directory.
    public static func open(directory: URL) throws(StoreError) -> FeedStore {
        let path = directory.appendingPathComponent(databaseFileName).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.notADataDirectory(path: directory.path)
        }
        let (database, checkpointer) = try openPool(path: path)
        try run {
            let applied = try database.read { db in try StoreSchema.migrator.appliedIdentifiers(db) }
            let known = Set(StoreSchema.migrator.migrations)
            if applied.contains(where: { !known.contains($0) }) {
                throw StoreError.schemaTooNew(found: applied.count, supported: known.count)
            }
            try StoreSchema.migrator.migrate(database)
        }
        return try FeedStore(database: database, checkpointer: checkpointer, directory: directory)
    }

    private static func openPool(path: String) throws(StoreError) -> (DatabasePool, WALCheckpointer) {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // Held by the pool's configuration: it lives as long as any connection of the pool.
        let checkpointer = WALCheckpointer(path: path)
        configuration.prepareDatabase { db in
            // Durable on return: a crash or power loss never loses an acknowledged batch.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The log is copied back into the database file off the writer's path.
            if let connection = db.sqliteConnection { checkpointer.install(on: connection) }
        }
        return try run {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // Again on the writer: GRDB sets `synchronous = NORMAL` when it turns WAL on, after
            // `prepareDatabase`, and in WAL mode NORMAL does not sync a commit (a power loss may
            // take back batches already acknowledged and announced).
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            return (pool, checkpointer)
        }
    }

    /// Runs database work, turning GRDB's errors into `StoreError`.
    static func run<Result>(_ body: () throws -> Result) throws(StoreError) -> Result {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError.database(error.message ?? error.description)
        } catch {
            throw StoreError.database(String(describing: error))
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

extension FeedStore {
    /// Frees the page caches of idle connections (and closes idle readers): for a node that has
    /// just read a whole log and will now idle.
    public func releaseMemory() {
        database.releaseMemory()
    }
}
