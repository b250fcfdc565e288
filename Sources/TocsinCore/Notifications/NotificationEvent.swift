/// Something worth a person's attention, as it goes to a notification channel.
///
/// `id` names the event for good: the same event derived again (after a restart, at the next
/// look) has the same id, so it is queued once and delivered at least once.
public struct NotificationEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case bulletin
        case proposalAwaitingVote = "proposal-awaiting-vote"
        case deadline
        case decision
        case decisionFlagged = "decision-flagged"
        case fork
        case peerUnreachable = "peer-unreachable"
        case certificateExpiring = "certificate-expiring"
        /// `tocsin notify test`: sent to every channel, whatever the rules.
        case test
    }

    public var id: String
    public var kind: Kind
    /// The node that noticed it.
    public var node: String
    /// When it was noticed (milliseconds since 1970).
    public var timeMs: Int64
    /// One sentence for a person: what happened and where.
    public var summary: String
    /// The entry it is about (`group/author/index`), if any.
    public var reference: String?
    public var group: String?
    /// A bulletin's severity (`extreme` … `unknown`).
    public var severity: String?
    /// The state a bulletin concerns (its country code).
    public var state: String?
    /// The peer a `peer-unreachable` event is about.
    public var peer: String?
    /// The rule's threshold that rang (milliseconds): a `deadline`'s offset before it, a
    /// `peer-unreachable`'s time unreachable, a `certificate-expiring`'s time before expiry.
    public var thresholdMs: Int64?

    public init(
        id: String, kind: Kind, node: String, timeMs: Int64, summary: String, reference: String? = nil,
        group: String? = nil, severity: String? = nil, state: String? = nil, peer: String? = nil,
        thresholdMs: Int64? = nil
    ) {
        self.thresholdMs = thresholdMs
        self.id = id
        self.kind = kind
        self.node = node
        self.timeMs = timeMs
        self.summary = summary
        self.reference = reference
        self.group = group
        self.severity = severity
        self.state = state
        self.peer = peer
    }
}
