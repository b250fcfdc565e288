import TocsinCore

/// `POST /v1/bulletins`: a whole bulletin for a group, as one flat JSON object (`group` and
/// the fields of `BulletinDraft`). An update or cancel written this way (a CAP import) gives
/// every field; `POST …/update` changes only the fields it names.
public struct BulletinRequest: Codable, Sendable, Equatable {
    /// The sharing group; for an update or cancel, defaults to the group of what it revises.
    public var group: String?
    public var draft: BulletinDraft

    public init(group: String?, draft: BulletinDraft) {
        self.group = group
        self.draft = draft
    }

    enum CodingKeys: String, CodingKey {
        case group
    }

    public init(from decoder: any Decoder) throws {
        group = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .group)
        draft = try BulletinDraft(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try draft.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(group, forKey: .group)
    }
}
