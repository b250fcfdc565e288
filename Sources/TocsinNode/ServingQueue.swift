import TocsinCore

/// The `Entries` batches a session owes its peer, sent as the peer reads: at most
/// `maximumInFlight` written and not yet taken by the socket, so a peer that reads slowly
/// holds the node's memory to a few batches, however much it asked for.
struct ServingQueue {
    /// Batches written to the channel and not yet flushed to the socket, at most.
    static let maximumInFlight = 2
    /// Batches waiting, at most: a peer asking faster than it reads loses the excess (it asks
    /// again when its `Want` times out).
    static let maximumWaiting = 256

    struct Batch: Equatable {
        let origin: FeedOrigin
        let range: Range<UInt64>
        /// The frontier before `range`, sent as the `Entries` message's base: the first batch
        /// for a member receiving the feed from its admission. Nil otherwise.
        var base: MerkleFrontier? = nil
    }

    private var waiting: [Batch] = []
    private var head = 0
    private(set) var inFlight = 0

    var isIdle: Bool { head == waiting.count && inFlight == 0 }
    /// Whether batches wait to be written: a message written now would overtake them.
    var hasWaiting: Bool { head < waiting.count }

    /// Queues `batches`; false (nothing queued) when they would exceed `maximumWaiting`.
    mutating func enqueue(_ batches: [Batch]) -> Bool {
        guard waiting.count - head + batches.count <= Self.maximumWaiting else { return false }
        if head > 0, head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
        }
        waiting += batches
        return true
    }

    /// The next batch to write, if fewer than `maximumInFlight` are in flight; it counts as in
    /// flight until `written()`.
    mutating func next() -> Batch? {
        guard inFlight < Self.maximumInFlight, head < waiting.count else { return nil }
        let batch = waiting[head]
        head += 1
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
        }
        inFlight += 1
        return batch
    }

    /// A batch in flight reached the socket (or failed).
    mutating func written() {
        inFlight = max(0, inFlight - 1)
    }
}
