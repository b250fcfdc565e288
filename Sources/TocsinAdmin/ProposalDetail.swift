/// `GET /v1/proposals/{group}/{author}/{index}`: a proposal with its rationale and votes.
public struct ProposalDetail: Codable, Sendable, Equatable {
    /// A vote held, with when the convener witnessed it and whether it counts.
    public struct Vote: Codable, Sendable, Equatable {
        public var reference: String
        public var voter: String
        public var position: String
        public var statement: String
        public var witnessedMs: Int64?
        public var counted: Bool

        public init(
            reference: String, voter: String, position: String, statement: String, witnessedMs: Int64?, counted: Bool
        ) {
            self.reference = reference
            self.voter = voter
            self.position = position
            self.statement = statement
            self.witnessedMs = witnessedMs
            self.counted = counted
        }
    }

    public var summary: ProposalSummary
    public var rationale: String
    /// The bulletins it acts on.
    public var bulletins: [String]
    public var votes: [Vote]

    public init(summary: ProposalSummary, rationale: String, bulletins: [String], votes: [Vote]) {
        self.summary = summary
        self.rationale = rationale
        self.bulletins = bulletins
        self.votes = votes
    }
}
