import Foundation
import NIOCore
import NIOEmbedded
import Testing
import TocsinCore
import TocsinCrypto
import TocsinNet

/// TLS and framing between two in-memory channels.
@Suite struct InMemorySessionTests {
    struct Pair {
        let client: EmbeddedChannel
        let server: EmbeddedChannel
        let clientRecorder = Recorder()
        let serverRecorder = Recorder()

        init(
            client clientHandler: OpenSSLHandler, server serverHandler: OpenSSLHandler, maximumFrameSize: Int = 4096
        ) throws {
            client = EmbeddedChannel()
            server = EmbeddedChannel()
            try client.pipeline.syncOperations.addHandlers([
                clientHandler, MessageFramer(maximumFrameSize: maximumFrameSize), clientRecorder,
            ])
            try server.pipeline.syncOperations.addHandlers([
                serverHandler, MessageFramer(maximumFrameSize: maximumFrameSize), serverRecorder,
            ])
        }

        /// Moves bytes between the two until both are quiet; `cut` gives the size of each
        /// piece a write is delivered in (whole, by default).
        func interact(cut: () -> Int = { .max }) throws {
            func deliver(_ bytes: ByteBuffer, to channel: EmbeddedChannel) throws {
                var bytes = bytes
                while bytes.readableBytes > 0, channel.isActive {
                    try channel.writeInbound(bytes.readSlice(length: min(max(1, cut()), bytes.readableBytes))!)
                }
            }
            for _ in 0..<50 {
                var moved = false
                while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    try deliver(bytes, to: server)
                }
                while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                    moved = true
                    try deliver(bytes, to: client)
                }
                if !moved { return }
            }
        }

        func connect() throws {
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
            try server.connect(to: address).wait()
            try client.connect(to: address).wait()
            try interact()
        }
    }

    static func ping(_ nonce: UInt64) -> Tocsin_V1_Message { .with { $0.ping = .with { $0.nonce = nonce } } }

    @Test func peersAuthenticateExchangeFramesAndCloseCleanly() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let pair = try Pair(
            client: try fixture.handler("XA", role: .client), server: try fixture.handler("RN", role: .server))
        // Written before the handshake: held until the peer is authorized.
        pair.client.writeAndFlush(Self.ping(1), promise: nil)
        try pair.connect()
        #expect(pair.clientRecorder.authenticated == ["RN"])
        #expect(pair.serverRecorder.authenticated == ["XA"])
        #expect(pair.serverRecorder.messages == [Self.ping(1)])

        let promise = pair.server.eventLoop.makePromise(of: Void.self)
        pair.server.writeAndFlush(Self.ping(2), promise: promise)
        try pair.interact()
        try promise.futureResult.wait()
        #expect(pair.clientRecorder.messages == [Self.ping(2)])

        // The client closes: close_notify both ways, both channels close, no unclean shutdown.
        pair.client.close(promise: nil)
        try pair.interact()
        #expect(!pair.server.isActive)
        #expect(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)")
    }

    /// A catch-up's frames are megabytes long, and TLS reads and writes them in place: they
    /// arrive whole whatever pieces the network cuts them into.
    @Test(arguments: [1 << 20, 9_000, 777])
    func framesOfMegabytesCrossTLSWhateverThePiecesTheNetworkCuts(largestPiece: Int) throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let pair = try Pair(
            client: try fixture.handler("XA", role: .client), server: try fixture.handler("RN", role: .server),
            maximumFrameSize: FrameDecoder.defaultMaximumFrameSize)
        try pair.connect()
        var random = SystemRandomNumberGenerator()
        let entries = (0..<3).map { batch in
            EntriesMessage(
                origin: "tocsin-xa/ecowatch/XB", firstIndex: UInt64(batch * 1500),
                entries: (0..<1500).map { index in
                    (0..<Int.random(in: 0...1500, using: &random)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                },
                checkpoint: Array("checkpoint \(batch)\n".utf8))
        }
        for message in entries {
            pair.server.write(Tocsin_V1_Message.with { $0.entries = message.message }, promise: nil)
        }
        pair.server.flush()
        try pair.interact(cut: { Int.random(in: 1...largestPiece, using: &random) })
        #expect(pair.clientRecorder.messages == entries.map { message in .with { $0.entries = message.message } })
        #expect(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)")
    }

    @Test func aPeerWhoseKeyTheCharterDoesNotPinIsRefused() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let serverHandler = OpenSSLHandler(
            context: try fixture.context("RN"), role: .server, authorize: { id, _ in id != "XA" })
        let pair = try Pair(client: try fixture.handler("XA", role: .client), server: serverHandler)
        pair.client.writeAndFlush(Self.ping(1), promise: nil)
        try pair.connect()
        #expect(pair.serverRecorder.authenticated.isEmpty)
        #expect(pair.serverRecorder.messages.isEmpty)
        #expect(pair.serverRecorder.errors.contains { $0 as? PeerSessionError == .peerNotInCharter(nodeID: "XA") })
        #expect(!pair.server.isActive)
    }

    @Test func anOversizedFrameEndsTheSessionBeforeItIsBuffered() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let pair = try Pair(
            client: try fixture.handler("XA", role: .client), server: try fixture.handler("RN", role: .server))
        try pair.connect()
        // A raw 4-byte header announcing 1 MiB, written below the framer.
        var header = pair.client.allocator.buffer(capacity: 4)
        header.writeInteger(UInt32(1 << 20))
        // Written from the framer's place in the pipeline: it goes to TLS unframed.
        let framerContext = try pair.client.pipeline.syncOperations.context(handlerType: MessageFramer.self)
        framerContext.writeAndFlush(NIOAny(header), promise: nil)
        try pair.interact()
        #expect(
            pair.serverRecorder.errors.contains {
                $0 as? PeerSessionError == .frameTooLarge(length: 1 << 20, limit: 4096)
            })
    }

    @Test func aHandshakeThatStallsTimesOut() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let loop = EmbeddedEventLoop()
        let server = EmbeddedChannel(loop: loop)
        let recorder = Recorder()
        let handler = OpenSSLHandler(
            context: try fixture.context("RN"), role: .server, handshakeTimeout: .seconds(5),
            authorize: fixture.authorize)
        try server.pipeline.syncOperations.addHandlers([handler, MessageFramer(), recorder])
        try server.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        loop.advanceTime(by: .seconds(4))
        #expect(server.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(recorder.errors.contains { $0 as? PeerSessionError == .handshakeTimeout })
        #expect(!server.isActive)
    }

    @Test func garbageInsteadOfTLSIsRefused() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let server = EmbeddedChannel()
        let recorder = Recorder()
        try server.pipeline.syncOperations.addHandlers([
            try fixture.handler("RN", role: .server), MessageFramer(), recorder,
        ])
        try server.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try server.writeInbound(server.allocator.buffer(string: "GET / HTTP/1.1\r\nHost: relay\r\n\r\n"))
        #expect(recorder.errors.contains { $0 is TLSError })
        #expect(!server.isActive)
        #expect(recorder.messages.isEmpty)
    }
}
