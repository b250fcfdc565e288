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
    /// Why the store cannot write, and since when (nil while it writes): appends are refused
    /// until it can again.
    public var storeProblem: StoreProblem?
    /// This node's certificate, or a peer's, expiring within 30 days (or expired).
    public var certificateWarnings: [String]
    /// What `/readyz` answers (nil from a node that predates it).
    public var readiness: Readiness?
    /// Its notifications (nil when none are configured).
    public var notifications: NotificationReport?

    /// A store that cannot write.
    public struct StoreProblem: Codable, Sendable, Equatable {
        /// The store's error.
        public var reason: String
        /// RFC 3339, UTC.
        public var since: String

        public init(reason: String, since: String) {
            self.reason = reason
            self.since = since
        }
    }

    public init(
        nodeID: String, role: String, network: String, networkID: String, charterVersion: UInt64, groups: [String],
        feeds: Int, entries: UInt64, connectedPeers: [String], forks: Int, certificateWarnings: [String] = [],
        storeProblem: StoreProblem? = nil, readiness: Readiness? = nil
    ) {
        self.readiness = readiness
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
        self.storeProblem = storeProblem
        self.certificateWarnings = certificateWarnings
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "nodeId"
        case role, network
        case networkID = "networkId"
        case charterVersion, groups, feeds, entries, connectedPeers, forks, storeProblem, certificateWarnings,
            readiness,
            notifications
    }
}
