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
/// (commit and checkpoint included) and sets it back afterwards. Live traffic's small writes
/// keep the thread's own priority: raised, three nodes' writers on two cores delayed the
/// sessions that carry their batches to each other (`replicated`'s all-three latency rose by
/// half). Raising takes CAP_SYS_NICE, or an RLIMIT_NICE that allows it (the shipped systemd
/// unit sets `LimitNICE=-5`); where neither is granted, the first refusal is remembered and
/// writes run at the thread's own priority, as before. Other systems keep one nice value per
/// process: there writes run unchanged.
public enum WriterPriority {
    /// How far a write lowers its thread's nice value (5: about three times the CPU share of
    /// a thread at the same nice value as before, when both want the same core).
    public static let raise: Int32 = 5

    /// A transaction of at least this many entries is a bulk write.
    public static let bulkEntries = 1_000
    /// Or of at least this many bytes of entries.
    public static let bulkBytes = 1 << 20

    /// Whether a transaction of `entries` entries holding `bytes` bytes is a bulk write.
    public static func isBulk(entries: Int, bytes: Int) -> Bool {
        entries >= bulkEntries || bytes >= bulkBytes
    }

    /// Set once the system refused to raise a thread's priority: later writes do not ask again.
    private static let refused = Atomic<Bool>(false)

    /// Runs `body` with the calling thread's priority raised by `raise` if `raising` (a bulk
    /// write) and the system allows it; as it is otherwise.
    public static func run<Result, Failure: Error>(
        raising: Bool = true, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        #if os(Linux)
            guard raising else { return try body() }
            return try run(with: .thread, refused: refused, body)
        #else
            return try body()
        #endif
    }

    /// Whether a write's priority is raised here: tried on the calling thread, and set back.
    public static var isAvailable: Bool {
        #if os(Linux)
            return run(with: .thread, refused: refused) { () -> Bool in
                Control.thread.current() != nil && !refused.load(ordering: .relaxed)
            }
        #else
            return false
        #endif
    }

    /// Reads and sets a nice value: the calling thread's, or a test's stand-in.
    struct Control: Sendable {
        var current: @Sendable () -> Int32?
        var set: @Sendable (Int32) -> Bool
    }

    /// The rule, with `control` for the thread: raise, run, set back; remember a refusal.
    static func run<Result, Failure: Error>(
        with control: Control, refused: borrowing Atomic<Bool>, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard !refused.load(ordering: .relaxed), let before = control.current() else { return try body() }
        guard control.set(max(-20, before - raise)) else {
            refused.store(true, ordering: .relaxed)
            return try body()
        }
        defer { _ = control.set(before) }
        return try body()
    }

    #if os(Linux)
        /// The calling thread's nice value (on Linux, `PRIO_PROCESS` with 0 names the calling
        /// thread), or nil if it cannot be read (-1 is a valid value: errno tells).
        static func currentNice() -> Int32? {
            errno = 0
            let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            return value == -1 && errno != 0 ? nil : value
        }
    #endif
}

#if os(Linux)
    extension WriterPriority.Control {
        /// The calling thread's own nice value.
        static let thread = WriterPriority.Control(
            current: { WriterPriority.currentNice() },
            set: { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, $0) == 0 })
    }
#endif
