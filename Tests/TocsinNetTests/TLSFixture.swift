import Foundation
import NIOCore
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNet

/// A fictional network's TLS material, in memory and as PEM files for the `openssl` command.
struct TLSFixture {
    let network: FictionalNetwork
    let directory: URL

    init() throws {
        network = try FictionalNetwork.make(nationals: 2, relays: 1, now: Date())
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-tls-\(UUID().uuidString)")
        try network.write(to: directory)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func context(_ id: String, at time: Date? = nil) throws -> TLSContext {
        let member = network.member(id)!
        return try TLSContext(
            certificateChain: [member.certificate], key: member.key, authority: network.authority.certificate,
            verificationTime: time)
    }

    /// The charter's pin, as a node checks it after each handshake.
    var authorize: @Sendable (String, Ed25519PublicKey) -> Bool {
        let charter = network.charter
        return { charter.pins(nodeID: $0, publicKey: $1) }
    }

    func handler(_ id: String, role: TLSConnection.Role) throws -> OpenSSLHandler {
        OpenSSLHandler(context: try context(id), role: role, authorize: authorize)
    }
}

/// Records what reaches the end of a pipeline.
final class Recorder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = PeerMessage

    var messages: [Tocsin_V1_Message] = []
    var authenticated: [String] = []
    var errors: [any Error] = []
    var inactive = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        messages.append(unwrapInboundIn(data).protobuf)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? PeerAuthenticated { authenticated.append(event.nodeID) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        errors.append(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
    }
}
