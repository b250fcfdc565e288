import TocsinCore

/// The answers to `Want`s a session owes its peer, sent as the peer reads: at most
/// `maximumInFlight` messages written and not yet taken by the socket, so a peer that reads
/// slowly holds the node's memory to a few batches, however much it asked for.
///
/// An answer is cut into messages as it is sent (`SyncNode.servingCandidate` and
/// `servingCut`): each message's entries are read when it is due, no more than its cut needs.
struct ServingQueue {
    /// Messages written to the channel and not yet flushed to the socket, at most.
    static let maximumInFlight = 2
    /// Messages owed, at most (each answer counted by its cut by entries alone): a peer asking
    /// faster than it reads loses the excess (it asks again when its `Want` times out).
    static let maximumWaiting = 256

    /// One answer to a `Want`: `Entries` messages from `start` up to `span`'s end.
    struct Answer: Equatable {
        /// The peer that asked.
        let peer: String
        let origin: FeedOrigin
        /// The range asked for (all of it held when the answer was queued).
        let span: Range<UInt64>
        /// Where the next message starts.
        var start: UInt64
        /// Messages still to send, at most (the rest is asked for again).
        var messagesLeft: Int
        /// Messages this answer counts for against `maximumWaiting`.
        let counted: Int
        /// The frontier before `span`, sent as the first message's base: for a member receiving
        /// the feed from its admission. Nil otherwise.
        var base: MerkleFrontier?

        init(
            peer: String, origin: FeedOrigin, span: Range<UInt64>, messages: Int, counted: Int,
            base: MerkleFrontier? = nil
        ) {
            self.peer = peer
            self.origin = origin
            self.span = span
            self.start = span.lowerBound
            self.messagesLeft = messages
            self.counted = max(1, counted)
            self.base = base
        }

        /// Whether the answer stopped short of its span's end: the peer will not hold the feed
        /// up to there.
        var endsShort: Bool { start < span.upperBound }
    }

    private var waiting: [Answer] = []
    private var head = 0
    private var waitingMessages = 0
    private(set) var inFlight = 0

    var isIdle: Bool { head == waiting.count && inFlight == 0 }
    /// Whether messages wait to be written: a message written now would overtake them.
    var hasWaiting: Bool { head < waiting.count }

    /// Queues `answer`; false (nothing queued) when it would exceed `maximumWaiting`.
    mutating func enqueue(_ answer: Answer) -> Bool {
        guard waitingMessages + answer.counted <= Self.maximumWaiting else { return false }
        if head > 0, head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
        }
        waiting.append(answer)
        waitingMessages += answer.counted
        return true
    }

    /// The answer whose next message is due, if fewer than `maximumInFlight` are in flight.
    var next: Answer? {
        guard inFlight < Self.maximumInFlight, head < waiting.count else { return nil }
        return waiting[head]
    }

    /// The next message of the first answer, up to `end`, is written: it counts as in flight
    /// until `written()`. Returns the answer once that was its last message.
    mutating func sent(upTo end: UInt64) -> Answer? {
        guard head < waiting.count else { return nil }
        inFlight += 1
        waiting[head].start = max(waiting[head].start, end)
        waiting[head].messagesLeft -= 1
        waiting[head].base = nil
        let answer = waiting[head]
        guard answer.messagesLeft <= 0 || !answer.endsShort else { return nil }
        return finishFirst()
    }

    /// Nothing more of the first answer is sent (its entries are gone, or it is done): it
    /// leaves the queue, and is returned.
    @discardableResult
    mutating func finishFirst() -> Answer? {
        guard head < waiting.count else { return nil }
        let answer = waiting[head]
        waitingMessages -= answer.counted
        head += 1
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            head = 0
        }
        return answer
    }

    /// A message in flight reached the socket (or failed).
    mutating func written() {
        inFlight = max(0, inFlight - 1)
    }
}
