/// `GET /v1/status`: the node, its network and what it holds.
public struct NodeStatus: Codable, Sendable, Equatable {
    public var nodeID: String
    public var role: String
    public var network: String
    public var networkID: String
    public var charterVersion: UInt64
    /// The groups this node may see.
    public var groups: [String]
    public var feeds: Int
    public var entries: UInt64
    public var connectedPeers: [String]
    public var forks: Int

    public init(
        nodeID: String, role: String, network: String, networkID: String, charterVersion: UInt64, groups: [String],
        feeds: Int, entries: UInt64, connectedPeers: [String], forks: Int
    ) {
        self.nodeID = nodeID
        self.role = role
        self.network = network
        self.networkID = networkID
        self.charterVersion = charterVersion
        self.groups = groups
        self.feeds = feeds
        self.entries = entries
        self.connectedPeers = connectedPeers
        self.forks = forks
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "nodeId"
        case role, network
        case networkID = "networkId"
        case charterVersion, groups, feeds, entries, connectedPeers, forks
    }
}
