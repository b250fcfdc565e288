import Dispatch
import Foundation
import TocsinCore

/// A batch as received from a peer: not yet verified.
public struct IncomingBatch: Sendable {
    public let firstIndex: UInt64
    public let entries: [[UInt8]]
    /// The author's signed checkpoint note over the tree ending with these entries.
    public let checkpointNote: [UInt8]

    public init(firstIndex: UInt64, entries: [[UInt8]], checkpointNote: [UInt8]) {
        self.firstIndex = firstIndex
        self.entries = entries
        self.checkpointNote = checkpointNote
    }
}

extension FeedStore {
    /// The outcome of `ingest`: how many batches were stored, and why it stopped early.
    public struct IngestResult: Sendable {
        public let storedBatches: Int
        public let storedEntries: Int
        /// The rejection or failure that stopped ingestion, if any.
        public let stoppedBy: (any Error)?
    }

    /// Verifies and stores consecutive batches of one feed, overlapping the verification of
    /// each batch with the durable write of the one before (catch-up on two cores).
    ///
    /// Batches are stored in order, each in its own transaction with its checkpoint. At the
    /// first rejected batch or failed write it stops: everything before is stored, nothing
    /// after, and `verifier` ends in the state of what is stored.
    public func ingest(_ batches: [IncomingBatch], verifier: inout FeedVerifier, now: Date) -> IngestResult {
        let progress = IngestProgress()
        let writes = DispatchQueue(label: "tocsin.store.ingest")
        // At most two verified batches wait for the writer: memory stays bounded.
        let slots = DispatchSemaphore(value: 2)
        var states = [verifier]
        var rejection: (any Error)?
        for incoming in batches {
            if progress.failure != nil { break }
            let batch: FeedBatch
            do {
                batch = try verifier.verify(
                    firstIndex: incoming.firstIndex, entries: incoming.entries, checkpointNote: incoming.checkpointNote)
            } catch {
                rejection = error
                break
            }
            // Speculative: the next batch is verified against this one before it is written.
            verifier.commit(batch)
            states.append(verifier)
            slots.wait()
            writes.async {
                defer { slots.signal() }
                guard progress.failure == nil else { return }
                do {
                    try self.append(batch, now: now)
                    progress.stored(entries: batch.entries.count)
                } catch {
                    progress.fail(error)
                }
            }
        }
        writes.sync {}
        let (storedBatches, storedEntries, failure) = progress.snapshot
        verifier = states[storedBatches]
        return IngestResult(storedBatches: storedBatches, storedEntries: storedEntries, stoppedBy: failure ?? rejection)
    }
}

/// What the writer has done, shared between the verifying and writing threads.
private final class IngestProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var batches = 0
    private var entries = 0
    private var error: (any Error)?

    var failure: (any Error)? { lock.withLock { error } }

    var snapshot: (Int, Int, (any Error)?) { lock.withLock { (batches, entries, error) } }

    func stored(entries count: Int) {
        lock.withLock {
            batches += 1
            entries += count
        }
    }

    func fail(_ failure: any Error) { lock.withLock { error = failure } }
}
