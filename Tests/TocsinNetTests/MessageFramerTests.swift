import Foundation
import NIOCore
import NIOEmbedded
import Testing
import TocsinCore
import TocsinNet

/// The framer's bytes on the wire: each message is its 4-byte big-endian length, then its
/// protobuf encoding, whichever way it is read or written.
@Suite struct MessageFramerTests {
    static func entries(_ count: Int, byteCount: Int) -> Tocsin_V1_Message {
        .with {
            $0.entries = .with {
                $0.origin = "tocsin/XA"
                $0.firstIndex = 7
                $0.entries = (0..<count).map { Data(repeating: UInt8($0 & 0xff), count: byteCount) }
                $0.checkpoint = Data("a checkpoint note".utf8)
            }
        }
    }

    @Test func aWrittenMessageIsItsLengthThenItsProtobufEncoding() throws {
        let channel = EmbeddedChannel(handler: MessageFramer())
        for message in [
            Tocsin_V1_Message(), Self.entries(0, byteCount: 0), Self.entries(3, byteCount: 100),
            Self.entries(40, byteCount: 5_000),
        ] {
            try channel.writeOutbound(message)
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(Array(written.readableBytesView) == FrameDecoder.frame(try message.serializedBytes()))
        }
        _ = try channel.finish()
    }

    @Test func aMessageOverTheFrameLimitIsNotWrittenAndTheSessionIsTold() throws {
        let channel = EmbeddedChannel(handler: MessageFramer(maximumFrameSize: 256))
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let tooLarge = Self.entries(3, byteCount: 100)
        let size = (try tooLarge.serializedBytes() as [UInt8]).count
        #expect(size > 256)
        channel.writeAndFlush(tooLarge, promise: promise)
        #expect(throws: PeerSessionError.frameTooLarge(length: size, limit: 256)) { try promise.futureResult.wait() }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        // The session is told, as when a peer refuses a frame.
        #expect(throws: PeerSessionError.frameTooLarge(length: size, limit: 256)) { try channel.throwIfErrorCaught() }
        _ = try channel.finish()
    }

    @Test func framesWrittenByOneFramerAreReadBackByAnotherWhateverTheCuts() throws {
        let writer = EmbeddedChannel(handler: MessageFramer())
        let reader = EmbeddedChannel(handler: MessageFramer())
        let messages = [
            Self.entries(2, byteCount: 10), Self.entries(0, byteCount: 0), Self.entries(30, byteCount: 3_000),
        ]
        var wire: [UInt8] = []
        for message in messages {
            try writer.writeOutbound(message)
            wire += Array(try #require(try writer.readOutbound(as: ByteBuffer.self)).readableBytesView)
        }
        // Cuts of every small size (inside the 4-byte lengths too), then larger ones.
        let sizes = [1, 2, 3, 4, 5, 7, 11, 4_096, 65_536]
        var position = 0
        var turn = 0
        while position < wire.count {
            let cut = min(wire.count, position + sizes[turn % sizes.count])
            turn += 1
            try reader.writeInbound(ByteBuffer(bytes: wire[position..<cut]))
            position = cut
        }
        var read: [Tocsin_V1_Message] = []
        while let message = try reader.readInbound(as: PeerMessage.self) { read.append(message.protobuf) }
        #expect(read == messages)
        _ = try writer.finish()
        _ = try reader.finish()
    }
}
