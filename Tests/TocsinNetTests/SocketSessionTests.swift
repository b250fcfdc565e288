import Foundation
import NIOCore
import NIOPosix
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNet

/// What the sessions of a test server saw, safe to read from the test's thread.
final class SessionLog: @unchecked Sendable {
    private let condition = NSCondition()
    private(set) var authenticated: [String] = []
    private(set) var errors: [String] = []
    private(set) var messages: [Tocsin_V1_Message] = []
    private(set) var closedSessions = 0

    func record(_ body: (SessionLog) -> Void) {
        condition.lock()
        body(self)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `predicate` holds (each event wakes the waiter), at most `timeout` seconds.
    func wait(timeout: TimeInterval = 20, until predicate: (SessionLog) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(self) {
            if !condition.wait(until: deadline) { return predicate(self) }
        }
        return true
    }

    fileprivate func add(authenticated id: String) { record { $0.authenticated.append(id) } }
    fileprivate func add(error: String) { record { $0.errors.append(error) } }
    fileprivate func add(message: Tocsin_V1_Message) { record { $0.messages.append(message) } }
    fileprivate func addClosed() { record { $0.closedSessions += 1 } }
}

final class LoggingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = PeerMessage
    let log: SessionLog
    init(log: SessionLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { log.add(message: unwrapInboundIn(data).protobuf) }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? PeerAuthenticated { log.add(authenticated: event.nodeID) }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { log.add(error: String(describing: error)) }
    func channelInactive(context: ChannelHandlerContext) { log.addClosed() }
}

@Suite(.serialized) struct SocketSessionTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// A node's TLS listener on 127.0.0.1 (random port), recording its sessions.
    func listen(_ fixture: TLSFixture, as id: String, log: SessionLog) throws -> Channel {
        let context = try fixture.context(id)
        let authorize = fixture.authorize
        return try ServerBootstrap(group: Self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        OpenSSLHandler(context: context, role: .server, authorize: authorize), MessageFramer(),
                        LoggingHandler(log: log),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    func connect(_ fixture: TLSFixture, as id: String, port: Int, log: SessionLog) throws -> Channel {
        let context = try fixture.context(id)
        let authorize = fixture.authorize
        return try ClientBootstrap(group: Self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        OpenSSLHandler(context: context, role: .client, authorize: authorize), MessageFramer(),
                        LoggingHandler(log: log),
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).wait()
    }

    func sClient(
        _ fixture: TLSFixture, port: Int, certificate: String, key: String, extra: [String] = []
    ) throws
        -> ExternalCommand.Result
    {
        try ExternalCommand.onPath(
            "openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-cert", certificate, "-key", key, "-CAfile",
                fixture.path("ca.crt"),
            ]
                + extra
        ).run(timeout: 30)
    }

    @Test func twoNodesExchangeFramesOverRealSockets() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let serverLog = SessionLog()
        let clientLog = SessionLog()
        let server = try listen(fixture, as: "RN", log: serverLog)
        defer { try? server.close().wait() }
        let client = try connect(fixture, as: "XA", port: server.localAddress!.port!, log: clientLog)
        try client.writeAndFlush(Tocsin_V1_Message.with { $0.ping = .with { $0.nonce = 7 } }).wait()
        #expect(serverLog.wait { $0.messages.count == 1 && $0.authenticated == ["XA"] })
        #expect(clientLog.wait { $0.authenticated == ["RN"] })
        try client.close().wait()
        #expect(serverLog.wait { $0.closedSessions == 1 })
        // close_notify was exchanged: no unclean shutdown on either side.
        #expect(serverLog.errors.isEmpty, "\(serverLog.errors)")
    }

    @Test func opensslSClientWithAValidNodeCertificateCompletesTheHandshake() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let log = SessionLog()
        let server = try listen(fixture, as: "RN", log: log)
        defer { try? server.close().wait() }
        let result = try sClient(
            fixture, port: server.localAddress!.port!, certificate: fixture.path("nodes/XA.crt"),
            key: fixture.path("nodes/XA.key"))
        #expect(log.wait { $0.authenticated == ["XA"] }, "\(result.output) \(result.errorOutput) \(log.errors)")
        #expect(result.output.contains("TLSv1.3"))
    }

    @Test func opensslSClientIsRefusedWithoutAValidNodeCertificate() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let log = SessionLog()
        let server = try listen(fixture, as: "RN", log: log)
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let now = Date()

        // Another authority's certificate.
        let stranger = try CertificateIssuer.authority(
            name: "Another authority", key: Ed25519PrivateKey.generate(), notBefore: now - 3600, notAfter: now + 86_400,
            serial: 1)
        // This authority's certificates: for a key the charter does not pin, and an expired one.
        func write(_ key: Ed25519PrivateKey, _ certificate: Certificate, _ name: String) throws {
            try KeyFile.write(key, to: fixture.path("\(name).key"))
            try certificate.pem.write(toFile: fixture.path("\(name).crt"), atomically: true, encoding: .utf8)
        }
        let foreignKey = try Ed25519PrivateKey.generate()
        try write(
            foreignKey,
            try stranger.issue(
                nodeID: "XA", publicKey: foreignKey.publicKey, notBefore: now - 3600, notAfter: now + 86_400, serial: 2),
            "foreign")
        let unpinnedKey = try Ed25519PrivateKey.generate()
        try write(
            unpinnedKey,
            try fixture.network.authority.issue(
                nodeID: "XA", publicKey: unpinnedKey.publicKey, notBefore: now - 3600, notAfter: now + 86_400,
                serial: 77),
            "unpinned")
        let expiredKey = fixture.network.member("XB")!.key
        try fixture.network.authority.issue(
            nodeID: "XB", publicKey: expiredKey.publicKey, notBefore: now - 86_400, notAfter: now - 3600, serial: 78
        ).pem.write(toFile: fixture.path("expired.crt"), atomically: true, encoding: .utf8)

        let attempts: [(String, String, [String], String)] = [
            (fixture.path("foreign.crt"), fixture.path("foreign.key"), [], "another authority"),
            (fixture.path("unpinned.crt"), fixture.path("unpinned.key"), [], "a key the charter does not pin"),
            (fixture.path("expired.crt"), fixture.path("nodes/XB.key"), [], "an expired certificate"),
            (fixture.path("nodes/XA.crt"), fixture.path("nodes/XA.key"), ["-tls1_2"], "TLS 1.2 only"),
        ]
        for (number, (certificate, key, extra, what)) in attempts.enumerated() {
            _ = try sClient(fixture, port: port, certificate: certificate, key: key, extra: extra)
            #expect(log.wait { $0.closedSessions == number + 1 }, "\(what)")
            #expect(log.authenticated.isEmpty, "\(what) was accepted")
        }
        #expect(log.errors.contains { $0.contains("charter does not pin") })
        #expect(log.errors.contains { $0.contains("expired") })

        // Plaintext.
        let plain = try ClientBootstrap(group: Self.group).connect(host: "127.0.0.1", port: port).wait()
        try plain.writeAndFlush(plain.allocator.buffer(string: "HELLO RN\r\n")).wait()
        #expect(log.wait { $0.closedSessions == attempts.count + 1 })
        try? plain.close().wait()
        #expect(log.authenticated.isEmpty)
    }

    @Test func tocsinsClientCompletesAHandshakeWithOpensslSServer() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        // A free port: bind, read, release.
        let probe = try ServerBootstrap(group: Self.group).bind(host: "127.0.0.1", port: 0).wait()
        let port = probe.localAddress!.port!
        try probe.close().wait()
        let server = try ExternalCommand.onPath(
            "openssl",
            [
                "s_server", "-accept", "127.0.0.1:\(port)", "-cert", fixture.path("nodes/RN.crt"), "-key",
                fixture.path("nodes/RN.key"), "-CAfile", fixture.path("ca.crt"), "-Verify", "1", "-tls1_3", "-naccept",
                "1", "-www",
            ]
        ).start()
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        let log = SessionLog()
        var client: Channel?
        // s_server needs a moment to listen: retry the connection, never longer than 20 s.
        let deadline = Date().addingTimeInterval(20)
        while client == nil && Date() < deadline {
            client = try? connect(fixture, as: "XA", port: port, log: log)
            if client == nil { usleep(50_000) }
        }
        let channel = try #require(client)
        #expect(log.wait { $0.authenticated == ["RN"] }, "\(log.errors)")
        try? channel.close().wait()
    }
}
