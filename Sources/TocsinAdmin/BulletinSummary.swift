/// `GET /v1/bulletins`: a bulletin (an alert) as it stands, with how many members
/// acknowledged it.
public struct BulletinSummary: Codable, Sendable, Equatable {
    /// Members of the group other than the author, and how many acknowledged each level.
    public struct AcknowledgementCounts: Codable, Sendable, Equatable {
        public var received: Int
        public var read: Int
        public var actedOn: Int
        public var members: Int

        public init(received: Int, read: Int, actedOn: Int, members: Int) {
            self.received = received
            self.read = read
            self.actedOn = actedOn
            self.members = members
        }
    }

    /// The original alert, `<group>/<author>/<index>`.
    public var reference: String
    public var author: String
    public var group: String
    /// The fields below are those of the latest valid update, if any.
    public var headline: String
    public var severity: String
    public var urgency: String
    public var certainty: String
    public var status: String
    public var country: String
    /// `active`, `updated` or `cancelled`.
    public var state: String
    public var issuedMs: Int64
    /// The latest valid update or cancel.
    public var latest: String?
    public var acknowledgements: AcknowledgementCounts

    public init(
        reference: String, author: String, group: String, headline: String, severity: String, urgency: String,
        certainty: String, status: String, country: String, state: String, issuedMs: Int64, latest: String?,
        acknowledgements: AcknowledgementCounts
    ) {
        self.reference = reference
        self.author = author
        self.group = group
        self.headline = headline
        self.severity = severity
        self.urgency = urgency
        self.certainty = certainty
        self.status = status
        self.country = country
        self.state = state
        self.issuedMs = issuedMs
        self.latest = latest
        self.acknowledgements = acknowledgements
    }
}
