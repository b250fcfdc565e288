/// `GET /v1/peers`: a configured or connected peer.
public struct PeerStatus: Codable, Sendable, Equatable {
    public var nodeID: String
    public var role: String
    /// `host:port` for a peer this node dials; nil for one that dialled in.
    public var address: String?
    public var connected: Bool
    /// Requests for entries (`Want`s) the peer left unanswered past the timeout since this node
    /// started, each then asked of another peer: a peer that keeps doing so withholds feeds.
    public var unansweredWants: Int

    public init(nodeID: String, role: String, address: String?, connected: Bool, unansweredWants: Int = 0) {
        self.nodeID = nodeID
        self.role = role
        self.address = address
        self.connected = connected
        self.unansweredWants = unansweredWants
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "nodeId"
        case role, address, connected, unansweredWants
    }
}
