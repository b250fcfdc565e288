import Foundation
import TocsinCrypto

/// Why a peer session ended badly. Each says what happened and what to check.
public enum PeerSessionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer's certificate chains to the authority, but the charter pins another key (or no
    /// node) for its CN.
    case peerNotInCharter(nodeID: String)
    case handshakeTimeout
    /// The connection ended without close_notify: possibly truncated by an attacker or a crash.
    case uncleanShutdown
    case frameTooLarge(length: Int, limit: Int)
    case malformedMessage(String)
    /// More bytes than the per-peer limit allows: a burst, then a sustained rate.
    case byteRate(burst: Int, perSecond: Int)

    public var description: String {
        switch self {
        case .peerNotInCharter(let nodeID):
            return
                "\(nodeID.prefix(64).debugDescription) presented a certificate of this network whose key the charter does not pin for it"
        case .handshakeTimeout:
            return "the TLS handshake did not complete in time"
        case .uncleanShutdown:
            return "the connection ended without close_notify (peer crashed or the connection was cut)"
        case .frameTooLarge(let length, let limit):
            return "the peer announced a frame of \(length) bytes, more than the limit of \(limit)"
        case .malformedMessage(let reason):
            return "the peer sent a malformed message: \(reason)"
        case .byteRate(let burst, let perSecond):
            return
                "the peer sent more than \(perSecond >> 20) MiB a second (burst \(burst >> 20) MiB): the session is closed"
        }
    }
}

/// Fired inbound once the TLS handshake succeeded and the charter authorized the peer.
public struct PeerAuthenticated: Sendable, Equatable {
    public let nodeID: String
    /// The key of the peer's certificate: an amendment that no longer pins it closes the session.
    public let publicKey: Ed25519PublicKey?
    /// When the peer's certificate expires (nil if it does not say).
    public let certificateNotAfter: Date?

    public init(nodeID: String, publicKey: Ed25519PublicKey? = nil, certificateNotAfter: Date? = nil) {
        self.nodeID = nodeID
        self.publicKey = publicKey
        self.certificateNotAfter = certificateNotAfter
    }
}
