import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the store's bulk writes ahead of the process's other threads, where the system allows
/// it.
///
/// The writer is the one stage of a node that cannot be spread over cores: SQLite takes one
/// write at a time, while verifying, serving and the event loops can run on any core. Profiled
/// on two cores, a node catching up from a relay kept its writer busy from its first commit to
/// its last, yet the scheduler gave it about two thirds of a core, sharing it with threads that
/// had time to spare (Docs/BENCHMARKS.md).
///
/// Linux keeps a nice value per thread: a bulk write (`isBulk`: a catch-up's transactions, a
/// thousand entries or a megabyte and more) lowers its thread's by `raise` for the transaction
/// (its commit, and a checkpoint the writer makes itself) and sets it back afterwards. Live
/// traffic's small writes keep the thread's priority: raised, three nodes' writers on two cores
/// delayed the sessions that carry their batches to each other (`replicated`'s all-three p99
/// rose by three quarters). Raising takes CAP_SYS_NICE, or an RLIMIT_NICE that allows it (the
/// shipped systemd unit sets `LimitNICE=-5`): the raise goes as far as the limit allows, and
/// where nothing is allowed the refusal is remembered and writes run at the thread's own
/// priority, as before. Work the raised thread hands to other threads is handed over once its
/// priority is back (`whenNotRaised`): a thread started meanwhile would inherit the raise and
/// keep it. Systems other than Linux keep one nice value per process: there writes run
/// unchanged.
public enum WriterPriority {
    /// How far a bulk write lowers its thread's nice value (5: about three times the CPU share
    /// of a thread at the thread's own value, when both want the same core).
    public static let raise: Int32 = 5

    /// A transaction of at least this many entries is a bulk write.
    public static let bulkEntries = 1_000
    /// Or of at least this many bytes of entries.
    public static let bulkBytes = 1 << 20

    /// Whether a transaction of `entries` entries holding `bytes` bytes is a bulk write.
    public static func isBulk(entries: Int, bytes: Int) -> Bool {
        entries >= bulkEntries || bytes >= bulkBytes
    }

    /// Set once the system refused any raise at all: later writes do not ask again.
    private static let refused = Atomic<Bool>(false)

    /// Runs `body` with the calling thread's priority raised by `raise` if `raising` (a bulk
    /// write) and the system allows it; as it is otherwise.
    public static func run<Result, Failure: Error>(
        raising: Bool, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        #if canImport(Glibc)
            return try run(raising: raising, with: .thread, refused: refused, body)
        #else
            return try body()
        #endif
    }

    /// Whether a bulk write on the calling thread would run raised: tried, and set back.
    public static var isAvailable: Bool {
        #if canImport(Glibc)
            guard let before = Control.thread.current() else { return false }
            return run(raising: true, with: .thread, refused: refused) { Control.thread.current().map { $0 < before } }
                ?? false
        #else
            return false
        #endif
    }

    /// Runs `action` now, or, on a thread whose priority a write has raised, as soon as the
    /// write has set it back: for work handed to other threads from inside a transaction.
    public static func whenNotRaised(_ action: @escaping () -> Void) {
        guard let deferred = Thread.current.threadDictionary[deferredKey] as? Deferred else {
            action()
            return
        }
        deferred.actions.append(action)
    }

    /// Reads and sets a nice value: the calling thread's, or a test's stand-in.
    struct Control: Sendable {
        var current: @Sendable () -> Int32?
        var set: @Sendable (Int32) -> Bool
        /// The lowest nice value RLIMIT_NICE allows without CAP_SYS_NICE (`20 - limit`), if
        /// known.
        var floor: @Sendable () -> Int32?
    }

    /// Actions waiting for the calling thread's priority to come back.
    final class Deferred {
        var actions: [() -> Void] = []
    }

    static let deferredKey = "tocsin.writer-priority.deferred"

    /// The rule, with `control` for the thread: raise as far as allowed, run, set back, then
    /// run what was deferred; remember that nothing at all is allowed.
    static func run<Result, Failure: Error>(
        raising: Bool, with control: Control, refused: borrowing Atomic<Bool>, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard raising, !refused.load(ordering: .relaxed), let before = control.current(),
            raise(from: before, with: control, refused: refused) != nil
        else { return try body() }
        let dictionary = Thread.current.threadDictionary
        let outer = dictionary[deferredKey]
        let deferred = Deferred()
        dictionary[deferredKey] = deferred
        defer {
            _ = control.set(before)
            dictionary[deferredKey] = outer
            for action in deferred.actions { action() }
        }
        return try body()
    }

    /// Lowers the nice value from `before`: by `raise`, or as far as RLIMIT_NICE allows. The
    /// value set, or nil when nothing was lowered (a refusal of any raise is remembered; a
    /// thread already at its floor is left as it is).
    static func raise(from before: Int32, with control: Control, refused: borrowing Atomic<Bool>) -> Int32? {
        let wanted = max(-20, before - raise)
        guard wanted < before else { return nil }
        if control.set(wanted) { return wanted }
        // Without CAP_SYS_NICE, RLIMIT_NICE bounds how low the value may go.
        guard let floor = control.floor(), floor < 20 else {
            refused.store(true, ordering: .relaxed)
            return nil
        }
        let allowed = max(wanted, floor)
        guard allowed < before else { return nil }
        if control.set(allowed) { return allowed }
        refused.store(true, ordering: .relaxed)
        return nil
    }

    #if canImport(Glibc)
        /// The calling thread's nice value (on Linux, `PRIO_PROCESS` with 0 names the calling
        /// thread), or nil if it cannot be read (-1 is a valid value: errno tells).
        static func currentNice() -> Int32? {
            errno = 0
            let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            return value == -1 && errno != 0 ? nil : value
        }

        /// `20 - RLIMIT_NICE`, clamped to the nice range; nil if the limit cannot be read.
        static func rlimitFloor() -> Int32? {
            var limit = rlimit()
            guard getrlimit(__rlimit_resource_t(__RLIMIT_NICE.rawValue), &limit) == 0 else { return nil }
            let allowed = min(UInt64(40), UInt64(limit.rlim_cur))
            return 20 - Int32(allowed)
        }
    #endif
}

#if canImport(Glibc)
    extension WriterPriority.Control {
        /// The calling thread's own nice value.
        static let thread = WriterPriority.Control(
            current: { WriterPriority.currentNice() },
            set: { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, $0) == 0 },
            floor: { WriterPriority.rlimitFloor() })
    }
#endif
