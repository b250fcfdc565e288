/// `GET /v1/feeds`: a feed held, with its head.
public struct FeedReport: Codable, Sendable, Equatable {
    public var origin: String
    public var group: String
    public var author: String
    public var size: UInt64
    /// The root at `size`, hex.
    public var root: String
    public var frozen: Bool
    /// The latest checkpoint, as a signed note with its cosignatures.
    public var checkpoint: String?
    /// The witness names of its cosignatures.
    public var cosignedBy: [String]

    public init(
        origin: String, group: String, author: String, size: UInt64, root: String, frozen: Bool, checkpoint: String?,
        cosignedBy: [String]
    ) {
        self.origin = origin
        self.group = group
        self.author = author
        self.size = size
        self.root = root
        self.frozen = frozen
        self.checkpoint = checkpoint
        self.cosignedBy = cosignedBy
    }
}
