import TocsinMetrics

/// Counts one session's frames and bytes against its peer once the peer is authenticated
/// (frames before that are TLS's, not the protocol's).
///
/// Confined to the session's event loop: the framer counts, the session handler names the
/// peer, both on that loop.
final class SessionMeter: @unchecked Sendable {
    private let metrics: NodeMetrics
    private var traffic: PeerTraffic?

    init(metrics: NodeMetrics) {
        self.metrics = metrics
    }

    /// The session is now `peer`'s.
    func authenticated(as peer: String) {
        traffic = metrics.traffic(peer: peer)
    }

    func count(inbound: Bool, bytes: Int) {
        guard let traffic else { return }
        if inbound {
            traffic.receivedFrames.increment()
            traffic.receivedBytes.increment(by: Int64(bytes))
        } else {
            traffic.sentFrames.increment()
            traffic.sentBytes.increment(by: Int64(bytes))
        }
    }
}
