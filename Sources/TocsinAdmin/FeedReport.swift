/// `GET /v1/feeds`: a feed held, with its head.
public struct FeedReport: Codable, Sendable, Equatable {
    public var origin: String
    public var group: String
    public var author: String
    public var size: UInt64
    /// The first entry held: 0, or later for a feed held from this node's admission to a
    /// group whose history is `from-admission` (the entries before it are not held here).
    public var firstIndex: UInt64
    public var root: String
    public var frozen: Bool
    /// The latest checkpoint, as a signed note with its cosignatures.
    public var checkpoint: String?
    /// The witness names of its cosignatures.
    public var cosignedBy: [String]
    /// The feed's witnesses under the charter's witness policy (empty for the authority's feed).
    public var witnesses: [String]
    /// How many of them must cosign.
    public var witnessQuorum: Int
    /// The witnesses that cosigned the latest checkpoint.
    public var witnessedBy: [String]
    /// Whether they are enough.
    public var witnessed: Bool

    public init(
        origin: String, group: String, author: String, size: UInt64, root: String, frozen: Bool, checkpoint: String?,
        cosignedBy: [String], witnesses: [String] = [], witnessQuorum: Int = 0, witnessedBy: [String] = [],
        witnessed: Bool = false, firstIndex: UInt64 = 0
    ) {
        self.firstIndex = firstIndex
        self.origin = origin
        self.group = group
        self.author = author
        self.size = size
        self.root = root
        self.frozen = frozen
        self.checkpoint = checkpoint
        self.cosignedBy = cosignedBy
        self.witnesses = witnesses
        self.witnessQuorum = witnessQuorum
        self.witnessedBy = witnessedBy
        self.witnessed = witnessed
    }
}
