import Dispatch
import Foundation
import GRDBSQLite

/// Decides when the write-ahead log is copied back into the database file, and copies it on a
/// connection and thread of its own when a bulk write would otherwise wait for it.
///
/// SQLite's own automatic checkpoint runs inside the commit that crosses its threshold (1,000
/// pages): that commit waits while the log is copied into the database file and the file is
/// synced. For a node's live writes (a few pages a commit) that is one short pause in many
/// commits. For catch-up (megabytes a commit) it is half the writer's time: profiled when a
/// node caught up 400,000 entries, the copy took about half the writer's samples, while the
/// other core stood partly idle.
///
/// Each commit reports the log's length to `walCommitted(frames:on:)` (SQLite's WAL hook,
/// which replaces the automatic checkpoint). Once `threshold` frames have come in since the
/// last checkpoint:
/// - after a bulk commit (a quarter of `threshold` or more), a passive checkpoint runs on this
///   checkpointer's queue, which never blocks the writer;
/// - after a small commit, the writer checkpoints, as SQLite would have.
///
/// A passive checkpoint copies what it can; the log restarts from its beginning only when a
/// write begins after a complete checkpoint, and a log whose file keeps growing makes every
/// commit's sync slower. So when small commits landed while a background checkpoint ran, the
/// writer copies those few frames at its next small commit, which completes it. From
/// `writerFrames` on (the checkpointer has fallen behind), the writer checkpoints whatever
/// the commit, after waiting for a background checkpoint that is running (it holds SQLite's
/// checkpoint lock): the log, and the disk it takes, stay bounded.
///
/// Durability is unchanged: a commit is synced in the log before the hook runs, and a
/// checkpoint syncs the database file (`synchronous=FULL`) before the log may be overwritten.
final class WALCheckpointer: @unchecked Sendable {
    /// SQLite's default threshold for its automatic checkpoint.
    static let defaultThreshold: Int32 = 1_000
    /// About 64 MiB of 4 KiB pages.
    static let defaultWriterFrames: Int32 = 16_384

    let threshold: Int32
    let writerFrames: Int32
    private let path: String
    private let queue = DispatchQueue(label: "tocsin.store.checkpoint")
    private let lock = NSLock()
    private var scheduled = false
    /// The log's length at the last commit.
    private var latestFrames: Int32 = 0
    private var completed = 0
    private var writerCheckpoints = 0
    private var limitCheckpoints = 0
    /// How long the log was when the last checkpoint copied it (0 once it restarts).
    private var checkpointedFrames: Int32 = 0
    /// Counts the log's restarts: a background checkpoint's count is kept only if the log has
    /// not restarted since it began.
    private var generation: UInt64 = 0
    /// Only ever touched on `queue` (and in `deinit`, when nothing else can).
    private var connection: OpaquePointer?

    init(
        path: String, threshold: Int32 = WALCheckpointer.defaultThreshold,
        writerFrames: Int32 = WALCheckpointer.defaultWriterFrames
    ) {
        self.path = path
        self.threshold = max(1, threshold)
        self.writerFrames = max(self.threshold, writerFrames)
    }

    deinit {
        if let connection { sqlite3_close_v2(connection) }
    }

    /// Installs the hook on `connection` (every connection of the pool: only the writer
    /// commits). The hook keeps this checkpointer alive no longer than the caller does: the
    /// pool's configuration holds it.
    func install(on connection: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(
            connection,
            { context, connection, _, frames in
                guard let context, let connection else { return SQLITE_OK }
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
                    .walCommitted(frames: frames, on: connection)
                return SQLITE_OK
            }, context)
    }

    /// What a commit leads to.
    enum Step: Equatable {
        case nothing
        /// A checkpoint on the checkpointer's queue.
        case background
        /// A checkpoint on the writer's connection, at once.
        case writer
        /// The log reached `writerFrames`: the writer checkpoints, waiting for a background
        /// checkpoint that holds SQLite's checkpoint lock.
        case limit
    }

    /// Called by SQLite after each commit, on the committing connection, with the log's length.
    func walCommitted(frames: Int32, on connection: OpaquePointer) {
        let step = lock.withLock { () -> Step in
            // A shorter log than before: it has restarted from its beginning.
            let restarted = frames < latestFrames
            if restarted || frames < checkpointedFrames {
                checkpointedFrames = 0
                generation &+= 1
            }
            let added = restarted ? frames : frames - latestFrames
            latestFrames = frames
            let step = Self.step(
                logFrames: frames, checkpointedFrames: checkpointedFrames, committedFrames: added,
                backgroundRunning: scheduled, threshold: threshold, writerFrames: writerFrames)
            if step == .background { scheduled = true }
            return step
        }
        switch step {
        case .nothing: break
        // Handed over once the writer's priority is back: a thread the queue starts for it
        // would otherwise inherit the raise of a bulk write (WriterPriority).
        case .background: WriterPriority.whenNotRaised { self.queue.async { self.run() } }
        case .writer: checkpointOnWriter(connection, waitingForBackground: false) { $0.writerCheckpoints += 1 }
        case .limit: checkpointOnWriter(connection, waitingForBackground: true) { $0.limitCheckpoints += 1 }
        }
    }

    /// The rule: for a log of `logFrames`, of which the last checkpoint copied
    /// `checkpointedFrames`, after a commit of `committedFrames`.
    static func step(
        logFrames: Int32, checkpointedFrames: Int32, committedFrames: Int32, backgroundRunning: Bool,
        threshold: Int32, writerFrames: Int32 = .max
    ) -> Step {
        if logFrames >= writerFrames { return .limit }
        // The running checkpoint is not disturbed; what came in meanwhile is seen next commit.
        if backgroundRunning { return .nothing }
        let uncopied = logFrames - checkpointedFrames
        guard uncopied > 0 else { return .nothing }
        let bulk = committedFrames >= max(1, threshold / 4)
        if uncopied >= threshold { return bulk ? .background : .writer }
        // A background checkpoint copied most of the log: a small commit finishes it, so the
        // log restarts; a bulk one leaves it to the next background checkpoint.
        return checkpointedFrames > 0 && !bulk ? .writer : .nothing
    }

    /// A passive checkpoint on the writer's connection: no other write can begin during it, so
    /// it copies the whole log unless a reader still holds an older snapshot. Errors surface
    /// at the next write, as with SQLite's own checkpoint.
    private func checkpointOnWriter(
        _ connection: OpaquePointer, waitingForBackground: Bool, count: (WALCheckpointer) -> Void
    ) {
        var copiedFrames: Int32 = 0
        var result = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &copiedFrames)
        if result == SQLITE_BUSY, waitingForBackground {
            // A passive checkpoint never waits for the one the checkpointer is running; its
            // queue never waits for the writer, so waiting for it here cannot deadlock.
            queue.sync {}
            result = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &copiedFrames)
        }
        guard result == SQLITE_OK, copiedFrames >= 0 else { return }
        lock.withLock {
            count(self)
            checkpointedFrames = copiedFrames
        }
    }

    /// Waits until no checkpoint is asked for or running (for tests).
    func waitUntilIdle() {
        queue.sync {}
    }

    /// Holds checkpoints back until `resume()`: for tests of a checkpointer that falls behind.
    func suspend() { queue.suspend() }

    func resume() { queue.resume() }

    /// Checkpoints done on the checkpointer's own connection, by the writer after a small
    /// commit, and by the writer because the log reached `writerFrames`.
    var counts: (background: Int, writer: Int, limit: Int) {
        lock.withLock { (completed, writerCheckpoints, limitCheckpoints) }
    }

    private func run() {
        while true {
            let (startedIn, copiedBefore) = lock.withLock { (generation, checkpointedFrames) }
            let copied = checkpoint()
            let again = lock.withLock {
                guard let copied else {
                    // The next commit decides again: no retry in a loop.
                    scheduled = false
                    return false
                }
                completed += 1
                // A count from before the log restarted says nothing of the new log.
                guard generation == startedIn else {
                    scheduled = false
                    return false
                }
                checkpointedFrames = copied
                // Again at once if a bulk write brought a threshold's worth meanwhile, but not
                // if this pass copied nothing (a reader's snapshot holds the rest back) or the
                // writer is about to checkpoint at its limit.
                if copied > copiedBefore, latestFrames < writerFrames, latestFrames - copied >= threshold {
                    return true
                }
                scheduled = false
                return false
            }
            if !again { return }
        }
    }

    /// A passive checkpoint on the checkpointer's own connection: the frames it has copied,
    /// or nil if it could not run.
    private func checkpoint() -> Int32? {
        if connection == nil {
            connection = Self.openConnection(path)
            if connection == nil { return nil }
        }
        var logFrames: Int32 = 0
        var copiedFrames: Int32 = 0
        let result = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames)
        if result == SQLITE_BUSY { return nil }  // the writer is checkpointing at its limit
        guard result == SQLITE_OK, logFrames >= 0, copiedFrames >= 0 else {
            // Not in WAL mode as seen from this connection, or failing: opened again next time.
            sqlite3_close_v2(connection)
            connection = nil
            return nil
        }
        return copiedFrames
    }

    /// A connection for checkpoints, in WAL mode, or nil.
    private static func openConnection(_ path: String) -> OpaquePointer? {
        var opened: OpaquePointer?
        guard sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            sqlite3_close_v2(opened)
            return nil
        }
        sqlite3_busy_timeout(opened, 1_000)
        // The database file is synced before the log may be overwritten; and a first read
        // opens the log (a connection that has read nothing is not yet in WAL mode).
        guard
            sqlite3_exec(opened, "PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_schema", nil, nil, nil)
                == SQLITE_OK
        else {
            sqlite3_close_v2(opened)
            return nil
        }
        return opened
    }
}
