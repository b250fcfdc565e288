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
        if !ciphertext.isEmpty {
            let written = ciphertext.withUnsafeBytes { BIO_write(networkToTLS, $0.baseAddress, Int32($0.count)) }
            precondition(written == Int32(ciphertext.count), "a memory BIO accepts everything")
        }
        if !isHandshakeComplete {
            try advanceHandshake()
            if !isHandshakeComplete { return [] }
        }
        var plaintext: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = SSL_read(ssl, &buffer, Int32(buffer.count))
            if count > 0 {
                plaintext += buffer[0..<Int(count)]
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return plaintext
            case SSL_ERROR_ZERO_RETURN:
                receivedCloseNotify = true
                return plaintext
            default:
                throw TLSError.protocolFailure(reason: Self.reason(OpenSSLError.drainQueue()))
            }
        }
    }

    /// Encrypts `plaintext`; `takeOutput` then has the records to send.
    public func send(_ plaintext: [UInt8]) throws(TLSError) {
        guard isHandshakeComplete else { throw TLSError.notHandshaken }
        guard !plaintext.isEmpty else { return }
        let written = plaintext.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(plaintext.count) else {
            throw TLSError.protocolFailure(reason: Self.reason(OpenSSLError.drainQueue()))
        }
    }

    /// Everything TLS produced for the network since the last call.
    public func takeOutput() -> [UInt8] {
        let pending = tocsin_bio_pending(tlsToNetwork)
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(pending))
        let read = BIO_read(tlsToNetwork, &bytes, Int32(pending))
        return Array(bytes.prefix(Int(max(read, 0))))
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
