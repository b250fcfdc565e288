import Foundation
import Logging
import NIOCore
import TocsinCore
import TocsinNet
import TocsinStore

extension NodeRuntime {
    /// Writes one frame to `peer`'s session, if it has one. On the node queue.
    func send(_ message: Tocsin_V1_Message, to peer: String) {
        guard let id = sessions.session(of: peer), let channel = channels[id] else { return }
        // An error message is a refusal of the peer, counted whether or not it can be sent.
        if case .error(let error) = message.body {
            metrics.countRejection(peer: peer, reason: String(describing: error.code))
        }
        // A peer that stops reading does not make this node buffer without bound: past
        // `unreadLimit` with its send buffer over the high-water mark, the session is closed.
        if !channel.isWritable {
            let now = DispatchTime.now().uptimeNanoseconds
            let since = unwritableSince[id] ?? now
            unwritableSince[id] = since
            if now - since > Self.unreadLimit.nanoseconds {
                logger.warning(
                    "closing session",
                    metadata: [
                        "peer": "\(peer)",
                        "reason": "the peer has read nothing for \(Self.unreadLimit.nanoseconds / 1_000_000_000) s",
                    ])
                unwritableSince[id] = nil
                metrics.countRejection(peer: peer, reason: "unread")
                channel.close(promise: nil)
                return
            }
        } else {
            unwritableSince[id] = nil
        }
        countFrame(message)
        channel.writeAndFlush(message, promise: nil)
    }

    /// Runs one store transaction, timing it for `tocsin_store_commit_duration_seconds`. On
    /// the writer.
    @discardableResult
    func commit<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        let start = ContinuousClock.now
        defer { metrics.recordStoreCommit(ContinuousClock.now - start) }
        return try body()
    }

    /// Carries out the sync machine's actions, in order. On the node queue; store writes go
    /// to the writer, which reports back here.
    func perform(_ actions: [SyncAction]) {
        // A stopping node sends, stores and examines nothing more (a timer or an event already
        // queued may still call in).
        guard !stopped else { return }
        // Cosignatures that come together are written together, in one transaction.
        var cosignatures: [(Cosignature, Checkpoint)] = []
        defer {
            if !cosignatures.isEmpty {
                let now = clock()
                writer.async { [self, cosignatures] in
                    do {
                        try commit { try store.addCosignatures(cosignatures, now: now) }
                    } catch {
                        queue.async { self.storeFailed(error, while: "storing cosignatures") }
                    }
                }
            }
        }
        for action in actions {
            switch action {
            case .send(let peer, let message):
                send(message, to: peer)
            case .sendEntries(let peer, let origin, let entries, let announcement):
                // Entries only into a session that takes them at once and owes no served batch
                // they would overtake: a peer that reads slowly is told of the checkpoint, and
                // asks (its `Want` is served with flow control).
                let id = sessions.session(of: peer)
                if let id, channels[id]?.isWritable == true, serving[id]?.hasWaiting != true,
                    deferredServes[id, default: 0] == 0
                {
                    send(entries, to: peer)
                } else {
                    send(announcement, to: peer)
                    sync.entriesWithheld(from: peer, of: origin)
                }
            case .store(let batch):
                storeBacklog.withLockedValue { $0.append(batch, now: clock()) }
                writer.async { [self] in writeStoreBacklog() }
            case .storeCosignature(let cosignature, let checkpoint):
                cosignatures.append((cosignature, checkpoint))
            case .storeOwnCosignature(let cosignature, let checkpoint):
                let now = clock()
                writer.async { [self] in
                    do {
                        try commit { try store.addCosignature(cosignature, to: checkpoint, now: now) }
                        queue.async { self.perform(self.sync.ownCosignatureStored(cosignature, of: checkpoint)) }
                    } catch {
                        queue.async { self.storeFailed(error, while: "storing this node's cosignature") }
                    }
                }
            case .storeForkProof(let proof):
                let now = clock()
                writer.async { [self] in
                    do {
                        try commit { try store.recordForkProof(proof, now: now) }
                        if let origin = try? FeedOrigin(parsing: proof.origin) {
                            queue.async { self.emit(.forkRecorded(origin: origin)) }
                        }
                    } catch {
                        queue.async { self.storeFailed(error, while: "storing a fork proof") }
                    }
                }
            case .rememberOwnFeed(let origin, let size):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.recordOwnFeedKnown(origin, size: size, now: now)
                    } catch {
                        queue.async {
                            self.storeFailed(error, while: "remembering what a peer holds of \(origin)")
                        }
                    }
                }
            case .serve(let peer, let origin, let range):
                serve(peer: peer, origin: origin, span: range)
            case .serveFromAdmission(let peer, let origin, let admittedMs, let from, let end):
                serveFromAdmission(peer: peer, origin: origin, admittedMs: admittedMs, from: from, end: end)
            case .examine(let origin, let checkpoint):
                examine(origin: origin, checkpoint: checkpoint)
            case .close(let peer, let reason):
                logger.warning("closing session", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
                if let id = sessions.session(of: peer) { channels[id]?.close(promise: nil) }
            case .forwardCosignaturesSoon:
                queue.asyncAfter(deadline: .now() + .milliseconds(60)) { [self] in
                    perform(sync.forwardCosignatures())
                }
            case .adoptCharter(let version):
                charterInForce.withLockedValue { $0 = version }
                // A session opened with a key this version no longer pins (rotated, revoked)
                // ends: the pin is checked at the handshake, and the key may be a thief's.
                for (peer, key) in peerKeys.sorted(by: { $0.key < $1.key })
                where !version.charter.pins(nodeID: peer, publicKey: key) {
                    logger.warning(
                        "closing session: charter version \(version.version) no longer pins the key of its certificate",
                        metadata: ["peer": "\(peer)"])
                    metrics.countRejection(peer: peer, reason: "key-not-pinned")
                    if let id = sessions.session(of: peer) { channels[id]?.close(promise: nil) }
                }
                emit(.charterAdopted(version: version.version))
            case .log(let peer, let text, let warning):
                logger.log(
                    level: warning ? .warning : .notice, "\(text)", metadata: peer.map { ["peer": "\($0)"] } ?? [:])
            }
        }
    }

    /// Writes the batches from peers waiting (`storeBacklog`) in one transaction; once durable,
    /// each may be cosigned and is announced. On the writer.
    func writeStoreBacklog() {
        let taken = storeBacklog.withLockedValue { $0.take(maximumBytes: Self.maximumStoreBytes) }
        guard !taken.isEmpty else { return }
        // Sessions held back for this backlog read again once it is written.
        defer { for resume in storeBacklog.withLockedValue({ $0.released() }) { resume() } }
        var stored: [FeedBatch] = []
        var failure: (error: any Error, origin: FeedOrigin)?
        do {
            try commit { try store.append(taken.map(\.batch), now: taken[0].now) }
            stored = taken.map(\.batch)
        } catch  where taken.count == 1 {
            failure = (error, taken[0].batch.origin)
        } catch {
            // All or none: one batch that cannot be written must not hold back the others.
            for (batch, now) in taken {
                do {
                    try commit { _ = try store.append(batch, now: now) }
                    stored.append(batch)
                } catch {
                    failure = failure ?? (error, batch.origin)
                }
            }
        }
        let storedTimeMs = Self.milliseconds(since1970: clock())
        for batch in stored {
            if let authorTimeMs = batch.headers.last?.authorTimeMs {
                metrics.recordReplication(authorTimeMs: authorTimeMs, storedTimeMs: storedTimeMs)
            }
        }
        let failed = failure.map { (reason: $0.error as any Error, origin: $0.origin) }
        queue.async { [self, stored] in
            if let failed {
                storeFailed(failed.reason, while: "storing a verified batch of \(failed.origin)")
            }
            // Durable: now a witness may cosign it, and it is announced.
            let now = UInt64(max(0, clock().timeIntervalSince1970))
            for batch in stored {
                perform(sync.stored(origin: batch.origin, size: batch.frontier.size, now: now))
            }
            // Reported after the writes that asked for (its cosignature) too.
            writer.async { [self] in
                queue.async { for batch in stored { self.emitStored(batch) } }
            }
        }
    }

    /// Answers a `Want`: queues `span` for the peer, to be cut into messages as they are sent
    /// (`pumpServing`). On the node queue: a read of the store (WAL readers never wait for
    /// the writer), never a write.
    func serve(
        peer: String, origin: FeedOrigin, span: Range<UInt64>, base: MerkleFrontier? = nil,
        afterQueuedWrites: Bool = false
    ) {
        guard !stopped, let id = sessions.session(of: peer), channels[id] != nil else { return }
        do {
            guard try store.storedSize(of: origin) >= span.upperBound else {
                // Verified and announced but still queued for the store: serve once the writes
                // queued before this request are done.
                if !afterQueuedWrites {
                    deferredServes[id, default: 0] += 1
                    writer.async { [self] in
                        queue.async {
                            self.deferredServes[id, default: 1] -= 1
                            if self.deferredServes[id] == 0 { self.deferredServes[id] = nil }
                            self.serve(peer: peer, origin: origin, span: span, base: base, afterQueuedWrites: true)
                        }
                    }
                } else {
                    sync.entriesWithheld(from: peer, of: origin)
                    logger.debug(
                        "a wanted range is not stored", metadata: ["origin": "\(origin)", "range": "\(span)"])
                }
                return
            }
            // The base alone, when no entry is recent enough, is one message too: the latest
            // checkpoint shows the member where the feed stands.
            let messages = span.isEmpty ? (base == nil ? 0 : 1) : sync.configuration.maximumBatchesPerWant
            guard messages > 0 else { return }
            let answer = ServingQueue.Answer(
                peer: peer, origin: origin, span: span, messages: messages,
                counted: span.isEmpty ? 1 : sync.servingMessageCount(span, of: origin), base: base)
            guard serving[id, default: ServingQueue()].enqueue(answer) else {
                sync.entriesWithheld(from: peer, of: origin)
                logger.notice(
                    "a peer asks faster than it reads: a Want is left unanswered", metadata: ["peer": "\(peer)"])
                return
            }
            pumpServing(id)
        } catch {
            logger.error("reading entries to serve failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }

    /// Answers a `Want` of a member that receives `origin`'s group from its admission
    /// (`SyncAction.serveFromAdmission`): from 0, from the cut (the first entry authored at or
    /// after its admission) with the frontier before it; from the cut or later, as any `Want`;
    /// from below the cut, not at all. The cut is the same on every node holding the feed and
    /// fixed once found (the feed only grows), so it is remembered, as is how far a search
    /// that found none has read. On the node queue.
    func serveFromAdmission(
        peer: String, origin: FeedOrigin, admittedMs: Int64, from: UInt64, end: UInt64, afterQueuedWrites: Bool = false
    ) {
        guard !stopped, let feed = sync.feeds[origin] else { return }
        do {
            let key = AdmissionCut(origin: origin, admittedMs: admittedMs)
            let cut: UInt64
            switch admissionCuts[key] {
            case .found(let index): cut = index
            case .none, .notBefore:
                var searchedTo: UInt64 = 0
                if case .notBefore(let size) = admissionCuts[key] { searchedTo = size }
                let held = try store.head(of: origin)?.size ?? 0
                if let index = try store.firstIndex(of: origin, authoredFromMs: admittedMs, from: searchedTo) {
                    admissionCuts[key] = .found(index)
                    cut = index
                } else {
                    admissionCuts[key] = .notBefore(held)
                    cut = held
                }
            }
            let first = max(cut, feed.firstHeldIndex)
            if from > 0 {
                guard from >= first else {
                    logger.notice(
                        "a member admitted later asked for entries before its admission: not served",
                        metadata: ["peer": "\(peer)", "origin": "\(origin)", "from": "\(from)"])
                    return
                }
                if let span = sync.servingSpan(of: origin, from: from, to: end) {
                    serve(peer: peer, origin: origin, span: span)
                }
                return
            }
            guard first > 0 else {
                if let span = sync.servingSpan(of: origin, from: 0, to: end) {
                    serve(peer: peer, origin: origin, span: span)
                }
                return
            }
            guard first <= end else { return }
            guard let base = try store.frontier(of: origin, size: first) else {
                // Verified and announced but still queued for the store: once the writes queued
                // before this request are done.
                guard !afterQueuedWrites else {
                    logger.debug(
                        "the base of a feed served from an admission is not stored", metadata: ["origin": "\(origin)"])
                    return
                }
                writer.async { [self] in
                    queue.async {
                        self.serveFromAdmission(
                            peer: peer, origin: origin, admittedMs: admittedMs, from: from, end: end,
                            afterQueuedWrites: true)
                    }
                }
                return
            }
            let span = sync.servingSpan(of: origin, from: first, to: end) ?? first..<first
            serve(peer: peer, origin: origin, span: span, base: base)
        } catch {
            logger.error(
                "reading a feed to serve from an admission failed",
                metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }

    /// Writes the session's next batches while the peer reads: at most
    /// `ServingQueue.maximumInFlight` not yet taken by the socket, none while the channel is
    /// over its high-water mark. On the node queue.
    func pumpServing(_ id: ObjectIdentifier) {
        guard !stopped, let channel = channels[id], var owed = serving[id] else { return }
        defer { serving[id] = owed.isIdle ? nil : owed }
        while channel.isWritable, let answer = owed.next {
            let origin = answer.origin
            // Cut by entries, read once straight into the frame, then cut by their bytes
            // (`SyncNode.servingCandidate`).
            let candidate =
                answer.span.isEmpty
                ? answer.span : sync.servingCandidate(from: answer.start, to: answer.span.upperBound, of: origin)
            var frame: EntriesFrame
            let end: UInt64
            do {
                guard let candidate else {
                    finishAnswer(owed.finishFirst())
                    continue
                }
                frame = EntriesFrame(
                    origin: origin.description, firstIndex: candidate.lowerBound,
                    capacity: Int(min(candidate.upperBound - candidate.lowerBound, 1000)) * 1100,
                    allocator: channel.allocator)
                // Only what a cut can use (`SyncNode.servingRead`).
                let reading = sync.servingRead(of: candidate, of: origin)
                var sizes: [Int] = []
                sizes.reserveCapacity(candidate.count)
                var bytes = 0
                let read = try store.forEachEntry(of: origin, in: candidate) { entry in
                    frame.append(entry: entry)
                    sizes.append(entry.count)
                    bytes += entry.count
                    return reading.needsMore(entries: sizes.count, bytes: bytes)
                }
                guard read == candidate.count || !reading.needsMore(entries: read, bytes: bytes),
                    let range = candidate.isEmpty
                        ? candidate : sync.servingCut(candidate, of: origin, entryBytes: sizes),
                    range.upperBound - range.lowerBound <= UInt64(read),
                    let checkpoint = try store.checkpoint(of: origin, size: range.upperBound)
                else {
                    finishAnswer(owed.finishFirst())
                    continue
                }
                frame.keepEntries(range.count)
                frame.finish(
                    checkpoint: checkpoint.note.formatted.utf8, base: answer.base?.nodes.map(\.bytes) ?? [])
                end = range.upperBound
            } catch {
                finishAnswer(owed.finishFirst())
                logger.error(
                    "reading entries to serve failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
                continue
            }
            finishAnswer(owed.sent(upTo: end))
            countFrame(kind: "entries")
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { [self] _ in
                queue.async {
                    self.serving[id]?.written()
                    self.pumpServing(id)
                }
            }
            MessageFramer.write(frame, to: channel, promise: written)
        }
    }

    /// An answer left the serving queue: one that stopped short of what was asked means the
    /// peer will not hold the feed up to there.
    private func finishAnswer(_ answer: ServingQueue.Answer?) {
        guard let answer, answer.endsShort else { return }
        sync.entriesWithheld(from: answer.peer, of: answer.origin)
    }

    func examine(origin: FeedOrigin, checkpoint: SignedCheckpoint) {
        guard let verifier = sync.feeds[origin]?.verifier else { return }
        do {
            let examination = try store.withProofs(origin: origin) { proofs, _ in
                try verifier.examine(checkpoint, proofs: proofs)
            }
            if case .fork(let proof) = examination { perform(sync.recordFork(proof)) }
        } catch {
            logger.error("examining a checkpoint failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }

    /// A write failed (a full disk, most often). The first failure puts the node in a degraded
    /// state: appends are refused with the reason, nothing more is pulled from peers, the sync
    /// state is rebuilt from what the store really holds (after every write queued before
    /// it), and a small probe write is tried every `storeProbeInterval` until one succeeds.
    /// Sessions stay up and reads go on; peers are not made to reconnect. On the node queue.
    func storeFailed(_ error: any Error, while doing: String) {
        guard !stopped else { return }
        guard storeFailure == nil else {
            logger.debug("a write failed while the store cannot write", metadata: ["while": "\(doing)"])
            return
        }
        storeFailure = StoreFailure(reason: "\(error)", since: clock())
        logger.error(
            "the store cannot write: appends are refused and nothing more is pulled from peers until it can; sessions and reads go on, and writing resumes by itself",
            metadata: ["while": "\(doing)", "error": "\(error)"])
        sync.pause()
        emit(.storeFailed)
        writer.async { [self] in
            let chain = try? store.charterChain()
            queue.async { [self] in
                guard !stopped, let chain else { return }
                // Keys as the machine has them now: an amendment it adopted stays adopted.
                guard let loaded = try? Self.loadFeeds(store: store, chain: chain, through: sync.charter.version)
                else { return }
                sync.reload(feeds: loaded.feeds, forkProofs: loaded.forkProofs, chain: chain)
                authoring = [:]
            }
        }
        probeStoreLater()
    }

    /// Tries a small write on the writer after `storeProbeInterval`; resumes once one succeeds.
    func probeStoreLater() {
        queue.asyncAfter(deadline: .now() + storeProbeInterval) { [self] in
            guard !stopped, storeFailure != nil else { return }
            writer.async { [self] in
                let writes = (try? store.probeWrite()) != nil
                queue.async { [self] in
                    guard !stopped, let failure = storeFailure else { return }
                    guard writes else { return probeStoreLater() }
                    storeFailure = nil
                    logger.notice(
                        "the store writes again: appends and pulling from peers resume",
                        metadata: ["after": "\(Int(clock().timeIntervalSince(failure.since))) s"])
                    emit(.storeResumed)
                    perform(sync.resume(now: UInt64(max(0, clock().timeIntervalSince1970))))
                }
            }
        }
    }
}
