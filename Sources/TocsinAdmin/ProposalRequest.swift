import TocsinCore

/// `POST /v1/proposals`: `group` and the fields of `ConsultationEntries.ProposalDraft`, as one
/// flat JSON object.
public struct ProposalRequest: Codable, Sendable, Equatable {
    public var group: String
    public var draft: ConsultationEntries.ProposalDraft

    public init(group: String, draft: ConsultationEntries.ProposalDraft) {
        self.group = group
        self.draft = draft
    }

    enum CodingKeys: String, CodingKey {
        case group
    }

    public init(from decoder: any Decoder) throws {
        group = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .group)
        draft = try ConsultationEntries.ProposalDraft(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try draft.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group, forKey: .group)
    }
}
