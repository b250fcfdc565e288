/// `POST /v1/votes`.
public struct VoteRequest: Codable, Sendable, Equatable {
    public var proposal: String
    /// `endorse`, `object` or `abstain`.
    public var position: String
    public var statement: String?

    public init(proposal: String, position: String, statement: String? = nil) {
        self.proposal = proposal
        self.position = position
        self.statement = statement
    }
}
