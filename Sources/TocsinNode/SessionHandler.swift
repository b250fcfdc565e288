import NIOCore
import TocsinCore
import TocsinNet

/// The top of a peer session's pipeline: hands authenticated sessions and their messages to
/// the node's runtime, and reports why a session ended.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = PeerMessage
    typealias OutboundIn = Tocsin_V1_Message
    typealias OutboundOut = Tocsin_V1_Message

    /// Frames a peer may send: a burst, then a sustained rate; more closes the session so
    /// one peer cannot starve the others.
    static let frameBurst = 4000.0
    static let framesPerSecond = 1000.0

    private let runtime: NodeRuntime
    private let isClient: Bool
    /// The node this session was dialled to reach (nil: it was accepted).
    private let dialled: String?
    private var peer: String?
    private var frames = TokenBucket(capacity: SessionHandler.frameBurst, ratePerSecond: SessionHandler.framesPerSecond)
    private var pingNonce: UInt64 = 0
    /// Set once the peer went over its frame rate: the session is closing.
    private var overLimit = false
    /// Messages handed to the node and not yet processed: at `inboundLimit`, no more is read
    /// from the socket until the node catches up (frames already read together are still
    /// handed on), so a flooding peer waits for its own messages instead of filling memory and
    /// the node's queue.
    static let inboundLimit = 8
    private var inFlight = 0
    private var readPaused = false

    private let meter: SessionMeter?

    init(runtime: NodeRuntime, isClient: Bool, dialled: String? = nil, meter: SessionMeter? = nil) {
        self.runtime = runtime
        self.isClient = isClient
        self.dialled = dialled
        self.meter = meter
    }

    private func handleAuthentication(context: ChannelHandlerContext, event: Any) {
        if let authenticated = event as? PeerAuthenticated {
            // The charter pins the key to the name in the certificate; a dialled address must
            // also answer as the node it was configured for.
            if let dialled, authenticated.nodeID != dialled {
                runtime.sessionFailed(
                    peer: nil, address: context.remoteAddress,
                    error: SessionLimit.wrongNode(dialled: dialled, answered: authenticated.nodeID))
                context.close(promise: nil)
                return
            }
            peer = authenticated.nodeID
            meter?.authenticated(as: authenticated.nodeID)
            runtime.sessionEstablished(
                peer: authenticated.nodeID, channel: context.channel, isClient: isClient,
                publicKey: authenticated.publicKey, certificateNotAfter: authenticated.certificateNotAfter)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let peer, !overLimit else { return }
        let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        guard frames.take(now: now) else {
            runtime.sessionFailed(peer: peer, address: context.remoteAddress, error: SessionLimit.frameRate)
            let message = Tocsin_V1_Message.with {
                $0.error = .with {
                    $0.code = .overloaded
                    $0.message = SessionLimit.frameRate.description
                }
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(message)).whenComplete { _ in bound.value.close(promise: nil) }
            // Nothing more is read from it; the session still ends through `channelInactive`,
            // so the node forgets it and dials again.
            overLimit = true
            return
        }
        inFlight += 1
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        runtime.received(unwrapInboundIn(data), from: peer, channel: context.channel) {
            eventLoop.execute { bound.value.0.processed(context: bound.value.1) }
        }
    }

    /// The node processed one message: reading resumes if it was paused for it.
    private func processed(context: ChannelHandlerContext) {
        inFlight -= 1
        guard readPaused, inFlight < Self.inboundLimit else { return }
        readPaused = false
        if context.channel.isActive { context.read() }
    }

    func read(context: ChannelHandlerContext) {
        guard inFlight < Self.inboundLimit else {
            readPaused = true
            return
        }
        context.read()
    }

    /// Keepalive: a quiet connection is pinged; one that stays silent is closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent {
            switch idle {
            case .write:
                pingNonce &+= 1
                let nonce = pingNonce
                context.writeAndFlush(
                    NIOAny(Tocsin_V1_Message.with { $0.ping = .with { $0.nonce = nonce } }), promise: nil)
            case .read:
                runtime.sessionFailed(peer: peer, address: context.remoteAddress, error: SessionLimit.idle)
                context.close(promise: nil)
            case .all:
                break
            }
            return
        }
        handleAuthentication(context: context, event: event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        runtime.sessionFailed(peer: peer, address: context.remoteAddress, error: error)
        if let error = error as? PeerSessionError, peer != nil {
            // Say why before closing, where the session still carries frames.
            let message = Tocsin_V1_Message.with {
                $0.error = .with {
                    $0.code = {
                        switch error {
                        case .frameTooLarge: return .tooLarge
                        case .byteRate: return .overloaded
                        default: return .malformed
                        }
                    }()
                    $0.message = error.description
                }
            }
            context.writeAndFlush(NIOAny(message), promise: nil)
        }
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, peer != nil { runtime.becameWritable(context.channel) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let peer { runtime.sessionEnded(peer: peer, channel: context.channel) }
        context.fireChannelInactive()
    }
}

/// Why the node ended a session it considered abusive or dead.
enum SessionLimit: Error, CustomStringConvertible {
    case frameRate
    case idle
    case wrongNode(dialled: String, answered: String)

    var description: String {
        switch self {
        case .frameRate:
            return
                "more than \(Int(SessionHandler.framesPerSecond)) frames a second (burst \(Int(SessionHandler.frameBurst))): the session is closed"
        case .idle:
            return "the peer was silent past the keepalive timeout"
        case .wrongNode(let dialled, let answered):
            return
                "dialled \(dialled), but the certificate there is \(answered)'s: the session is closed (check the peer's address in the configuration)"
        }
    }
}
