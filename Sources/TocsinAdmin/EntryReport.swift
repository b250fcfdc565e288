/// `GET /v1/entries`: one entry, summarised.
public struct EntryReport: Codable, Sendable, Equatable {
    public var reference: String
    public var origin: String
    public var kind: String
    public var summary: String
    public var authorTimeMs: Int64
    /// Hex.
    public var leafHash: String

    public init(
        reference: String, origin: String, kind: String, summary: String, authorTimeMs: Int64, leafHash: String
    ) {
        self.reference = reference
        self.origin = origin
        self.kind = kind
        self.summary = summary
        self.authorTimeMs = authorTimeMs
        self.leafHash = leafHash
    }
}
