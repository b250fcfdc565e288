import COpenSSL
import COpenSSLShims

/// One TLS connection driven through memory BIOs: ciphertext in from the network, ciphertext
/// out to it, plaintext in between. No socket: the caller (a SwiftNIO handler, a test) moves
/// the bytes, so the same code runs over real sockets and in-memory pairs.
public final class TLSConnection {
    public enum Role: Sendable {
        case client
        case server
    }

    private let ssl: OpaquePointer
    // Owned by `ssl` after SSL_set_bio.
    private let networkToTLS: OpaquePointer
    private let tlsToNetwork: OpaquePointer
    private let context: TLSContext

    /// True once the handshake (and OpenSSL's verification of the peer) succeeded.
    public private(set) var isHandshakeComplete = false
    /// True once the peer sent close_notify: a clean end of the connection.
    public private(set) var receivedCloseNotify = false

    public init(context: TLSContext, role: Role) {
        guard let ssl = SSL_new(context.context), let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem())
        else { fatalError("OpenSSL could not allocate a TLS connection") }
        // An empty input BIO means "wait for more bytes", not end of file.
        BIO_ctrl(input, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(ssl, input, output)
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        self.ssl = ssl
        self.networkToTLS = input
        self.tlsToNetwork = output
        self.context = context
    }

    deinit { SSL_free(ssl) }

    /// Starts the handshake (a client's first flight); `takeOutput` then has bytes to send.
    public func start() throws(TLSError) {
        try advanceHandshake()
    }

    /// Takes bytes from the network; returns the plaintext they completed.
    public func receive(_ ciphertext: [UInt8]) throws(TLSError) -> [UInt8] {
        try ciphertext.withUnsafeBytes { bytes in Result { () throws(TLSError) in try receive(ciphertext: bytes) } }
            .get()
        var plaintext: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try buffer.withUnsafeMutableBytes { bytes in
                Result { () throws(TLSError) in try readPlaintext(into: bytes) }
            }.get()
            if count == 0 { return plaintext }
            plaintext += buffer[0..<count]
        }
    }

    /// Takes bytes from the network (OpenSSL copies them), and advances the handshake with
    /// them while it is not complete. Plaintext they complete is then read with
    /// `readPlaintext(into:)`.
    public func receive(ciphertext: UnsafeRawBufferPointer) throws(TLSError) {
        if let base = ciphertext.baseAddress, !ciphertext.isEmpty {
            let written = BIO_write(networkToTLS, base, Int32(clamping: ciphertext.count))
            precondition(written == Int32(clamping: ciphertext.count), "a memory BIO accepts everything")
        }
        if !isHandshakeComplete { try advanceHandshake() }
    }

    /// Decrypts plaintext received into `buffer`: the number of bytes written, 0 when nothing
    /// more can be read until more ciphertext arrives (or once the peer closed,
    /// `receivedCloseNotify`). Nothing is read before the handshake is complete.
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
        guard isHandshakeComplete, let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        let count = SSL_read(ssl, base, Int32(clamping: buffer.count))
        if count > 0 { return Int(count) }
        switch SSL_get_error(ssl, count) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return 0
        case SSL_ERROR_ZERO_RETURN:
            receivedCloseNotify = true
            return 0
        default:
            throw TLSError.protocolFailure(reason: Self.reason(OpenSSLError.drainQueue()))
        }
    }

    /// Encrypts `plaintext`; `takeOutput` then has the records to send.
    public func send(_ plaintext: [UInt8]) throws(TLSError) {
        try plaintext.withUnsafeBytes { bytes in Result { () throws(TLSError) in try send(bytes) } }.get()
    }

    /// Encrypts `plaintext` (read in place); `takeOutput` then has the records to send.
    public func send(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard isHandshakeComplete else { throw TLSError.notHandshaken }
        guard let base = plaintext.baseAddress, !plaintext.isEmpty else { return }
        guard plaintext.count <= Int(Int32.max) else {
            throw TLSError.protocolFailure(reason: "\(plaintext.count) bytes in one write, more than TLS takes at once")
        }
        let written = SSL_write(ssl, base, Int32(plaintext.count))
        guard written == Int32(plaintext.count) else {
            throw TLSError.protocolFailure(reason: Self.reason(OpenSSLError.drainQueue()))
        }
    }

    /// Everything TLS produced for the network since the last call.
    public func takeOutput() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pendingOutputCount) { buffer, count in
            count = takeOutput(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Bytes TLS produced for the network and not yet taken.
    public var pendingOutputCount: Int { Int(clamping: max(0, tocsin_bio_pending(tlsToNetwork))) }

    /// Moves what TLS produced for the network into `buffer`, as much as fits: the number of
    /// bytes written.
    public func takeOutput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty, pendingOutputCount > 0 else { return 0 }
        return Int(max(0, BIO_read(tlsToNetwork, base, Int32(clamping: buffer.count))))
    }

    /// Sends close_notify (through `takeOutput`).
    public func close() {
        if isHandshakeComplete { _ = SSL_shutdown(ssl) }
        _ = OpenSSLError.drainQueue()
    }

    /// The TLS version negotiated, e.g. "TLSv1.3".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The peer's certificate, verified by OpenSSL against the authority during the handshake.
    public func peerCertificate() throws(TLSError) -> Certificate {
        guard isHandshakeComplete else { throw TLSError.notHandshaken }
        guard let certificate = SSL_get1_peer_certificate(ssl) else { throw TLSError.noPeerCertificate }
        return Certificate(owning: certificate)
    }

    /// The peer's node id (its certificate's CN) and public key, to be checked against the
    /// key the charter pins for that id.
    public func peerIdentity() throws(TLSError) -> (nodeID: String, publicKey: Ed25519PublicKey) {
        let certificate = try peerCertificate()
        guard let commonName = certificate.subjectCommonName else {
            throw TLSError.handshakeFailed(reason: "the peer certificate has no CN")
        }
        do {
            return (commonName, try certificate.publicKey())
        } catch {
            throw TLSError.handshakeFailed(reason: "the peer certificate's key: \(error)")
        }
    }

    private func advanceHandshake() throws(TLSError) {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshakeComplete = true
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return
        default:
            var reasons = OpenSSLError.drainQueue()
            let verification = SSL_get_verify_result(ssl)
            if verification != X509_V_OK {
                reasons.insert(
                    "peer certificate: \(String(cString: X509_verify_cert_error_string(verification)))", at: 0)
            }
            throw TLSError.handshakeFailed(reason: Self.reason(reasons))
        }
    }

    private static func reason(_ reasons: [String]) -> String {
        reasons.isEmpty ? "the connection was closed or corrupted" : reasons.joined(separator: "; ")
    }
}
