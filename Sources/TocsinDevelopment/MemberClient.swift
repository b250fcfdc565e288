import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinNet

/// A peer session opened by hand, as a member with a valid certificate, over real TLS: for
/// tests and benchmarks that play a member who misbehaves (floods, withholds) against a node.
public final class MemberClient: Sendable {
    public let channel: Channel
    private let received: NIOLockedValueBox<[Tocsin_V1_Message]>

    /// What the node sent so far.
    public var messages: [Tocsin_V1_Message] { received.withLockedValue { $0 } }

    /// Connects to `host:port` as the holder of `key` and `certificate` (issued by
    /// `authority`), and waits until both sides are authenticated; `onRead` runs after each
    /// message from the node.
    public init(
        key: Ed25519PrivateKey, certificate: Certificate, authority: Certificate, charter: Charter,
        host: String = "127.0.0.1", port: Int, group: any EventLoopGroup,
        onRead: @escaping @Sendable () -> Void = {}
    ) async throws {
        let context = try TLSContext(certificateChain: [certificate], key: key, authority: authority)
        let authenticated = group.next().makePromise(of: Void.self)
        let received = NIOLockedValueBox<[Tocsin_V1_Message]>([])
        self.received = received
        do {
            channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            OpenSSLHandler(
                                context: context, role: .client, authorize: { charter.pins(nodeID: $0, publicKey: $1) }
                            ),
                            MessageFramer(),
                            Recorder(received: received, authenticated: authenticated, onRead: onRead),
                        ])
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            // No channel will ever settle it.
            authenticated.fail(error)
            throw error
        }
        try await authenticated.futureResult.get()
    }

    /// The `Hello` a member sends first.
    public static func hello(from id: String, network: NetworkID, charterVersion: UInt64) -> Tocsin_V1_Message {
        .with {
            $0.hello = .with {
                $0.protocolVersion = SyncNode.protocolVersion
                $0.networkID = Data(network.digest.bytes)
                $0.nodeID = id
                $0.charterVersion = charterVersion
            }
        }
    }

    public func send(_ message: Tocsin_V1_Message) async throws {
        try await channel.writeAndFlush(message).get()
    }

    public func close() async {
        try? await channel.close().get()
    }

    final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = PeerMessage
        let received: NIOLockedValueBox<[Tocsin_V1_Message]>
        let authenticated: EventLoopPromise<Void>
        let onRead: @Sendable () -> Void

        init(
            received: NIOLockedValueBox<[Tocsin_V1_Message]>, authenticated: EventLoopPromise<Void>,
            onRead: @escaping @Sendable () -> Void
        ) {
            self.received = received
            self.authenticated = authenticated
            self.onRead = onRead
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let message = unwrapInboundIn(data).protobuf
            received.withLockedValue { $0.append(message) }
            onRead()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is PeerAuthenticated { authenticated.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            authenticated.fail(ChannelError.ioOnClosedChannel)
            context.fireChannelInactive()
        }
    }
}
