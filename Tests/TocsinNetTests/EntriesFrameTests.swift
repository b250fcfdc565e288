import Foundation
import NIOCore
import NIOEmbedded
import Testing
import TocsinCore
import TocsinNet

/// A served `Entries` message is written straight into its frame (`EntriesFrame`): its bytes
/// must be the framer's for the same message built with SwiftProtobuf, or peers would read
/// something else than what was served.
@Suite struct EntriesFrameTests {
    static func frame(_ message: EntriesMessage, keeping kept: Int? = nil) -> EntriesFrame {
        var frame = EntriesFrame(
            origin: message.origin, firstIndex: message.firstIndex, capacity: 64, allocator: ByteBufferAllocator())
        for entry in message.entries { entry.withUnsafeBytes { frame.append(entry: $0) } }
        if let kept { frame.keepEntries(kept) }
        frame.finish(checkpoint: message.checkpoint, base: message.base)
        return frame
    }

    static func swiftProtobufFrame(_ message: EntriesMessage) throws -> [UInt8] {
        FrameDecoder.frame(try Tocsin_V1_Message.with { $0.entries = message.message }.serializedBytes())
    }

    static func randomMessage(using random: inout SystemRandomNumberGenerator) -> EntriesMessage {
        func bytes(_ range: ClosedRange<Int>) -> [UInt8] {
            (0..<Int.random(in: range, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        }
        let firstIndices: [UInt64] = [0, 1, 127, 128, 1 << 40, .max, UInt64.random(in: 0...UInt64.max, using: &random)]
        return EntriesMessage(
            origin: ["", "tocsin-xa/ecowatch/XA", "Ünïcödé — 中文", String(repeating: "o", count: 200)].randomElement(
                using: &random)!,
            firstIndex: firstIndices.randomElement(using: &random)!,
            entries: (0..<Int.random(in: 0...20, using: &random)).map { _ in
                Bool.random(using: &random) ? bytes(0...3) : bytes(100...20_000)
            },
            checkpoint: Bool.random(using: &random) ? [] : bytes(1...300),
            base: (0..<Int.random(in: 0...3, using: &random)).map { _ in bytes(0...32) })
    }

    @Test func aFrameIsByteForByteWhatTheFramerWritesForTheSameMessage() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let message = Self.randomMessage(using: &random)
            let frame = Self.frame(message)
            #expect(Array(frame.buffer.readableBytesView) == (try Self.swiftProtobufFrame(message)))
            #expect(frame.payloadCount == frame.buffer.readableBytes - 4)
            #expect(frame.entryCount == message.entries.count)
        }
    }

    @Test func entriesCutBackLeaveTheFrameOfTheEntriesKept() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var message = Self.randomMessage(using: &random)
            let kept = Int.random(in: 0...message.entries.count, using: &random)
            let frame = Self.frame(message, keeping: kept)
            message.entries.removeLast(message.entries.count - kept)
            #expect(Array(frame.buffer.readableBytesView) == (try Self.swiftProtobufFrame(message)))
        }
    }

    @Test func aFrameWrittenThroughTheFramerIsSentWholeAndCounted() throws {
        let counted = NIOLockedCounter()
        let channel = EmbeddedChannel(handler: MessageFramer(onFrame: { inbound, bytes in counted.add(bytes) }))
        let message = EntriesMessage(
            origin: "tocsin-xa/ecowatch/XA", firstIndex: 3, entries: [[1, 2, 3], [], [9]], checkpoint: [7, 7])
        let promise = channel.eventLoop.makePromise(of: Void.self)
        MessageFramer.write(Self.frame(message), to: channel, promise: promise)
        channel.embeddedEventLoop.run()
        try promise.futureResult.wait()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(written.readableBytesView) == (try Self.swiftProtobufFrame(message)))
        #expect(counted.total == written.readableBytes)
        _ = try channel.finish()
    }

    @Test func aFrameOverTheLimitIsNotWrittenAndTheSessionIsTold() throws {
        let channel = EmbeddedChannel(handler: MessageFramer(maximumFrameSize: 256))
        let frame = Self.frame(
            EntriesMessage(origin: "XA", firstIndex: 0, entries: [[UInt8](repeating: 1, count: 300)], checkpoint: []))
        let promise = channel.eventLoop.makePromise(of: Void.self)
        MessageFramer.write(frame, to: channel, promise: promise)
        channel.embeddedEventLoop.run()
        let refusal = PeerSessionError.frameTooLarge(length: frame.payloadCount, limit: 256)
        #expect(throws: refusal) { try promise.futureResult.wait() }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(throws: refusal) { try channel.throwIfErrorCaught() }
        _ = try channel.finish()
    }
}

/// Bytes counted from the framer's observer.
final class NIOLockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var sum = 0
    func add(_ bytes: Int) { lock.withLock { sum += bytes } }
    var total: Int { lock.withLock { sum } }
}
