import Foundation
import NIOCore
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNet

/// A test client speaking to a node as one of the network's members, over real TLS: for
/// hostile and reconnecting peers.
enum TestPeer {
    /// Opens a session to 127.0.0.1:`port` as `id` and waits until both sides are authenticated.
    static func connect(
        as id: String, of network: FictionalNetwork, port: Int, onRead: @escaping @Sendable () -> Void = {}
    ) async throws -> (Channel, Capture) {
        let member = network.member(id)!
        let context = try TLSContext(
            certificateChain: [member.certificate], key: member.key, authority: network.authority.certificate)
        let group = LocalNetworkTests.group
        let authenticated = group.next().makePromise(of: Void.self)
        let capture = Capture(authenticated: authenticated, onRead: onRead)
        let charter = network.charter
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        OpenSSLHandler(
                            context: context, role: .client, authorize: { charter.pins(nodeID: $0, publicKey: $1) }),
                        MessageFramer(), capture,
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await authenticated.futureResult.get()
        return (channel, capture)
    }

    /// The `Hello` `id` sends first.
    static func hello(from id: String, of network: FictionalNetwork) -> Tocsin_V1_Message {
        .with {
            $0.hello = .with {
                $0.protocolVersion = SyncNode.protocolVersion
                $0.networkID = Data(network.networkID.digest.bytes)
                $0.nodeID = id
                $0.charterVersion = 1
            }
        }
    }
}
