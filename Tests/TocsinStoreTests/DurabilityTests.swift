import GRDB
import Testing

@testable import TocsinStore

/// What "durable" means for the store: every commit is synced before it returns.
@Suite struct DurabilityTests {
    /// GRDB turns WAL on with `synchronous = NORMAL`, under which a commit is not synced and a
    /// power loss may take back batches already acknowledged; the store's writer runs FULL.
    @Test func theWriterSyncsEveryCommit() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        for store in [fixture.store, try FeedStore.open(directory: fixture.directory)] {
            let level = try store.database.writeWithoutTransaction { db in
                try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            #expect(level == 2, "synchronous is \(level.map(String.init) ?? "unknown"), not FULL (2)")
            let journal = try store.database.writeWithoutTransaction { db in
                try String.fetchOne(db, sql: "PRAGMA journal_mode")
            }
            #expect(journal == "wal")
        }
    }
}
