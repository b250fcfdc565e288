import TocsinCore
import TocsinCrypto

/// What a store holds of one feed.
public struct FeedHead: Hashable, Sendable {
    public let origin: FeedOrigin
    public let size: UInt64
    public let frontier: MerkleFrontier
    /// The latest checkpoint, with every cosignature stored for it.
    public let checkpoint: SignedCheckpoint?
    public let isFrozen: Bool
    /// For a feed held from a member's admission (`history = "from-admission"`): the frontier
    /// of the entries before the first one held, which this node never holds. Nil for a feed
    /// held from its first entry.
    public let base: MerkleFrontier?

    public init(
        origin: FeedOrigin, size: UInt64, frontier: MerkleFrontier, checkpoint: SignedCheckpoint?, isFrozen: Bool,
        base: MerkleFrontier? = nil
    ) {
        self.origin = origin
        self.size = size
        self.frontier = frontier
        self.checkpoint = checkpoint
        self.isFrozen = isFrozen
        self.base = base
    }

    public var root: SHA256Digest { frontier.root }
    /// The index of the first entry held.
    public var firstIndex: UInt64 { base?.size ?? 0 }
}

/// One stored entry.
public struct StoredEntry: Hashable, Sendable {
    public let origin: FeedOrigin
    public let index: UInt64
    public let leafHash: SHA256Digest
    public let kind: Int
    public let authorTimeMs: Int64
    /// The entry bytes exactly as received.
    public let bytes: [UInt8]

    public var reference: EntryReference {
        EntryReference(group: origin.group, author: origin.author, index: index)
    }
}
