/// `GET /v1/proposals`: a proposal, where it stands, and the decisions recorded on it.
public struct ProposalSummary: Codable, Sendable, Equatable {
    /// The live tally against the policy.
    public struct Standing: Codable, Sendable, Equatable {
        /// nil while open and undecided.
        public var outcome: String?
        public var final: Bool
        public var endorsements: Int
        public var objections: Int
        public var abstentions: Int
        public var votingMembers: Int
        public var notVoted: [String]
        public var explanation: String

        public init(
            outcome: String?, final: Bool, endorsements: Int, objections: Int, abstentions: Int, votingMembers: Int,
            notVoted: [String], explanation: String
        ) {
            self.outcome = outcome
            self.final = final
            self.endorsements = endorsements
            self.objections = objections
            self.abstentions = abstentions
            self.votingMembers = votingMembers
            self.notVoted = notVoted
            self.explanation = explanation
        }
    }

    /// A decision recorded on the proposal, with this node's audit of it.
    public struct Decision: Codable, Sendable, Equatable {
        public var reference: String
        public var author: String
        public var outcome: String
        public var closedMs: Int64
        /// The votes it counts.
        public var counted: [String]
        /// true: it follows from the votes and the charter; false: flagged (see `findings`);
        /// nil: not judged yet (waiting for the votes it lists).
        public var holds: Bool?
        public var findings: [String]
        /// Whether it is final: its checkpoint is witnessed as the charter's witness policy
        /// asks. Until then it is recorded, not yet witnessed.
        public var witnessed: Bool
        /// The witnesses that cosigned a checkpoint including it, and how many are needed.
        public var witnessedBy: [String]
        public var witnessesNeeded: Int

        public init(
            reference: String, author: String, outcome: String, closedMs: Int64, counted: [String], holds: Bool?,
            findings: [String], witnessed: Bool = false, witnessedBy: [String] = [], witnessesNeeded: Int = 0
        ) {
            self.reference = reference
            self.author = author
            self.outcome = outcome
            self.closedMs = closedMs
            self.counted = counted
            self.holds = holds
            self.findings = findings
            self.witnessed = witnessed
            self.witnessedBy = witnessedBy
            self.witnessesNeeded = witnessesNeeded
        }
    }

    public var reference: String
    public var group: String
    public var author: String
    public var title: String
    public var action: String
    public var priority: String
    public var policy: String
    /// The deadline the proposer wrote.
    public var deadlineMs: Int64
    /// When voting closes: `deadlineMs`, or later when the group's deliberation time, counted
    /// from the convener's first witnessing of the proposal, ends later. Absent while that
    /// witnessing is not known to this node.
    public var closesMs: Int64?
    /// `open`, or the outcome of the first decision that holds.
    public var state: String
    public var standing: Standing
    public var decisions: [Decision]
    /// The charter version the proposal is judged under (the one in force when it was written).
    public var charterVersion: UInt64
    /// The convener who records its decision, under that version.
    public var convener: String

    public init(
        reference: String, group: String, author: String, title: String, action: String, priority: String,
        policy: String, deadlineMs: Int64, closesMs: Int64?, state: String, standing: Standing,
        decisions: [Decision], charterVersion: UInt64 = 0, convener: String = ""
    ) {
        self.reference = reference
        self.group = group
        self.author = author
        self.title = title
        self.action = action
        self.priority = priority
        self.policy = policy
        self.deadlineMs = deadlineMs
        self.closesMs = closesMs
        self.state = state
        self.standing = standing
        self.decisions = decisions
        self.charterVersion = charterVersion
        self.convener = convener
    }

    /// Whether a decision on it was flagged by the audit.
    public var isFlagged: Bool { decisions.contains { $0.holds == false } }
}
