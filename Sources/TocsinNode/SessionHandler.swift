import NIOCore
import TocsinCore
import TocsinNet

/// The top of a peer session's pipeline: hands authenticated sessions and their messages to
/// the node's runtime, and reports why a session ended.
final class SessionHandler: ChannelInboundHandler {
    typealias InboundIn = Tocsin_V1_Message

    private let runtime: NodeRuntime
    private let isClient: Bool
    private var peer: String?

    init(runtime: NodeRuntime, isClient: Bool) {
        self.runtime = runtime
        self.isClient = isClient
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let authenticated = event as? PeerAuthenticated {
            peer = authenticated.nodeID
            runtime.sessionEstablished(peer: authenticated.nodeID, channel: context.channel, isClient: isClient)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let peer else { return }
        runtime.received(unwrapInboundIn(data), from: peer, channel: context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        runtime.sessionFailed(peer: peer, address: context.remoteAddress, error: error)
        if let error = error as? PeerSessionError, peer != nil {
            // Say why before closing, where the session still carries frames.
            let message = Tocsin_V1_Message.with {
                $0.error = .with {
                    $0.code = { if case .frameTooLarge = error { return .tooLarge } else { return .malformed } }()
                    $0.message = error.description
                }
            }
            context.writeAndFlush(NIOAny(message), promise: nil)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let peer { runtime.sessionEnded(peer: peer, channel: context.channel) }
        context.fireChannelInactive()
    }
}
