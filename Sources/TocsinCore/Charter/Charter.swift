import TocsinCrypto

/// The network's constitution: its nodes, its sharing groups and their decision policies.
///
/// Signed by the network authority; the genesis charter's SHA-256 is the network id, and later
/// versions travel as log entries (Docs/DESIGN.md, "Trust model"). Docs/PROTOCOL.md specifies the
/// TOML format.
public struct Charter: Hashable, Sendable {
    public enum Role: String, Sendable, CaseIterable {
        /// A state's national focal point: issues bulletins, votes.
        case national
        /// A regional organisation's relay: stores and forwards, convenes.
        case relay
        /// For example a UN office: receives and acknowledges, does not vote.
        case observer
    }

    public enum Policy: String, Sendable, CaseIterable {
        case majority
        case twoThirds = "two-thirds"
        case consensus
        case silence

        /// Whether every outcome this policy adopts, `other` adopts too (for "a proposal may
        /// only be stricter than its group"). Policies compare only within their family:
        /// silence ≤ consensus (both adopt when no one objects; consensus also wants a quorum)
        /// and majority ≤ two-thirds (both count endorsements). Across families neither is
        /// stricter: three abstentions adopt by consensus where a majority needs endorsements.
        public func isAtLeastAsStrict(as other: Policy) -> Bool {
            switch (self, other) {
            case (.silence, .silence), (.consensus, .silence), (.consensus, .consensus),
                (.majority, .majority), (.twoThirds, .majority), (.twoThirds, .twoThirds):
                return true
            default:
                return false
            }
        }
    }

    public struct Node: Hashable, Sendable {
        public let id: String
        public let name: String
        public let role: Role
        public let publicKey: Ed25519PublicKey

        public init(id: String, name: String, role: Role, publicKey: Ed25519PublicKey) {
            self.id = id
            self.name = name
            self.role = role
            self.publicKey = publicKey
        }
    }

    public struct Group: Hashable, Sendable {
        public let id: String
        public let name: String
        public let members: [String]
        public let convener: String
        public let policy: Policy
        /// For consensus: the share of voting members that must take part, in percent.
        public let quorumPercent: Int?
        /// The shortest time a proposal may give the members between its opening and its
        /// deadline, in minutes (a proposal allowing less is void).
        public let deliberationMinutes: Int

        /// When the charter names no minimum deliberation: an hour.
        public static let defaultDeliberationMinutes = 60

        public init(
            id: String, name: String, members: [String], convener: String, policy: Policy, quorumPercent: Int?,
            deliberationMinutes: Int = Group.defaultDeliberationMinutes
        ) {
            self.id = id
            self.name = name
            self.members = members
            self.convener = convener
            self.policy = policy
            self.quorumPercent = quorumPercent
            self.deliberationMinutes = deliberationMinutes
        }
    }

    /// The network's name, for people.
    public let network: String
    /// Increases with every new charter; a node adopts only a higher version.
    public let version: UInt64
    public let nodes: [Node]
    public let groups: [Group]

    public init(network: String, version: UInt64, nodes: [Node], groups: [Group]) {
        self.network = network
        self.version = version
        self.nodes = nodes
        self.groups = groups
    }

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }
    public func group(_ id: String) -> Group? { groups.first { $0.id == id } }

    /// The groups `nodeID` is a member of, in charter order.
    public func groups(of nodeID: String) -> [Group] {
        groups.filter { $0.members.contains(nodeID) }
    }

    /// Whether the charter pins `publicKey` for `nodeID`: the check every peer certificate
    /// passes after the TLS handshake (its CN and key).
    public func pins(nodeID: String, publicKey: Ed25519PublicKey) -> Bool {
        node(nodeID)?.publicKey == publicKey
    }
}
