import TocsinCrypto

/// A perfect subtree hash: the leaves `[index·2^level, (index+1)·2^level)`.
public struct MerkleNode: Hashable, Sendable {
    public let level: Int
    public let index: UInt64
    public let hash: SHA256Digest

    public init(level: Int, index: UInt64, hash: SHA256Digest) {
        self.level = level
        self.index = index
        self.hash = hash
    }
}

/// What a store indexes of an entry without decoding it again.
public struct EntryHeader: Hashable, Sendable {
    /// The `EntryKind` number (unknown kinds of later versions keep their number).
    public let kind: Int
    public let authorTimeMs: Int64

    public init(kind: Int, authorTimeMs: Int64) {
        self.kind = kind
        self.authorTimeMs = authorTimeMs
    }

    init(_ entry: Tocsin_V1_Entry) {
        self.init(kind: entry.kind.rawValue, authorTimeMs: entry.authorTimeMs)
    }
}

/// Verified entries of one feed with the checkpoint that covers them: exactly what a store
/// writes in one transaction.
public struct FeedBatch: Sendable {
    /// The most entries in one batch, as an author signs it or a peer sends it.
    public static let maximumCount = 10_000
    /// The most entry bytes in one batch (8 MiB): with its checkpoint it fits a 16 MiB frame.
    /// An author never signs a larger interval, so a node can always serve a feed in frames
    /// a peer accepts.
    public static let maximumBytes = 8 << 20

    /// Why `entries` cannot be one batch (too many, too many bytes), if they cannot.
    public static func limitExceeded(by entries: [[UInt8]]) -> FeedRejection? {
        guard entries.count <= maximumCount else {
            return .batchTooLarge(count: entries.count, limit: maximumCount)
        }
        let bytes = byteCount(of: entries)
        guard bytes <= maximumBytes else { return .batchTooManyBytes(bytes: bytes, limit: maximumBytes) }
        return nil
    }

    /// The bytes of `entries`, added up.
    public static func byteCount(of entries: [[UInt8]]) -> Int {
        var bytes = 0
        for entry in entries { bytes += entry.count }
        return bytes
    }

    /// The bytes of this batch's entries (what the store's backlog and its writer count).
    public var entryByteCount: Int { Self.byteCount(of: entries) }

    public let origin: FeedOrigin
    /// The index of the first entry.
    public let firstIndex: UInt64
    /// Entry bytes exactly as received.
    public let entries: [[UInt8]]
    public let leafHashes: [SHA256Digest]
    /// Each entry's kind and author time, decoded once for the store's indexes.
    public let headers: [EntryHeader]
    /// The entries as verification decoded and checked them (`EntryDecoder`), one for each of
    /// `entries`, for a batch of live traffic (at most 64 entries; empty for larger ones): what
    /// interprets a batch takes them instead of decoding the bytes again.
    public let decoded: [Tocsin_V1_Entry]
    /// The perfect subtrees this batch completes at the persisted levels (`FeedTree.persistedLevels`).
    public let completedNodes: [MerkleNode]
    /// The tree's frontier after the batch.
    public let frontier: MerkleFrontier
    /// The author-signed checkpoint of size `firstIndex + entries.count`.
    public let checkpoint: SignedCheckpoint
    /// For the first batch of a feed held from past its first entry (a member admitted to a
    /// group with `history = "from-admission"`): the frontier of the entries before
    /// `firstIndex`, which the node never holds. Nil otherwise.
    public let base: MerkleFrontier?

    init(
        origin: FeedOrigin, firstIndex: UInt64, entries: [[UInt8]], leafHashes: [SHA256Digest],
        headers: [EntryHeader], decoded: [Tocsin_V1_Entry], completedNodes: [MerkleNode], frontier: MerkleFrontier,
        checkpoint: SignedCheckpoint, base: MerkleFrontier? = nil
    ) {
        self.origin = origin
        self.firstIndex = firstIndex
        self.entries = entries
        self.leafHashes = leafHashes
        self.headers = headers
        self.decoded = decoded
        self.completedNodes = completedNodes
        self.frontier = frontier
        self.checkpoint = checkpoint
        self.base = base
    }

    /// The same batch, its checkpoint with `cosignature` added (stored in the same
    /// transaction).
    public func adding(_ cosignature: Cosignature) -> FeedBatch {
        FeedBatch(
            origin: origin, firstIndex: firstIndex, entries: entries, leafHashes: leafHashes, headers: headers,
            decoded: decoded, completedNodes: completedNodes, frontier: frontier,
            checkpoint: checkpoint.adding(cosignature), base: base)
    }
}

/// How feeds lay out their trees for storage.
public enum FeedTree {
    /// Perfect subtrees are persisted at every level that is a multiple of this height (as
    /// C2SP tiles do), so any subtree hash is at most 2^(height-1) stored hashes away.
    public static let persistedLevelInterval = 8

    /// Whether subtree hashes at `level` are persisted.
    public static func isPersisted(level: Int) -> Bool {
        level > 0 && level % persistedLevelInterval == 0
    }

    /// Appends leaf hashes to `frontier`, collecting the persisted subtrees they complete.
    static func extend(_ frontier: inout MerkleFrontier, with leafHashes: [SHA256Digest]) -> [MerkleNode] {
        var nodes: [MerkleNode] = []
        for leafHash in leafHashes {
            frontier.append(leafHash) { level, index, hash in
                if isPersisted(level: level) { nodes.append(MerkleNode(level: level, index: index, hash: hash)) }
            }
        }
        return nodes
    }
}
