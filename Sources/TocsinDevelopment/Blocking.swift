import NIOPosix

/// Blocking work (running a program to its end, waiting for a process to exit, a blocking
/// socket client) taken off Swift concurrency's few threads, for tests and tools that await it.
/// Its own threads, so that waiting here never starves the node's use of NIO's shared pool;
/// many, because a whole test suite in parallel holds dozens of them in long waits (processes
/// running to their end) and a short request queued behind them would time out.
public enum Blocking {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 64)
        pool.start()
        return pool
    }()

    /// Runs `body` on a thread of its own and returns its result.
    public static func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await pool.runIfActive(body)
    }
}
