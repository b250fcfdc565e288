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
        /// The key the node signs with now, and the key of its TLS certificate.
        public let publicKey: Ed25519PublicKey
        /// Keys the node signed with before (rotated or revoked), still used to verify what it
        /// signed with them.
        public let previousKeys: [PreviousKey]

        public init(
            id: String, name: String, role: Role, publicKey: Ed25519PublicKey, previousKeys: [PreviousKey] = []
        ) {
            self.id = id
            self.name = name
            self.role = role
            self.publicKey = publicKey
            self.previousKeys = previousKeys
        }
    }

    /// A key a node no longer signs with.
    ///
    /// A *rotated* key (`validThrough` nil) still verifies every checkpoint the node signed with
    /// it. A *revoked* key (after a compromise) verifies, in each group, only checkpoints up to
    /// the size named for that group: the last one that is the node's own. Anything it signed
    /// beyond, a thief's fork included, is refused, and it verifies no cosignature.
    public struct PreviousKey: Hashable, Sendable {
        public let publicKey: Ed25519PublicKey
        /// For a revoked key: the largest legitimate checkpoint size per group (a group not
        /// named has none).
        public let validThrough: [String: UInt64]?

        public init(publicKey: Ed25519PublicKey, validThrough: [String: UInt64]? = nil) {
            self.publicKey = publicKey
            self.validThrough = validThrough
        }

        public var isRevoked: Bool { validThrough != nil }
    }

    /// What a member admitted to a group by an amendment receives of the group's feeds.
    public enum History: String, Sendable, CaseIterable {
        /// Everything the group's feeds hold, from their first entry.
        case full
        /// Only what the group's members append after the amendment that admitted the member
        /// takes effect: each feed of the group reaches it from the first entry its author
        /// wrote at or after that time (`CharterChain.historyStart(of:group:through:)`).
        case fromAdmission = "from-admission"
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
        /// What a member admitted later receives of the group's feeds.
        public let history: History
        /// The witnesses named in the charter (`witnesses`), or nil for the default: the
        /// convener and the group's relays. Read through `witnessPolicy`.
        public let namedWitnesses: [String]?
        /// Cosignatures by the group's witnesses that make a checkpoint witnessed.
        public let witnessQuorum: Int
        /// The observers to whom a referral adopted in the group is sent (`referral-observers`):
        /// empty when the charter names none, and the group then refers no one.
        public let referralObservers: [String]
        /// The group the referral is written in (`referral-group`): the group itself when the
        /// charter names none.
        public let referralGroup: String

        /// When the charter names no minimum deliberation: an hour.
        public static let defaultDeliberationMinutes = 60

        public init(
            id: String, name: String, members: [String], convener: String, policy: Policy, quorumPercent: Int?,
            deliberationMinutes: Int = Group.defaultDeliberationMinutes, history: History = .full,
            witnesses: [String]? = nil, witnessQuorum: Int = 1, referralObservers: [String] = [],
            referralGroup: String? = nil
        ) {
            self.id = id
            self.name = name
            self.members = members
            self.convener = convener
            self.policy = policy
            self.quorumPercent = quorumPercent
            self.deliberationMinutes = deliberationMinutes
            self.history = history
            self.namedWitnesses = witnesses
            self.witnessQuorum = witnessQuorum
            self.referralObservers = referralObservers
            self.referralGroup = referralGroup ?? id
        }
    }

    /// The network's name, for people.
    public let network: String
    /// Increases with every new charter; a node adopts only a higher version.
    public let version: UInt64
    /// For an amendment: the SHA-256 of the charter file it replaces (nil in the genesis charter).
    public let replaces: SHA256Digest?
    /// For an amendment: when it takes effect (milliseconds since 1970, UTC).
    public let takesEffectMs: Int64?
    public let nodes: [Node]
    public let groups: [Group]

    public init(
        network: String, version: UInt64, replaces: SHA256Digest? = nil, takesEffectMs: Int64? = nil, nodes: [Node],
        groups: [Group]
    ) {
        self.network = network
        self.version = version
        self.replaces = replaces
        self.takesEffectMs = takesEffectMs
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
