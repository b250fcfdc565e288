import Testing
import TocsinCore

@testable import TocsinNode

/// What a session owes its peer: answers sent message by message, a bounded number in flight
/// and waiting, and an answer that ends short of what was asked reported as such.
@Suite struct ServingQueueTests {
    static let origin = try! FeedOrigin(parsing: "tocsin/0102030405060708/nro/XA")

    static func answer(_ span: Range<UInt64>, messages: Int = 16, counted: Int = 1) -> ServingQueue.Answer {
        ServingQueue.Answer(peer: "XB", origin: origin, span: span, messages: messages, counted: counted)
    }

    @Test func anAnswerIsSentMessageByMessageWithAtMostTwoInFlight() {
        var queue = ServingQueue()
        let queued = queue.enqueue(Self.answer(0..<30))
        #expect(queued)
        #expect(queue.next?.start == 0)
        let afterFirst = queue.sent(upTo: 10)
        #expect(afterFirst == nil, "not finished")
        #expect(queue.next?.start == 10)
        let afterSecond = queue.sent(upTo: 20)
        #expect(afterSecond == nil)
        #expect(queue.inFlight == 2)
        #expect(queue.next == nil, "two in flight: nothing more is due")
        queue.written()
        #expect(queue.next?.start == 20)
        let finished = queue.sent(upTo: 30)
        #expect(finished?.endsShort == false, "it reached its span's end")
        #expect(!queue.hasWaiting)
        #expect(!queue.isIdle)
        queue.written()
        queue.written()
        #expect(queue.isIdle)
    }

    @Test func anAnswerAtItsLastMessageEndsShortOfItsSpan() {
        var queue = ServingQueue()
        let queued = queue.enqueue(Self.answer(0..<100, messages: 2))
        #expect(queued)
        let afterFirst = queue.sent(upTo: 10)
        #expect(afterFirst == nil)
        queue.written()
        let finished = queue.sent(upTo: 20)
        #expect(finished?.start == 20)
        #expect(finished?.endsShort == true)
        #expect(queue.next == nil)
    }

    @Test func theBaseGoesWithTheFirstMessageOnly() throws {
        var queue = ServingQueue()
        let base = try MerkleFrontier(size: 0, nodes: [])
        var answer = Self.answer(4..<10)
        answer.base = base
        let queued = queue.enqueue(answer)
        #expect(queued)
        #expect(queue.next?.base == base)
        _ = queue.sent(upTo: 6)
        #expect(queue.next?.base == nil)
    }

    @Test func answersOwedAreBoundedAndAnAbandonedAnswerFreesItsShare() {
        var queue = ServingQueue()
        let first = queue.enqueue(Self.answer(0..<10, counted: 200))
        let second = queue.enqueue(Self.answer(10..<20, counted: 56))
        #expect(first && second)
        let overLimit = queue.enqueue(Self.answer(20..<30, counted: 1))
        #expect(!overLimit, "256 messages owed already")
        let abandoned = queue.finishFirst()
        #expect(abandoned?.span == 0..<10)
        #expect(abandoned?.endsShort == true)
        let afterward = queue.enqueue(Self.answer(20..<30, counted: 200))
        #expect(afterward)
        #expect(queue.next?.span == 10..<20, "in order")
    }

    @Test func anEmptySpanWithABaseIsOneMessage() {
        var queue = ServingQueue()
        let queued = queue.enqueue(Self.answer(7..<7, messages: 1))
        #expect(queued)
        let finished = queue.sent(upTo: 7)
        #expect(finished?.endsShort == false)
        #expect(!queue.hasWaiting)
    }
}
