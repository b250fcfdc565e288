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
    /// Entries the peer announced in this session that this node does not hold yet: how far
    /// behind the peer it is (0 when caught up or not connected).
    public var lagEntries: UInt64
    /// When a message last came from the peer since this node started (milliseconds since
    /// 1970); nil: never.
    public var lastContactMs: Int64?

    public init(
        nodeID: String, role: String, address: String?, connected: Bool, unansweredWants: Int = 0,
        lagEntries: UInt64 = 0, lastContactMs: Int64? = nil
    ) {
        self.nodeID = nodeID
        self.role = role
        self.address = address
        self.connected = connected
        self.unansweredWants = unansweredWants
        self.lagEntries = lagEntries
        self.lastContactMs = lastContactMs
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "nodeId"
        case role, address, connected, unansweredWants, lagEntries, lastContactMs
    }
}
