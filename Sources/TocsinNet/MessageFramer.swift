import NIOCore
import SwiftProtobuf
import TocsinCore

/// Length-prefixed protobuf frames over the TLS stream: bytes in, `PeerMessage` up;
/// messages down, framed bytes out. A frame over the limit is refused from its 4-byte
/// header alone; an undecodable frame is an error. Either closes the session.
public final class MessageFramer: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = PeerMessage
    public typealias OutboundIn = Tocsin_V1_Message
    public typealias OutboundOut = ByteBuffer

    /// Bytes a peer may send: a burst, then a sustained rate (far above what replication
    /// needs; the node's own backpressure paces honest peers).
    public static let byteBurst = 512 << 20
    public static let bytesPerSecond = 256 << 20

    private var decoder: FrameDecoder
    private var failed = false
    private var bytes = TokenBucket(
        capacity: Double(MessageFramer.byteBurst), ratePerSecond: Double(MessageFramer.bytesPerSecond))

    /// Told of every frame read (`inbound`) or written, with its size on the wire (header
    /// included): the node's traffic metrics. Called on the channel's event loop.
    public typealias FrameObserver = @Sendable (_ inbound: Bool, _ bytes: Int) -> Void
    private let onFrame: FrameObserver?

    public init(maximumFrameSize: Int = FrameDecoder.defaultMaximumFrameSize, onFrame: FrameObserver? = nil) {
        decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
        self.onFrame = onFrame
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        guard bytes.take(Double(buffer.readableBytes), now: now) else {
            failSession(
                context: context, PeerSessionError.byteRate(burst: Self.byteBurst, perSecond: Self.bytesPerSecond))
            return
        }
        decoder.append(buffer.readableBytesView)
        do {
            while let frame = try decoder.nextFrame() {
                let message: PeerMessage
                do {
                    message = try PeerMessage(decoding: frame)
                } catch {
                    throw PeerSessionError.malformedMessage(String(describing: error))
                }
                onFrame?(true, frame.count + 4)
                context.fireChannelRead(wrapInboundOut(message))
            }
        } catch let error as FrameError {
            guard case .tooLarge(let length, let limit) = error else { return }
            failSession(context: context, PeerSessionError.frameTooLarge(length: length, limit: limit))
        } catch {
            failSession(context: context, error)
        }
    }

    private func failSession(context: ChannelHandlerContext, _ error: any Error) {
        failed = true
        context.fireErrorCaught(error)
    }

    /// Writes an `Entries` message already framed (`EntriesFrame`) on `channel` and flushes it,
    /// through the channel's framer, in order with the messages written before this call.
    /// From any thread.
    public static func write(_ frame: EntriesFrame, to channel: Channel, promise: EventLoopPromise<Void>?) {
        channel.eventLoop.execute {
            do {
                let context = try channel.pipeline.syncOperations.context(handlerType: MessageFramer.self)
                guard let framer = context.handler as? MessageFramer else { throw ChannelPipelineError.notFound }
                framer.write(frame, context: context, promise: promise)
                context.flush()
            } catch {
                promise?.fail(error)
            }
        }
    }

    private func write(_ frame: EntriesFrame, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard frame.payloadCount <= decoder.maximumFrameSize else {
            let error = PeerSessionError.frameTooLarge(length: frame.payloadCount, limit: decoder.maximumFrameSize)
            promise?.fail(error)
            context.fireErrorCaught(error)
            return
        }
        onFrame?(false, frame.buffer.readableBytes)
        context.write(wrapOutboundOut(frame.buffer), promise: promise)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        do {
            let frame: OutboundFrame = try message.serializedBytes()
            guard frame.count <= decoder.maximumFrameSize else {
                // The peer would refuse it from its header: this node never sends one.
                throw PeerSessionError.frameTooLarge(length: frame.count, limit: decoder.maximumFrameSize)
            }
            onFrame?(false, frame.buffer.readableBytes)
            context.write(wrapOutboundOut(frame.buffer), promise: promise)
        } catch {
            // The session ends, as it would when the peer refused the frame: a message that
            // cannot be sent is never dropped silently.
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }
}
