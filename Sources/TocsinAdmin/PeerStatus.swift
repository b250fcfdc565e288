/// `GET /v1/peers`: a configured or connected peer.
public struct PeerStatus: Codable, Sendable, Equatable {
    public var nodeID: String
    public var role: String
    /// `host:port` for a peer this node dials; nil for one that dialled in.
    public var address: String?
    public var connected: Bool

    public init(nodeID: String, role: String, address: String?, connected: Bool) {
        self.nodeID = nodeID
        self.role = role
        self.address = address
        self.connected = connected
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "nodeId"
        case role, address, connected
    }
}
