/// Why a TLS context could not be made or a connection failed.
public enum TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    case configuration(OpenSSLError)
    /// The handshake failed: the peer's certificate was refused, or it spoke another version.
    case handshakeFailed(reason: String)
    /// The connection failed after the handshake (a corrupt record, an unexpected message).
    case protocolFailure(reason: String)
    case notHandshaken
    /// The peer presented no certificate.
    case noPeerCertificate

    public var description: String {
        switch self {
        case .configuration(let error): return "TLS configuration: \(error)"
        case .handshakeFailed(let reason): return "TLS handshake failed: \(reason)"
        case .protocolFailure(let reason): return "TLS connection failed: \(reason)"
        case .notHandshaken: return "the TLS handshake has not completed"
        case .noPeerCertificate: return "the peer presented no certificate"
        }
    }
}
