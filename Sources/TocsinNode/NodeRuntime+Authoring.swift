import Foundation
import Logging
import TocsinCore
import TocsinStore

extension NodeRuntime {
    /// An append waiting for the restore guard to clear in its group.
    struct ReadinessWaiter {
        let group: String
        let entries: [[UInt8]]
        let completion: @Sendable (Result<FeedBatch, any Error>) -> Void
    }

    /// Appends entries to this node's feed in `group`, stores them durably with a signed
    /// checkpoint, and pushes the checkpoint to the peers that may see the group. Returns once
    /// the batch is durable.
    public func append(group: String, entries: [[UInt8]]) async throws -> FeedBatch {
        try await withCheckedThrowingContinuation { continuation in
            append(group: group, entries: entries) { continuation.resume(with: $0) }
        }
    }

    /// Appends as `append(group:entries:)` does, first giving the restore guard up to `timeout`
    /// to clear: a node that has just started learns its own heads from the first peer it meets.
    /// It resumes on the event that clears the guard (a peer's `Heads`, a stored batch of its
    /// own feed), not by polling.
    public func appendWhenReady(
        group: String, entries: [[UInt8]], timeout: Duration = .seconds(10)
    ) async throws -> FeedBatch {
        try await withCheckedThrowingContinuation { continuation in
            appendWhenReady(group: group, entries: entries, timeout: timeout) { continuation.resume(with: $0) }
        }
    }

    /// The callback form of `appendWhenReady`, for executors other than Swift concurrency's
    /// (the consultation queue). `completion` runs on the node queue.
    func appendWhenReady(
        group: String, entries: [[UInt8]], timeout: Duration,
        completion: @escaping @Sendable (Result<FeedBatch, any Error>) -> Void
    ) {
        queue.async { [self] in
            // What waiting cannot mend is refused at once: a group this node is not in, a
            // frozen feed, a node that is stopping.
            guard !trustLocalLog, sync.appendReadiness(group: group) != .ready, (try? precheck(group)) != nil
            else {
                appendOnQueue(group: group, entries: entries, completion: completion)
                return
            }
            let id = nextWaiterID
            nextWaiterID &+= 1
            readinessWaiters[id] = ReadinessWaiter(group: group, entries: entries, completion: completion)
            queue.asyncAfter(deadline: .now() + .milliseconds(Self.milliseconds(timeout))) { [self] in
                guard let waiter = readinessWaiters.removeValue(forKey: id) else { return }
                waiter.completion(
                    .failure(NodeError.ownFeedUnconfirmed(group: group, sync.appendReadiness(group: group))))
            }
        }
    }

    /// A duration in whole milliseconds, within 0 ... one day (a caller's timeout never
    /// overflows the dispatch time it becomes).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        guard seconds < 86_400 else { return 86_400_000 }
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Runs the appends whose group the restore guard now lets through. On the node queue.
    func wakeReadinessWaiters() {
        guard !readinessWaiters.isEmpty else { return }
        for (id, waiter) in readinessWaiters.sorted(by: { $0.key < $1.key })
        where sync.appendReadiness(group: waiter.group) == .ready {
            readinessWaiters[id] = nil
            appendOnQueue(group: waiter.group, entries: waiter.entries, completion: waiter.completion)
        }
    }

    func failReadinessWaiters(with error: any Error) {
        let waiting = readinessWaiters.values
        readinessWaiters = [:]
        for waiter in waiting { waiter.completion(.failure(error)) }
    }

    /// What makes an append to this node's feed in `group` impossible whatever the restore
    /// guard says; the feed's origin otherwise. On the node queue.
    func precheck(_ group: String) throws -> FeedOrigin {
        guard !stopped else { throw NodeError.stopped }
        if let storeFailure { throw NodeError.storeCannotWrite(storeFailure) }
        if case .refused(let refusal) = permissions.verdict(nodeID, .see(group: group)) {
            throw NodeError.notAMember(nodeID: nodeID, group: group, reason: refusal.description)
        }
        let origin = try FeedOrigin(network: store.networkID, group: group, author: nodeID)
        guard sync.forkProofs[origin] == nil else { throw StoreError.frozen(origin: origin.description) }
        return origin
    }

    /// The callback form of `append(group:entries:)`. `completion` runs on the node queue.
    func append(
        group: String, entries: [[UInt8]], completion: @escaping @Sendable (Result<FeedBatch, any Error>) -> Void
    ) {
        queue.async { self.appendOnQueue(group: group, entries: entries, completion: completion) }
    }

    /// Signs the batch at once (so that appends made in a row build on each other), hands it
    /// to the writer, and completes once it is durable. On the node queue; never waits.
    func appendOnQueue(
        group: String, entries: [[UInt8]], completion: @escaping @Sendable (Result<FeedBatch, any Error>) -> Void
    ) {
        let started = ContinuousClock.now
        let batch: FeedBatch
        let origin: FeedOrigin
        do {
            origin = try precheck(group)
            let readiness = sync.appendReadiness(group: group)
            guard trustLocalLog || readiness == .ready else {
                throw NodeError.ownFeedUnconfirmed(group: group, readiness)
            }
            let frontier = authoring[origin]?.frontier ?? sync.feeds[origin]?.verifier.frontier ?? MerkleFrontier()
            var author = FeedAuthor(origin: origin, key: key, frontier: frontier)
            batch = try author.append(entries)
        } catch {
            completion(.failure(error))
            return
        }
        authoring[origin] = (batch.frontier, (authoring[origin]?.inFlight ?? 0) + 1)
        let now = clock()
        // After every write already queued, and durable before the caller hears back.
        writer.async { [self] in
            let written: Result<Void, StoreError>
            do throws(StoreError) {
                try commit { () throws(StoreError) in try store.append(batch, now: now) }
                written = .success(())
            } catch {
                written = .failure(error)
            }
            queue.async { [self] in
                if let held = authoring[origin] {
                    // A failed write fails every batch signed after it too: start again from the store.
                    authoring[origin] = held.inFlight > 1 ? (held.frontier, held.inFlight - 1) : nil
                }
                switch written {
                case .success:
                    metrics.recordAppend(ContinuousClock.now - started)
                    emit(.stored(origin: origin, size: batch.frontier.size))
                    perform(sync.appended(batch))
                    completion(.success(batch))
                case .failure(let error):
                    storeFailed(error, while: "appending to \(origin)")
                    completion(.failure(NodeError.storeCannotWrite(StoreFailure(reason: "\(error)", since: clock()))))
                }
            }
        }
    }
}
