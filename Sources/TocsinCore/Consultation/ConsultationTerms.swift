import TocsinCrypto

/// The words operators use for consultation values (kebab-case, on the command line and in
/// the admin API), and their protobuf enums.
public enum ConsultationTerms {
    public static let policies: [String: Tocsin_V1_DecisionPolicy] = [
        "majority": .majority, "two-thirds": .twoThirds, "consensus": .consensus, "silence": .silence,
    ]
    public static let actions: [String: Tocsin_V1_ActionType] = [
        "fact-finding-mission": .factFindingMission, "good-offices": .goodOffices,
        "regional-consultation": .regionalConsultation, "public-statement": .publicStatement,
        "peer-review": .peerReview, "referral-to-un": .referralToUn, "other": .other,
    ]
    public static let priorities: [String: Tocsin_V1_Priority] = [
        "low": .low, "normal": .normal, "high": .high, "urgent": .urgent,
    ]
    public static let positions: [String: Tocsin_V1_Position] = [
        "endorse": .endorse, "object": .object, "abstain": .abstain,
    ]
    public static let levels: [String: Tocsin_V1_AcknowledgementLevel] = [
        "received": .received, "read": .read, "acted-on": .actedOn,
    ]
    public static let outcomes: [String: Tocsin_V1_Outcome] = [
        "adopted": .adopted, "rejected": .rejected, "lapsed": .lapsed,
    ]

    /// The operator's word for a protobuf value (`unspecified` when none applies).
    public static func name<Value: Equatable>(_ value: Value, in table: [String: Value]) -> String {
        table.first { $0.value == value }?.key ?? "unspecified"
    }

    /// Looks `word` up in `table`, or names the allowed words.
    public static func value<Value>(
        _ word: String, in table: [String: Value], field: String
    ) throws(ConsultationError)
        -> Value
    {
        guard let value = table[word] else {
            throw ConsultationError.invalid(
                field: field, reason: "one of \(table.keys.sorted().joined(separator: ", "))")
        }
        return value
    }

    /// The charter policy a proposal's policy names (nil: the group's default).
    public static func policy(_ value: Tocsin_V1_DecisionPolicy) -> Charter.Policy? {
        switch value {
        case .majority: return .majority
        case .twoThirds: return .twoThirds
        case .consensus: return .consensus
        case .silence: return .silence
        default: return nil
        }
    }

    public static func position(_ value: Tocsin_V1_Position) -> Tally.Position? {
        switch value {
        case .endorse: return .endorse
        case .object: return .object
        case .abstain: return .abstain
        default: return nil
        }
    }

    public static func position(_ value: Tally.Position) -> Tocsin_V1_Position {
        switch value {
        case .endorse: return .endorse
        case .object: return .object
        case .abstain: return .abstain
        }
    }

    public static func outcome(_ value: Tally.Outcome) -> Tocsin_V1_Outcome {
        switch value {
        case .adopted: return .adopted
        case .rejected: return .rejected
        case .lapsed: return .lapsed
        }
    }

    /// Rank for ordering open proposals: urgent first.
    public static func rank(_ priority: Tocsin_V1_Priority) -> Int {
        switch priority {
        case .urgent: return 0
        case .high: return 1
        case .normal, .unspecified: return 2
        case .low: return 3
        default: return 2
        }
    }
}

/// Why a consultation entry (bulletin, acknowledgement, proposal, vote, decision) was refused.
public enum ConsultationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(field: String, reason: String)
    case refused(String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): return "\(field): must be \(reason)"
        case .refused(let reason): return reason
        }
    }
}
