import Foundation

/// Waits for a condition that another process or thread brings about, by checking it again
/// at short intervals until it holds or the time is up: for tests, the demo and benchmarks
/// that watch real daemons (in-process code waits on events instead).
public struct Eventually: Sendable {
    public var timeout: TimeInterval
    public var interval: TimeInterval
    /// Checked before each attempt: throwing gives up at once (a daemon watched has exited).
    public var abandon: (@Sendable () throws -> Void)?

    public init(
        timeout: TimeInterval = 30, interval: TimeInterval = 0.05, abandon: (@Sendable () throws -> Void)? = nil
    ) {
        self.timeout = timeout
        self.interval = interval
        self.abandon = abandon
    }

    /// The first value `probe` gives (errors count as "not yet"; the last one is reported),
    /// blocking the calling thread between attempts: for synchronous code only.
    public func blockingValue<Value>(_ what: String, _ probe: () throws -> Value?) throws -> Value {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        repeat {
            try abandon?()
            do {
                if let value = try probe() { return value }
                lastError = nil
            } catch {
                lastError = error
            }
            Thread.sleep(forTimeInterval: interval)
        } while Date() < deadline
        throw TimedOut(what: what, seconds: timeout, lastError: lastError.map { "\($0)" })
    }

    /// Returns once `condition` holds, blocking the calling thread: for synchronous code only.
    public func blockingHolds(_ what: String, _ condition: () throws -> Bool) throws {
        _ = try blockingValue(what) { try condition() ? true : nil }
    }

    /// The first value `probe` gives (errors count as "not yet"; the last one is reported); it
    /// sleeps between attempts without holding a thread.
    public func value<Value>(_ what: String, _ probe: () async throws -> Value?) async throws -> Value {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        repeat {
            try abandon?()
            do {
                if let value = try await probe() { return value }
                lastError = nil
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        } while Date() < deadline
        throw TimedOut(what: what, seconds: timeout, lastError: lastError.map { "\($0)" })
    }

    /// Returns once `condition` holds; it sleeps between attempts without holding a thread.
    public func holds(_ what: String, _ condition: () async throws -> Bool) async throws {
        _ = try await value(what) { try await condition() ? true : nil }
    }
}
