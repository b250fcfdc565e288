import Foundation
import Logging
import NIOCore
import TocsinCore
import TocsinStore

extension NodeRuntime {
    /// Writes one frame to `peer`'s session, if it has one. On the node queue.
    func send(_ message: Tocsin_V1_Message, to peer: String) {
        guard let id = sessions.session(of: peer), let channel = channels[id] else { return }
        framesSent &+= 1
        channel.writeAndFlush(message, promise: nil)
    }

    /// Carries out the sync machine's actions, in order. On the node queue; store writes go
    /// to the writer, which reports back here.
    func perform(_ actions: [SyncAction]) {
        // A stopping node sends, stores and examines nothing more (a timer or an event already
        // queued may still call in).
        guard !stopped else { return }
        for action in actions {
            switch action {
            case .send(let peer, let message):
                send(message, to: peer)
            case .store(let batch):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.append(batch, now: now)
                        // Reported after the writes queued behind it (its cosignatures) too.
                        writer.async {
                            self.queue.async { self.emit(.stored(origin: batch.origin, size: batch.frontier.size)) }
                        }
                    } catch {
                        logger.error(
                            "storing a verified batch failed",
                            metadata: ["origin": "\(batch.origin)", "error": "\(error)"])
                        queue.async { self.queueReload() }
                    }
                }
            case .storeCosignature(let cosignature, let checkpoint):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.addCosignature(cosignature, to: checkpoint, now: now)
                    } catch {
                        logger.error("storing a cosignature failed", metadata: ["error": "\(error)"])
                    }
                }
            case .storeForkProof(let proof):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.recordForkProof(proof, now: now)
                        if let origin = try? FeedOrigin(parsing: proof.origin) {
                            queue.async { self.emit(.forkRecorded(origin: origin)) }
                        }
                    } catch {
                        logger.error("storing a fork proof failed", metadata: ["error": "\(error)"])
                    }
                }
            case .rememberOwnFeed(let origin, let size):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.recordOwnFeedKnown(origin, size: size, now: now)
                    } catch {
                        logger.error(
                            "remembering what a peer holds of this node's feed failed",
                            metadata: ["origin": "\(origin)", "error": "\(error)"])
                    }
                }
            case .serve(let peer, let origin, let range):
                serve(peer: peer, origin: origin, span: range)
            case .examine(let origin, let checkpoint):
                examine(origin: origin, checkpoint: checkpoint)
            case .close(let peer, let reason):
                logger.warning("closing session", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
                if let id = sessions.session(of: peer) { channels[id]?.close(promise: nil) }
            case .forwardCosignaturesSoon:
                queue.asyncAfter(deadline: .now() + .milliseconds(25)) { [self] in
                    perform(sync.forwardCosignatures())
                }
            case .log(let peer, let text, let warning):
                logger.log(
                    level: warning ? .warning : .notice, "\(text)", metadata: peer.map { ["peer": "\($0)"] } ?? [:])
            }
        }
    }

    /// Answers a `Want`: cuts `span` into batches by entries and bytes (the sizes read from the
    /// store, not the entries) and queues them for the peer. On the node queue: a read of the
    /// store (WAL readers never wait for the writer), never a write.
    func serve(peer: String, origin: FeedOrigin, span: Range<UInt64>, afterQueuedWrites: Bool = false) {
        guard !stopped, let id = sessions.session(of: peer), channels[id] != nil else { return }
        do {
            let sizes = try store.entrySizes(of: origin, in: span)
            guard sizes.count == span.count else {
                // Verified and announced but still queued for the store: serve once the writes
                // queued before this request are done.
                if !afterQueuedWrites {
                    writer.async { [self] in
                        queue.async { self.serve(peer: peer, origin: origin, span: span, afterQueuedWrites: true) }
                    }
                } else {
                    logger.debug(
                        "a wanted range is not stored", metadata: ["origin": "\(origin)", "range": "\(span)"])
                }
                return
            }
            let batches = sync.batches(serving: span, of: origin, entryBytes: sizes).map {
                ServingQueue.Batch(origin: origin, range: $0)
            }
            guard serving[id, default: ServingQueue()].enqueue(batches) else {
                logger.notice(
                    "a peer asks faster than it reads: a Want is left unanswered", metadata: ["peer": "\(peer)"])
                return
            }
            pumpServing(id)
        } catch {
            logger.error("reading entries to serve failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }

    /// Writes the session's next batches while the peer reads: at most
    /// `ServingQueue.maximumInFlight` not yet taken by the socket, none while the channel is
    /// over its high-water mark. On the node queue.
    func pumpServing(_ id: ObjectIdentifier) {
        guard !stopped, let channel = channels[id], var owed = serving[id] else { return }
        defer { serving[id] = owed.isIdle ? nil : owed }
        while channel.isWritable, let batch = owed.next() {
            let message: Tocsin_V1_Message
            do {
                let entries = try store.entries(of: batch.origin, in: batch.range)
                guard entries.count == batch.range.count,
                    let checkpoint = try store.checkpoint(of: batch.origin, size: batch.range.upperBound)
                else {
                    owed.written()
                    continue
                }
                message = .with {
                    $0.entries = .with {
                        $0.origin = batch.origin.description
                        $0.firstIndex = batch.range.lowerBound
                        $0.entries = entries.map { Data($0.bytes) }
                        $0.checkpoint = Data(checkpoint.note.formatted.utf8)
                    }
                }
            } catch {
                owed.written()
                logger.error(
                    "reading entries to serve failed", metadata: ["origin": "\(batch.origin)", "error": "\(error)"])
                continue
            }
            framesSent &+= 1
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { [self] _ in
                queue.async {
                    self.serving[id]?.written()
                    self.pumpServing(id)
                }
            }
            channel.writeAndFlush(message, promise: written)
        }
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

    /// After a failed write, the sync state is rebuilt from what the store really holds, and
    /// every session starts over (peers reconnect and exchange heads again). The reload runs on
    /// the writer after every write queued before it, so one reload covers them all. On the
    /// node queue.
    func queueReload() {
        guard !stopped, !reloadQueued else { return }
        reloadQueued = true
        writer.async { [self] in
            let feeds = try? Self.loadFeeds(store: store, charter: charter)
            let forkProofs = (try? store.forkProofs()) ?? []
            queue.async { [self] in
                reloadQueued = false
                guard !stopped, let feeds else { return }
                sync = SyncNode(
                    configuration: sync.configuration, feeds: feeds, forkProofs: forkProofs,
                    ownFeedKnown: sync.ownFeedKnown)
                let open = channels.values
                sessions.removeAll()
                channels = [:]
                serving = [:]
                for channel in open { channel.close(promise: nil) }
            }
        }
    }
}
