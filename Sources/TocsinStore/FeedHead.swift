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

    public var root: SHA256Digest { frontier.root }
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
