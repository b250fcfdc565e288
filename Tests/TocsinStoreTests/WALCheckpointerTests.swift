import Foundation
import GRDB
import Testing
import TocsinCore

@testable import TocsinStore

/// The write-ahead log is copied into the database file by the checkpointer's own connection,
/// off the writer's path, and stays bounded however far the checkpointer falls behind.
@Suite struct WALCheckpointerTests {
    /// A WAL database with `checkpointer` hooked into every connection, and a table of blobs.
    struct Fixture {
        let directory: URL
        let path: String
        let pool: DatabasePool
        let checkpointer: WALCheckpointer

        /// - Parameter checkpointerPath: where the checkpointer's own connection opens (the
        ///   database by default).
        init(threshold: Int32, writerFrames: Int32, checkpointerPath: String? = nil) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-wal-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("test.sqlite").path
            let checkpointer = WALCheckpointer(
                path: checkpointerPath ?? path, threshold: threshold, writerFrames: writerFrames)
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                if let connection = db.sqliteConnection { checkpointer.install(on: connection) }
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in try db.execute(sql: "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)") }
            self.checkpointer = checkpointer
        }

        /// Inserts `count` rows of about one page each in one transaction.
        func write(rows count: Int) throws {
            try pool.write { db in
                for _ in 0..<count {
                    try db.execute(sql: "INSERT INTO blobs (data) VALUES (randomblob(3900))")
                }
            }
        }

        /// Runs `round` `count` times; the largest the log's file was after any of them.
        func largestLog(rounds count: Int, _ round: (Int) throws -> Void) rethrows -> Int {
            var largest = 0
            for index in 0..<count {
                try round(index)
                largest = max(largest, fileSize("-wal"))
            }
            return largest
        }

        func fileSize(_ suffix: String = "") -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path + suffix))?[.size] as? Int) ?? 0
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func aBulkCommitPastTheThresholdIsCopiedIntoTheDatabaseFileByTheCheckpointerNotTheWriter() throws {
        let fixture = try Fixture(threshold: 50, writerFrames: 10_000)
        defer { fixture.remove() }
        let before = fixture.fileSize()
        try fixture.write(rows: 200)
        fixture.checkpointer.waitUntilIdle()
        let counts = fixture.checkpointer.counts
        #expect(counts.background >= 1)
        #expect(counts.writer == 0)
        #expect(counts.limit == 0)
        // 200 pages of blobs are in the database file itself, not only in the log.
        #expect(fixture.fileSize() - before >= 200 * 3_900)
        #expect(try fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") } == 200)
    }

    @Test func aShortLogIsLeftForLaterAndNoCheckpointRuns() throws {
        let fixture = try Fixture(threshold: 500, writerFrames: 10_000)
        defer { fixture.remove() }
        for _ in 0..<5 { try fixture.write(rows: 10) }
        fixture.checkpointer.waitUntilIdle()
        #expect(fixture.checkpointer.counts == (0, 0, 0))
    }

    @Test func theLogRestartsFromItsBeginningOnceCheckpointedSoItStopsGrowing() throws {
        let fixture = try Fixture(threshold: 50, writerFrames: 10_000)
        defer { fixture.remove() }
        let largest = try fixture.largestLog(rounds: 30) { _ in
            try fixture.write(rows: 60)
            fixture.checkpointer.waitUntilIdle()
        }
        // 30 × 60 pages were written; the log never held much more than two rounds of them.
        #expect(largest > 0)
        #expect(largest < 3 * 60 * 4_200)
        #expect(fixture.checkpointer.counts.background >= 15)
    }

    @Test func aCheckpointerThatFallsBehindLeavesTheWriterToBoundTheLog() throws {
        let fixture = try Fixture(threshold: 20, writerFrames: 200)
        defer { fixture.remove() }
        fixture.checkpointer.suspend()
        let largest: Int
        do {
            // Resumed whatever happens: a queue released while suspended traps.
            defer { fixture.checkpointer.resume() }
            largest = try fixture.largestLog(rounds: 40) { _ in try fixture.write(rows: 25) }
        }
        fixture.checkpointer.waitUntilIdle()
        // 1,000 pages written while the checkpointer could not run: the writer checkpointed
        // whenever the log reached 200 frames, so the log never held more than 200 + 25 + a few.
        #expect(fixture.checkpointer.counts.limit >= 3)
        #expect(largest < 240 * 4_200)
        #expect(try fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") } == 1_000)
    }

    @Test func bulkCommitsHandTheCopyToTheCheckpointerAndSmallOnesCopyAsSQLiteWould() {
        func step(_ log: Int32, copied: Int32, committed: Int32, running: Bool = false) -> WALCheckpointer.Step {
            WALCheckpointer.step(
                logFrames: log, checkpointedFrames: copied, committedFrames: committed, backgroundRunning: running,
                threshold: 1_000)
        }
        #expect(step(999, copied: 0, committed: 999) == .nothing)
        #expect(step(1_000, copied: 0, committed: 250) == .background)
        #expect(step(1_000, copied: 0, committed: 249) == .writer)
        #expect(step(5_000, copied: 0, committed: 5_000, running: true) == .nothing)
        // A background checkpoint copied 1,000; small commits came in meanwhile: the next small
        // one finishes it (the log then restarts); a bulk one waits for a threshold's worth.
        #expect(step(1_010, copied: 1_000, committed: 2) == .writer)
        #expect(step(1_300, copied: 1_000, committed: 300) == .nothing)
        #expect(step(2_000, copied: 1_000, committed: 300) == .background)
        #expect(step(1_000, copied: 1_000, committed: 0) == .nothing)
        #expect(step(1, copied: 0, committed: 1) == .nothing)
        // At the writer's limit, whatever runs.
        #expect(
            WALCheckpointer.step(
                logFrames: 16_384, checkpointedFrames: 10_000, committedFrames: 5, backgroundRunning: true,
                threshold: 1_000, writerFrames: 16_384) == .limit)
    }

    @Test func underASteadyLoadOfSmallCommitsTheWriterCheckpointsAsSQLiteWouldAndTheLogRestarts() throws {
        let fixture = try Fixture(threshold: 40, writerFrames: 100_000)
        defer { fixture.remove() }
        let largest = try fixture.largestLog(rounds: 1_500) { _ in try fixture.write(rows: 1) }
        fixture.checkpointer.waitUntilIdle()
        let counts = fixture.checkpointer.counts
        // Over 1,500 frames (one or two a commit): one checkpoint per 40 or so, never one per
        // commit, and none handed to the checkpointer.
        #expect(counts.writer >= 15)
        #expect(counts.writer < 1_500 / 4)
        #expect(counts.background == 0)
        #expect(counts.limit == 0)
        // The log restarts: it stays about a threshold long.
        #expect(largest < 100 * 4_200)
    }

    @Test func bulkAndSmallCommitsMixedShareTheCopyAndKeepTheLogUnderTheWritersLimit() throws {
        let fixture = try Fixture(threshold: 40, writerFrames: 250)
        defer { fixture.remove() }
        let largest = try fixture.largestLog(rounds: 60) { round in
            // A bulk commit hands the copy to the checkpointer; small ones follow at once.
            try fixture.write(rows: round % 3 == 0 ? 50 : 1)
            for _ in 0..<5 { try fixture.write(rows: 1) }
        }
        fixture.checkpointer.waitUntilIdle()
        #expect(fixture.checkpointer.counts.background >= 1)
        // Small commits that land while a copy runs leave it alone, so on a slow machine the
        // log grows until the copy ends (3.4 MB in a CI run without a limit): the writer's limit
        // is what bounds it, 250 frames and one commit of at most 50.
        #expect(largest < 320 * 4_200)
        #expect(try fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") } == 1_340)
    }

    @Test func backToBackBulkCommitsKeepTheLogUnderTheWritersLimit() throws {
        let fixture = try Fixture(threshold: 20, writerFrames: 100)
        defer { fixture.remove() }
        let largest = try fixture.largestLog(rounds: 200) { _ in try fixture.write(rows: 30) }
        fixture.checkpointer.waitUntilIdle()
        // 6,000 pages in commits of 30: whenever the log reached 100 frames the writer copied
        // the rest, waiting for the checkpointer's copy if one was running.
        #expect(largest < 150 * 4_200)
        #expect(try fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") } == 6_000)
    }

    @Test func aCheckpointerThatCannotOpenItsConnectionLeavesTheWriterToBoundTheLog() throws {
        let fixture = try Fixture(
            threshold: 20, writerFrames: 100, checkpointerPath: "/nonexistent/tocsin-wal-test/none.sqlite")
        defer { fixture.remove() }
        let largest = try fixture.largestLog(rounds: 40) { _ in
            try fixture.write(rows: 30)
            fixture.checkpointer.waitUntilIdle()
        }
        let counts = fixture.checkpointer.counts
        // Every background pass failed at once (no retry loop); the writer copied at its limit.
        #expect(counts.background == 0)
        #expect(counts.limit >= 5)
        #expect(largest < 150 * 4_200)
        #expect(try fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") } == 1_200)
    }

    @Test func aReaderHoldingAnOldSnapshotDoesNotMakeTheCheckpointerSpin() throws {
        let fixture = try Fixture(threshold: 40, writerFrames: 100_000)
        defer { fixture.remove() }
        let reader = try DatabaseQueue(path: fixture.path)
        try reader.read { db in
            // A snapshot taken now: no checkpoint may copy past it while this read lasts.
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs")
            for _ in 0..<5 { try fixture.write(rows: 50) }
            Thread.sleep(forTimeInterval: 0.2)
        }
        fixture.checkpointer.waitUntilIdle()
        // A pass or two per bulk commit (a second when the first copied something), not a loop
        // of passes that copy nothing for as long as the reader holds its snapshot.
        #expect(fixture.checkpointer.counts.background >= 1)
        #expect(fixture.checkpointer.counts.background <= 10)
        // Once the reader is gone, the next bulk commit's checkpoint copies everything.
        try fixture.write(rows: 50)
        fixture.checkpointer.waitUntilIdle()
        #expect(try fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM blobs") } == 300)
    }

    @Test func aStoreCheckpointsWhatItAppendsOffTheWritersPath() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        // Batches of 2,000 entries of 1 KB: bulk commits, as in a catch-up.
        let entries = StoreFixture.entries(0..<6_000, byteCount: 1_000)
        for start in stride(from: 0, to: entries.count, by: 2_000) {
            try fixture.store.append(try author.append(Array(entries[start..<start + 2_000])), now: StoreFixture.now)
        }
        fixture.store.checkpointer.waitUntilIdle()
        #expect(fixture.store.checkpointer.counts.background >= 1)
        #expect(fixture.store.checkpointer.counts.limit == 0)
        let databaseFile = fixture.directory.appendingPathComponent(FeedStore.databaseFileName).path
        let size = (try FileManager.default.attributesOfItem(atPath: databaseFile)[.size] as? Int) ?? 0
        #expect(size > 4_000_000)
        #expect(
            try fixture.store.entryBytes(of: try fixture.origin(), in: 5_990..<6_000).map { Array($0) }
                == Array(entries[5_990...]))
    }
}
