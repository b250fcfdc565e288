import TocsinCrypto

/// What a node holds of one feed, as the sync machine needs it.
public struct SyncFeed: Sendable {
    public internal(set) var verifier: FeedVerifier
    /// The latest checkpoint with every cosignature held for it.
    public internal(set) var latest: SignedCheckpoint? {
        didSet { latestNote = latest.map { Array($0.note.formatted.utf8) } ?? [] }
    }
    /// `latest` in its wire form: what is pushed, and what a peer sending the same note is
    /// compared with (kept, as it is needed for every checkpoint a peer sends).
    public private(set) var latestNote: [UInt8] = []
    /// Roots of the stored checkpoints by size: batches are cut at these sizes, and a
    /// smaller checkpoint heard from a peer is compared against them.
    public internal(set) var checkpointRoots: [UInt64: SHA256Digest]
    var sortedSizes: [UInt64]
    /// The first entry held: 0, or past it for a feed held from a member's admission
    /// (`history = "from-admission"`). Nothing before it can be served or proven here.
    public internal(set) var firstHeldIndex: UInt64
    /// For a feed of which nothing is held yet, received from this node's admission: a peer
    /// showed (a base with no entry, matching the author's checkpoint) that its first this
    /// many entries were all written before the admission. Nothing is stored for it, and the
    /// feed is asked for again only once a peer announces more.
    public internal(set) var writtenBeforeAdmission: UInt64 = 0

    /// What a peer must announce beyond for this node to ask it for the feed.
    var wantedBeyond: UInt64 { max(size, writtenBeforeAdmission) }

    public var origin: FeedOrigin { verifier.origin }
    public var size: UInt64 { verifier.frontier.size }

    /// A feed restored from storage: its frontier, its latest checkpoint with its
    /// cosignatures, the roots of every stored checkpoint by size, and whether a fork proof
    /// froze it.
    public init(
        origin: FeedOrigin, author: AuthorKeys, frontier: MerkleFrontier, latest: SignedCheckpoint?,
        checkpointRoots: [UInt64: SHA256Digest], isFrozen: Bool, firstHeldIndex: UInt64 = 0
    ) {
        self.firstHeldIndex = firstHeldIndex
        verifier = FeedVerifier(
            origin: origin, authorKeys: author, frontier: frontier, latest: latest, isFrozen: isFrozen)
        self.latest = latest
        latestNote = latest.map { Array($0.note.formatted.utf8) } ?? []
        self.checkpointRoots = checkpointRoots
        sortedSizes = checkpointRoots.keys.sorted()
    }

    /// A feed restored from a list of its stored checkpoints (the last with its cosignatures).
    public init(
        origin: FeedOrigin, author: AuthorKeys, frontier: MerkleFrontier, checkpoints: [SignedCheckpoint],
        isFrozen: Bool, firstHeldIndex: UInt64 = 0
    ) {
        self.init(
            origin: origin, author: author, frontier: frontier,
            latest: checkpoints.max { $0.checkpoint.size < $1.checkpoint.size },
            checkpointRoots: Dictionary(
                checkpoints.map { ($0.checkpoint.size, $0.checkpoint.root) }, uniquingKeysWith: { first, _ in first }),
            isFrozen: isFrozen, firstHeldIndex: firstHeldIndex)
    }

    /// A feed restored from a list of its stored checkpoints, its author having one key.
    public init(
        origin: FeedOrigin, author: Ed25519PublicKey, frontier: MerkleFrontier, checkpoints: [SignedCheckpoint],
        isFrozen: Bool
    ) {
        self.init(
            origin: origin, author: AuthorKeys(author), frontier: frontier, checkpoints: checkpoints,
            isFrozen: isFrozen)
    }

    /// An empty feed.
    public init(origin: FeedOrigin, author: AuthorKeys) {
        self.init(origin: origin, author: author, frontier: MerkleFrontier(), checkpoints: [], isFrozen: false)
    }

    /// An empty feed whose author has one key.
    public init(origin: FeedOrigin, author: Ed25519PublicKey) {
        self.init(origin: origin, author: AuthorKeys(author))
    }

    /// Records a batch that follows what the feed holds (verified and stored).
    public mutating func record(_ batch: FeedBatch) {
        verifier.commit(batch)
        if let base = batch.base { firstHeldIndex = base.size }
        latest = batch.checkpoint
        let size = batch.checkpoint.checkpoint.size
        if checkpointRoots[size] == nil { sortedSizes.append(size) }
        checkpointRoots[size] = batch.checkpoint.checkpoint.root
    }

    /// Cuts `[from, to)` into at most `limit` batches that end at stored checkpoint sizes (the
    /// last may end beyond `to`, at the next one),
    /// each at most `maximumEntries` long and, when `entryBytes` gives the sizes of the
    /// entries from `from` on, at most `maximumBytes` of entries — unless one interval between
    /// stored checkpoints is longer on its own (it is sent whole).
    func batches(
        from: UInt64, to: UInt64, maximumEntries: Int, maximumBytes: Int = .max, limit: Int,
        entryBytes: [Int]? = nil
    ) -> [Range<UInt64>] {
        // Entry bytes before each offset from `from`: the bytes of a range are a difference.
        var before: [Int] = [0]
        if let entryBytes {
            before.reserveCapacity(entryBytes.count + 1)
            for size in entryBytes { before.append(before[before.count - 1] &+ max(0, size)) }
        }
        func fits(_ start: UInt64, _ end: UInt64) -> Bool {
            guard end - start <= UInt64(maximumEntries) else { return false }
            guard entryBytes != nil else { return true }
            let (low, high) = (Int(start - from), Int(end - from))
            guard high < before.count else { return false }
            return before[high] - before[low] <= maximumBytes
        }
        var ranges: [Range<UInt64>] = []
        var start = from
        var position = sortedSizes.partitionPoint { $0 <= from }
        while start < to, position < sortedSizes.count, ranges.count < limit {
            var end = sortedSizes[position]
            var next = position + 1
            while next < sortedSizes.count, end < to, fits(start, sortedSizes[next]) {
                end = sortedSizes[next]
                next += 1
            }
            ranges.append(start..<end)
            start = end
            position = next
        }
        return ranges
    }
}

extension Array {
    /// The first index whose element does not satisfy `belongs` (the array is partitioned).
    func partitionPoint(_ belongs: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if belongs(self[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
