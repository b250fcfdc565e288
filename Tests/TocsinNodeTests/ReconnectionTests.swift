import Foundation
import NIOCore
import NIOPosix
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNet
import TocsinNode

/// One session per pair of nodes, under faults: a peer that comes back while its old session
/// still looks alive here (it restarted, or the path died without a FIN) is let in at once.
@Suite(.serialized) struct ReconnectionTests {
    /// Opens an authenticated session to `port` as `id` and sends its Hello.
    static func session(
        as id: String, in local: LocalNetworkTests.LocalNetwork, port: Int
    ) async throws -> (Channel, Capture) {
        let waiter = local.waiter
        let (channel, capture) = try await TestPeer.connect(
            as: id, of: local.network, port: port, onRead: { waiter.signal() })
        try await channel.writeAndFlush(TestPeer.hello(from: id, of: local.network)).get()
        return (channel, capture)
    }

    static func heads(_ capture: Capture) -> Bool {
        capture.messages.contains { if case .heads = $0.body { return true } else { return false } }
    }

    @Test func aPeerThatReconnectsReplacesItsOldSessionAtOnce() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 2, relays: 1) { local in
            try local.create("RN")
            try await local.start("RN", peers: [])
            let port = local.ports["RN"]!
            let relay = local.nodes["RN"]!

            // XA's first session: established, answered.
            let (first, firstCapture) = try await Self.session(as: "XA", in: local, port: port)
            #expect(await local.waiter.wait { await relay.connectedPeers() == ["XA"] && Self.heads(firstCapture) })

            // XA comes back on a new connection while the first one is still open here. "RN" < "XA",
            // so the simultaneous-dial rule alone would keep the old session and refuse this one.
            let (second, secondCapture) = try await Self.session(as: "XA", in: local, port: port)
            #expect(await local.waiter.wait(timeout: 10) { Self.heads(secondCapture) }, "the new session is served")
            #expect((try? await first.closeFuture.get()) != nil, "the old session is closed")
            #expect(second.isActive)
            #expect(await relay.connectedPeers() == ["XA"])
            try await second.close().get()
        }
    }
}
