/// The order proposals are listed in: open ones first, then by priority (urgent first), then
/// by deadline (soonest first), then by reference.
public struct ProposalRank: Comparable, Sendable {
    public let isOpen: Bool
    public let priority: Tocsin_V1_Priority
    public let deadlineMs: Int64
    public let reference: String

    public init(isOpen: Bool, priority: Tocsin_V1_Priority, deadlineMs: Int64, reference: String) {
        self.isOpen = isOpen
        self.priority = priority
        self.deadlineMs = deadlineMs
        self.reference = reference
    }

    public static func < (left: Self, right: Self) -> Bool {
        if left.isOpen != right.isOpen { return left.isOpen }
        let leftRank = ConsultationTerms.rank(left.priority)
        let rightRank = ConsultationTerms.rank(right.priority)
        if leftRank != rightRank { return leftRank < rightRank }
        return (left.deadlineMs, left.reference) < (right.deadlineMs, right.reference)
    }
}
