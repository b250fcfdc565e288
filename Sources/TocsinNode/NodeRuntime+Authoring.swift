import Foundation
import Logging
import TocsinCore
import TocsinStore

extension NodeRuntime {
    /// An append waiting for the restore guard to clear in its group.
    struct ReadinessWaiter {
        let group: String
        let entries: [[UInt8]]
        let completion: @Sendable (Result<AppendedEntries, any Error>) -> Void
    }

    /// Appends entries to this node's feed in `group`, stores them durably with a signed
    /// checkpoint, and pushes the checkpoint to the peers that may see the group. Returns once
    /// the batch is durable.
    public func append(group: String, entries: [[UInt8]]) async throws -> AppendedEntries {
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
    ) async throws -> AppendedEntries {
        try await withCheckedThrowingContinuation { continuation in
            appendWhenReady(group: group, entries: entries, timeout: timeout) { continuation.resume(with: $0) }
        }
    }

    /// The callback form of `appendWhenReady`, for executors other than Swift concurrency's
    /// (the consultation queue). `completion` runs on the node queue.
    func appendWhenReady(
        group: String, entries: [[UInt8]], timeout: Duration,
        completion: @escaping @Sendable (Result<AppendedEntries, any Error>) -> Void
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
        group: String, entries: [[UInt8]], completion: @escaping @Sendable (Result<AppendedEntries, any Error>) -> Void
    ) {
        queue.async { self.appendOnQueue(group: group, entries: entries, completion: completion) }
    }

    /// An append accepted and waiting for the writer.
    struct PendingAppend: Sendable {
        let origin: FeedOrigin
        let entries: [[UInt8]]
        let byteCount: Int
        let started: ContinuousClock.Instant
        let completion: @Sendable (Result<AppendedEntries, any Error>) -> Void
    }

    /// Checks the append and queues it for the writer; completes once it is durable. On the
    /// node queue; never waits.
    ///
    /// Group commit: while one write of this node's appends is in flight, the appends that
    /// come in wait, and the next write takes them all, one batch and one signed checkpoint
    /// per feed, in one durable transaction. A single caller's append is written at once; under
    /// load, one fsync, one signature and one checkpoint pushed to peers serve many appends.
    func appendOnQueue(
        group: String, entries: [[UInt8]], completion: @escaping @Sendable (Result<AppendedEntries, any Error>) -> Void
    ) {
        let started = ContinuousClock.now
        let origin: FeedOrigin
        do {
            origin = try precheck(group)
            let readiness = sync.appendReadiness(group: group)
            guard trustLocalLog || readiness == .ready else {
                throw NodeError.ownFeedUnconfirmed(group: group, readiness)
            }
            guard !entries.isEmpty else { throw FeedRejection.emptyBatch }
            if let exceeded = FeedBatch.limitExceeded(by: entries) { throw exceeded }
        } catch {
            completion(.failure(error))
            return
        }
        pendingAppends.append(
            PendingAppend(
                origin: origin, entries: entries, byteCount: FeedBatch.byteCount(of: entries), started: started,
                completion: completion))
        if !appendWriteInFlight { writePendingAppends() }
    }

    /// Signs one batch per feed from the appends waiting (as many as a batch may hold; the rest
    /// wait for the next write) and hands them to the writer in one transaction. On the node
    /// queue.
    func writePendingAppends() {
        var batches: [(batch: FeedBatch, appends: [PendingAppend])] = []
        // Until something is to be written, or nothing is left waiting.
        while batches.isEmpty && !pendingAppends.isEmpty {
            batches = signPendingAppends()
        }
        guard !batches.isEmpty else { return }
        appendWriteInFlight = true
        let now = clock()
        // After every write already queued, and durable before the callers hear back.
        writer.async { [self, batches] in
            let written: Result<Void, StoreError>
            do throws(StoreError) {
                try commit { () throws(StoreError) in try store.append(batches.map(\.batch), now: now) }
                written = .success(())
            } catch {
                written = .failure(error)
            }
            queue.async { [self] in
                appendWriteInFlight = false
                for (batch, appends) in batches {
                    let origin = batch.origin
                    if let held = authoring[origin] {
                        // A failed write fails every batch signed after it too: start again from the store.
                        authoring[origin] = held.inFlight > 1 ? (held.frontier, held.inFlight - 1) : nil
                    }
                    switch written {
                    case .success:
                        emitStored(batch)
                        perform(sync.appended(batch))
                        var index = batch.firstIndex
                        for pending in appends {
                            metrics.recordAppend(ContinuousClock.now - pending.started)
                            pending.completion(
                                .success(
                                    AppendedEntries(
                                        batch: batch, firstIndex: index, count: pending.entries.count)))
                            index += UInt64(pending.entries.count)
                        }
                    case .failure(let error):
                        storeFailed(error, while: "appending to \(origin)")
                        let failure = NodeError.storeCannotWrite(StoreFailure(reason: "\(error)", since: clock()))
                        for pending in appends { pending.completion(.failure(failure)) }
                    }
                }
                // A completion may have started a write already.
                if !appendWriteInFlight { writePendingAppends() }
            }
        }
    }

    /// Takes the appends that fit one batch per feed off `pendingAppends` and signs them: the
    /// batches to write, with the appends each holds. An append that cannot be signed now
    /// fails alone. On the node queue.
    func signPendingAppends() -> [(batch: FeedBatch, appends: [PendingAppend])] {
        var taken: [FeedOrigin: [PendingAppend]] = [:]
        var order: [FeedOrigin] = []
        var left: [PendingAppend] = []
        var waitingFeeds: Set<FeedOrigin> = []
        var room: [FeedOrigin: (count: Int, bytes: Int)] = [:]
        for pending in pendingAppends {
            let used = room[pending.origin] ?? (0, 0)
            // Appends of one feed stay in the order they came: once one waits, the later wait too.
            guard !waitingFeeds.contains(pending.origin), used.count + pending.entries.count <= FeedBatch.maximumCount,
                used.bytes + pending.byteCount <= FeedBatch.maximumBytes
            else {
                waitingFeeds.insert(pending.origin)
                left.append(pending)
                continue
            }
            if taken[pending.origin] == nil { order.append(pending.origin) }
            taken[pending.origin, default: []].append(pending)
            room[pending.origin] = (used.count + pending.entries.count, used.bytes + pending.byteCount)
        }
        pendingAppends = left
        var batches: [(batch: FeedBatch, appends: [PendingAppend])] = []
        for origin in order {
            let appends = taken[origin] ?? []
            do {
                _ = try precheck(origin.group)
                // The restore guard again: a peer met while these waited may have shown that
                // this node's copy of its own feed is behind.
                let readiness = sync.appendReadiness(group: origin.group)
                guard trustLocalLog || readiness == .ready else {
                    throw NodeError.ownFeedUnconfirmed(group: origin.group, readiness)
                }
            } catch {
                for pending in appends { pending.completion(.failure(error)) }
                continue
            }
            var frontier = authoring[origin]?.frontier ?? sync.feeds[origin]?.verifier.frontier ?? MerkleFrontier()
            var signed: [(batch: FeedBatch, appends: [PendingAppend])] = []
            do {
                var author = FeedAuthor(origin: origin, key: key, frontier: frontier)
                signed = [(try author.append(appends.flatMap(\.entries)), appends)]
            } catch {
                // One caller's entry is refused: each append is signed on its own, so that only
                // that caller hears of it.
                for pending in appends {
                    do {
                        var author = FeedAuthor(origin: origin, key: key, frontier: frontier)
                        let batch = try author.append(pending.entries)
                        frontier = batch.frontier
                        signed.append((batch, [pending]))
                    } catch {
                        pending.completion(.failure(error))
                    }
                }
            }
            for (batch, _) in signed {
                authoring[origin] = (batch.frontier, (authoring[origin]?.inFlight ?? 0) + 1)
            }
            batches += signed
        }
        return batches
    }
}
