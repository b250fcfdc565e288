import TocsinCore

/// `GET /v1/bulletins/{group}/{author}/{index}`: one bulletin, every field as it stands, its
/// revisions, and who acknowledged what, when.
public struct BulletinDetail: Codable, Sendable, Equatable {
    /// One member's acknowledgements (milliseconds since 1970; nil: not yet).
    public struct MemberAcknowledgement: Codable, Sendable, Equatable {
        public var member: String
        public var receivedMs: Int64?
        public var readMs: Int64?
        public var actedOnMs: Int64?

        public init(member: String, receivedMs: Int64?, readMs: Int64?, actedOnMs: Int64?) {
            self.member = member
            self.receivedMs = receivedMs
            self.readMs = readMs
            self.actedOnMs = actedOnMs
        }
    }

    public var summary: BulletinSummary
    /// The bulletin as it stands (the latest valid update, else the original), every field,
    /// in the form `POST /v1/bulletins` takes.
    public var bulletin: BulletinDraft
    /// Valid updates and cancels, oldest first.
    public var revisions: [String]
    /// Updates or cancels written by someone other than the author, refused.
    public var refusedRevisions: [String]
    public var members: [MemberAcknowledgement]
    public var notAcknowledged: [String]

    public init(
        summary: BulletinSummary, bulletin: BulletinDraft, revisions: [String], refusedRevisions: [String],
        members: [MemberAcknowledgement], notAcknowledged: [String]
    ) {
        self.summary = summary
        self.bulletin = bulletin
        self.revisions = revisions
        self.refusedRevisions = refusedRevisions
        self.members = members
        self.notAcknowledged = notAcknowledged
    }
}
