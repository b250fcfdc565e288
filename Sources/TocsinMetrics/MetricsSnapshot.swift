import Foundation

/// What a node holds at the moment of a scrape: the figures that are sampled rather than
/// counted as they happen.
public struct MetricsSnapshot: Sendable, Equatable {
    public struct Feed: Sendable, Equatable {
        public var group: String
        public var author: String
        public var entries: UInt64

        public init(group: String, author: String, entries: UInt64) {
            self.group = group
            self.author = author
            self.entries = entries
        }
    }

    public struct Peer: Sendable, Equatable {
        public var nodeID: String
        public var connected: Bool
        public var lastContact: Date?
        /// Entries the peer announced that this node does not hold.
        public var lagEntries: UInt64

        public init(nodeID: String, connected: Bool, lastContact: Date?, lagEntries: UInt64) {
            self.nodeID = nodeID
            self.connected = connected
            self.lastContact = lastContact
            self.lagEntries = lagEntries
        }
    }

    public struct Consultation: Sendable, Equatable {
        public var openProposals: Int
        public var votesAwaiting: Int
        public var flaggedDecisions: Int

        public init(openProposals: Int, votesAwaiting: Int, flaggedDecisions: Int) {
            self.openProposals = openProposals
            self.votesAwaiting = votesAwaiting
            self.flaggedDecisions = flaggedDecisions
        }
    }

    public var feeds: [Feed]
    public var forkProofs: Int
    public var frozenFeeds: Int
    public var charterVersion: UInt64
    public var storeWritable: Bool
    public var peers: [Peer]
    /// When each node's certificate expires: this node's and those of peers it has met.
    public var certificateExpiry: [String: Date]
    /// Nil where the node runs no consultation service (benchmarks).
    public var consultation: Consultation?
    /// What `/readyz` answers now.
    public var ready: Bool?

    public init(
        feeds: [Feed] = [], forkProofs: Int = 0, frozenFeeds: Int = 0, charterVersion: UInt64 = 0,
        storeWritable: Bool = true, peers: [Peer] = [], certificateExpiry: [String: Date] = [:],
        consultation: Consultation? = nil, ready: Bool? = nil
    ) {
        self.ready = ready
        self.feeds = feeds
        self.forkProofs = forkProofs
        self.frozenFeeds = frozenFeeds
        self.charterVersion = charterVersion
        self.storeWritable = storeWritable
        self.peers = peers
        self.certificateExpiry = certificateExpiry
        self.consultation = consultation
    }
}
