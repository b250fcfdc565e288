import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on loopback that stands in for a link between two nodes and can delay, cut,
/// blackhole or reset it, for fault tests and the soak benchmark (the kernel here has no
/// `tc netem`). A node dials the proxy's port instead of its peer's.
public final class FaultProxy: Sendable {
    /// What the link does now.
    public enum Mode: Sendable, Equatable {
        /// Bytes pass as they come.
        case pass
        /// Bytes pass, each direction held back by this many milliseconds (order kept).
        case delay(milliseconds: Int64)
        /// Connections are closed and new ones closed at once: a partition both ends see.
        case cut
        /// Connections stay open and bytes vanish: a partition neither end is told of.
        case blackhole
        /// Connections are reset (RST) and new ones reset at once.
        case reset
    }

    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    /// Where it forwards to.
    public let target: SocketAddress
    private let listener: Channel
    private let state: NIOLockedValueBox<State>

    struct State {
        var mode: Mode = .pass
        var links: [ObjectIdentifier: Link] = [:]
    }

    /// One proxied connection: the accepted side and the side dialled to the target.
    final class Link: Sendable {
        let accepted: Channel
        let dialled: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)
        init(accepted: Channel) { self.accepted = accepted }
        func close(reset: Bool) {
            for channel in [accepted, dialled.withLockedValue { $0 }].compactMap({ $0 }) {
                if reset, let socket = channel as? any SocketOptionProvider {
                    // A zero linger makes close send RST.
                    socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil)
                    }
                } else {
                    channel.close(promise: nil)
                }
            }
        }
    }

    /// Listens on 127.0.0.1:`port` (0: any free port) and forwards to `target`.
    public init(listeningOn port: Int = 0, forwardingTo target: SocketAddress, group: any EventLoopGroup) async throws {
        let state = NIOLockedValueBox(State())
        self.state = state
        self.target = target
        listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { accepted in
                let link = Link(accepted: accepted)
                let mode = state.withLockedValue { state -> Mode in
                    if state.mode != .cut && state.mode != .reset { state.links[ObjectIdentifier(accepted)] = link }
                    return state.mode
                }
                switch mode {
                case .cut, .reset:
                    link.close(reset: mode == .reset)
                    return accepted.eventLoop.makeSucceededVoidFuture()
                default:
                    break
                }
                let toTarget = Relay(state: state)
                let toAccepted = Relay(state: state)
                accepted.closeFuture.whenComplete { _ in
                    state.withLockedValue { _ = $0.links.removeValue(forKey: ObjectIdentifier(accepted)) }
                    link.close(reset: false)
                }
                return accepted.pipeline.addHandler(toTarget).flatMap {
                    ClientBootstrap(group: accepted.eventLoop)
                        .channelInitializer { dialled in dialled.pipeline.addHandler(toAccepted) }
                        .connect(to: target)
                        .map { dialled in
                            link.dialled.withLockedValue { $0 = dialled }
                            toTarget.peer.withLockedValue { $0 = dialled }
                            toAccepted.peer.withLockedValue { $0 = accepted }
                            toTarget.flushHeld()
                            dialled.closeFuture.whenComplete { _ in accepted.close(promise: nil) }
                        }
                        .flatMapErrorThrowing { _ in accepted.close(promise: nil) }
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.port = listener.localAddress?.port ?? port
    }

    /// Changes what the link does; `.cut` and `.reset` end the connections open now.
    public func set(_ mode: Mode) {
        let open = state.withLockedValue { state -> [Link] in
            state.mode = mode
            guard mode == .cut || mode == .reset else { return [] }
            defer { state.links = [:] }
            return Array(state.links.values)
        }
        for link in open { link.close(reset: mode == .reset) }
    }

    public var mode: Mode { state.withLockedValue { $0.mode } }

    /// Stops listening and ends every connection.
    public func close() async {
        set(.cut)
        try? await listener.close()
    }

    /// Copies bytes read on one side to the other, as the mode says.
    final class Relay: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<State>
        let peer: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)
        /// Bytes read before the other side was connected.
        let held: NIOLockedValueBox<[ByteBuffer]> = NIOLockedValueBox([])

        init(state: NIOLockedValueBox<State>) { self.state = state }

        func flushHeld() {
            let buffers = held.withLockedValue { held -> [ByteBuffer] in
                defer { held = [] }
                return held
            }
            for buffer in buffers { forward(buffer) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            if peer.withLockedValue({ $0 }) == nil {
                held.withLockedValue { $0.append(buffer) }
                return
            }
            forward(buffer)
        }

        private func forward(_ buffer: ByteBuffer) {
            guard let peer = peer.withLockedValue({ $0 }) else { return }
            switch state.withLockedValue({ $0.mode }) {
            case .pass:
                peer.writeAndFlush(buffer, promise: nil)
            case .delay(let milliseconds):
                // Tasks scheduled with the same delay run in order on the peer's loop.
                peer.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
                    peer.writeAndFlush(buffer, promise: nil)
                }
            case .blackhole, .cut, .reset:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
