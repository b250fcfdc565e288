import Foundation
import Testing
import TocsinCore
import TocsinDevelopment

/// A node answers a `Want` message by message, reading each message's entries once
/// (`servingCandidate`, then `servingCut`): the messages must be those the rule over the whole
/// span gives (`batches(serving:of:entryBytes:)`, PROTOCOL.md "Want and Entries") knowing the
/// size of every entry held, up to the checkpoint the last message may end at past the span.
extension SyncNodeTests {
    /// The messages of an answer as the runtime cuts them, each from the entries it read.
    static func answered(
        _ span: Range<UInt64>, of origin: FeedOrigin, by node: SyncNode, entrySizes: [Int]
    ) -> [Range<UInt64>] {
        var messages: [Range<UInt64>] = []
        var start = span.lowerBound
        while start < span.upperBound, messages.count < node.configuration.maximumBatchesPerWant {
            guard let candidate = node.servingCandidate(from: start, to: span.upperBound, of: origin) else { break }
            // Read as the runtime reads: until `servingRead` has enough (the store holds them all).
            let reading = node.servingRead(of: candidate, of: origin)
            var read: [Int] = []
            for size in entrySizes[Int(candidate.lowerBound)..<Int(candidate.upperBound)] {
                read.append(size)
                if !reading.needsMore(entries: read.count, bytes: read.reduce(0, +)) { break }
            }
            guard let message = node.servingCut(candidate, of: origin, entryBytes: read) else { break }
            #expect(message.count <= read.count, "a message of entries not read")
            // Nothing read that a cut could not use: the first interval, then up to one entry
            // past the byte limit.
            #expect(
                Int(reading.firstIntervalEnd - candidate.lowerBound) >= read.count
                    || read.dropLast().reduce(0, +) <= node.configuration.maximumBatchBytes)
            messages.append(message)
            start = message.upperBound
        }
        return messages
    }

    @Test(arguments: 0..<3)
    func answersCutMessageByMessageAreTheMessagesOfTheWholeSpan(seed: UInt64) throws {
        var random = SeededGenerator(seed: 0x5E7E &+ seed)
        for round in 0..<12 {
            var author = try author()
            var feed = SyncFeed(origin: author.origin, author: Self.network.member("XA")!.key.publicKey)
            var sizes: [Int] = []
            // Checkpoints after batches of 1 to 6 entries, some entries far larger than others.
            while sizes.count < 120 {
                let count = Int.random(in: 1...6, using: &random)
                let entries = (0..<count).map { number in
                    SampleEntries.bulletin(
                        number: sizes.count + number, country: "XA",
                        byteCount: Int.random(in: 0..<10, using: &random) == 0
                            ? Int.random(in: 2_000...9_000, using: &random) : Int.random(in: 200...900, using: &random),
                        authorTimeMs: 1)
                }
                feed.record(try author.append(entries))
                sizes += entries.map(\.count)
            }
            let node = SyncNode(
                configuration: .init(
                    nodeID: "RN", network: Self.network.networkID, charter: Self.network.charter, witnessKey: nil,
                    maximumBatchEntries: Int.random(in: 1...12, using: &random),
                    maximumBatchBytes: Int.random(in: 1_000...12_000, using: &random),
                    maximumBatchesPerWant: Int.random(in: 1...8, using: &random)),
                feeds: [feed])
            for _ in 0..<20 {
                let from = UInt64.random(in: 0..<UInt64(sizes.count), using: &random)
                let span = from..<UInt64.random(in: from + 1...UInt64(sizes.count), using: &random)
                let whole = node.batches(
                    serving: span, of: feed.origin,
                    entryBytes: Array(sizes[Int(span.lowerBound)..<sizes.count]))
                let answered = Self.answered(span, of: feed.origin, by: node, entrySizes: sizes)
                #expect(answered == whole, "seed \(seed) round \(round) span \(span)")
                #expect(!answered.isEmpty)
                #expect(
                    node.servingMessageCount(span, of: feed.origin) <= answered.count,
                    "the count before any read is a lower bound")
            }
        }
    }
}
