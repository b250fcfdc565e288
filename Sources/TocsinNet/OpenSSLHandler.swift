import NIOCore
import TocsinCrypto

/// TLS 1.3 with mutual authentication, on the system's OpenSSL, as a SwiftNIO handler.
///
/// It drives a `TLSConnection` (OpenSSL over memory BIOs): ciphertext from the network goes
/// in, plaintext goes up the pipeline; plaintext written down the pipeline is encrypted and
/// written out on flush. After the handshake the peer's CN and key must be authorized (the
/// charter's pin) before anything is passed up; writes issued earlier wait for that.
///
/// States: idle → handshaking → active → closing → closed. Closing sends close_notify and
/// closes the connection once it is written; a connection that ends without the peer's
/// close_notify is reported as `PeerSessionError.uncleanShutdown`.
public final class OpenSSLHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    enum State: Equatable {
        case idle
        case handshaking
        case active(peer: String)
        case closing
        case closed
    }

    private let connection: TLSConnection
    private let role: TLSConnection.Role
    private let handshakeTimeout: TimeAmount
    private let authorize: (String, Ed25519PublicKey) -> Bool
    private(set) var state: State = .idle
    private var bufferedWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var pendingPromises: [EventLoopPromise<Void>] = []
    private var handshakeTimer: Scheduled<Void>?

    /// - Parameter authorize: whether the charter pins this key for this node id.
    public init(
        context: TLSContext, role: TLSConnection.Role, handshakeTimeout: TimeAmount = .seconds(10),
        authorize: @escaping (String, Ed25519PublicKey) -> Bool
    ) {
        self.connection = TLSConnection(context: context, role: role)
        self.role = role
        self.handshakeTimeout = handshakeTimeout
        self.authorize = authorize
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    private func begin(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            let (handler, context) = loopBound.value
            if handler.state == .handshaking { handler.fail(context: context, PeerSessionError.handshakeTimeout) }
        }
        if role == .client {
            do {
                try connection.start()
            } catch {
                fail(context: context, error)
                return
            }
            writeCiphertext(context: context, flush: true)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard state == .handshaking || isActive else { return }
        // Ciphertext goes from the socket's buffer into OpenSSL, and plaintext from OpenSSL
        // into the buffer passed up: no other copy (a catch-up moves hundreds of megabytes).
        // Room for what this ciphertext holds and a record's worth more (OpenSSL may hold part
        // of a record from the read before).
        var plaintext = context.channel.allocator.buffer(capacity: buffer.readableBytes + Self.plaintextReadSize)
        do {
            try buffer.withUnsafeReadableBytes { try connection.receive(ciphertext: $0) }
            if connection.isHandshakeComplete {
                while try plaintext.writeWithUnsafeMutableBytes(
                    minimumWritableBytes: Self.plaintextReadSize, { try connection.readPlaintext(into: $0) }) > 0
                {}
            }
        } catch {
            writeCiphertext(context: context, flush: true)  // an alert, if OpenSSL made one
            fail(context: context, error)
            return
        }
        if state == .handshaking && connection.isHandshakeComplete {
            guard completeHandshake(context: context) else { return }
        }
        if plaintext.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(plaintext))
        }
        if connection.receivedCloseNotify && isActive {
            // The peer is done: answer with our close_notify and close.
            initiateClose(context: context, promise: nil)
            return
        }
        writeCiphertext(context: context, flush: true)
    }

    private var isActive: Bool {
        if case .active = state { return true }
        return false
    }

    private func completeHandshake(context: ChannelHandlerContext) -> Bool {
        handshakeTimer?.cancel()
        let identity: (nodeID: String, publicKey: Ed25519PublicKey)
        do {
            identity = try connection.peerIdentity()
        } catch {
            fail(context: context, error)
            return false
        }
        guard authorize(identity.nodeID, identity.publicKey) else {
            fail(context: context, PeerSessionError.peerNotInCharter(nodeID: identity.nodeID))
            return false
        }
        state = .active(peer: identity.nodeID)
        let notAfter = (try? connection.peerCertificate())?.notAfter
        context.fireUserInboundEventTriggered(
            PeerAuthenticated(nodeID: identity.nodeID, publicKey: identity.publicKey, certificateNotAfter: notAfter))
        let writes = bufferedWrites
        bufferedWrites = []
        for (buffer, promise) in writes { encrypt(buffer, promise: promise, context: context) }
        writeCiphertext(context: context, flush: true)
        return true
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking:
            bufferedWrites.append((buffer, promise))
        case .active:
            encrypt(buffer, promise: promise, context: context)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        do {
            try buffer.withUnsafeReadableBytes { try connection.send($0) }
            if let promise { pendingPromises.append(promise) }
        } catch {
            promise?.fail(error)
            fail(context: context, error)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        writeCiphertext(context: context, flush: true)
    }

    /// Writes what OpenSSL produced; the promises of the plaintext it carries follow it.
    private func writeCiphertext(context: ChannelHandlerContext, flush: Bool) {
        let output = takeOutput(context: context)
        let promises = pendingPromises
        pendingPromises = []
        guard output.readableBytes > 0 else {
            promises.forEach { $0.succeed() }
            return
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        for pending in promises { promise.futureResult.cascade(to: pending) }
        context.write(wrapOutboundOut(output), promise: promise)
        if flush { context.flush() }
    }

    /// Plaintext read from OpenSSL at a time, at least (a TLS record holds at most 16 KiB).
    static let plaintextReadSize = 16 * 1024

    /// What OpenSSL produced for the network, moved straight into a buffer to write.
    private func takeOutput(context: ChannelHandlerContext) -> ByteBuffer {
        let pending = connection.pendingOutputCount
        var output = context.channel.allocator.buffer(capacity: pending)
        if pending > 0 {
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { connection.takeOutput(into: $0) }
        }
        return output
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        initiateClose(context: context, promise: promise)
    }

    /// Sends close_notify, then closes the connection once it is written.
    private func initiateClose(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch state {
        case .closed, .closing:
            context.close(promise: promise)
            return
        case .active:
            connection.close()
        case .idle, .handshaking:
            break
        }
        state = .closing
        handshakeTimer?.cancel()
        let output = takeOutput(context: context)
        if output.readableBytes == 0 {
            context.close(promise: promise)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(output)).whenComplete { _ in
            loopBound.value.close(promise: promise)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        let previous = state
        state = .closed
        for (_, promise) in bufferedWrites { promise?.fail(ChannelError.ioOnClosedChannel) }
        bufferedWrites = []
        if case .active = previous, !connection.receivedCloseNotify {
            context.fireErrorCaught(PeerSessionError.uncleanShutdown)
        }
        if previous == .handshaking {
            context.fireErrorCaught(
                TLSError.handshakeFailed(reason: "the peer closed the connection during the handshake"))
        }
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        guard state != .closed else { return }
        handshakeTimer?.cancel()
        state = .closing
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
