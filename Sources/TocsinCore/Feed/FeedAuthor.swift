import TocsinCrypto

/// The author side of a feed: appends entries and signs a checkpoint for each batch.
///
/// It holds the frontier only; the caller persists the returned batch (entries, hashes,
/// checkpoint) in one transaction before using the next state.
public struct FeedAuthor: Sendable {
    public let origin: FeedOrigin
    private let key: Ed25519PrivateKey
    public private(set) var frontier: MerkleFrontier

    /// The most entries one append signs for; larger appends are split by the caller.
    public static let maximumBatchCount = FeedBatch.maximumCount

    public init(origin: FeedOrigin, key: Ed25519PrivateKey, frontier: MerkleFrontier = MerkleFrontier()) {
        self.origin = origin
        self.key = key
        self.frontier = frontier
    }

    /// Appends `entries` (already encoded), returning the batch to store; the author state
    /// advances only if the batch is valid.
    public mutating func append(_ entries: [[UInt8]]) throws(FeedRejection) -> FeedBatch {
        guard !entries.isEmpty else { throw FeedRejection.emptyBatch }
        if let exceeded = FeedBatch.limitExceeded(by: entries) { throw exceeded }
        let (leafHashes, headers, decoded) = try EntryDigests.compute(
            entries, firstIndex: frontier.size, inParallel: true)
        var next = frontier
        let nodes = FeedTree.extend(&next, with: leafHashes)
        let checkpoint: SignedCheckpoint
        do {
            checkpoint = try SignedCheckpoint.sign(
                Checkpoint(origin: origin.description, size: next.size, root: next.root), key: key)
        } catch {
            throw FeedRejection.malformedCheckpoint(error)
        }
        let batch = FeedBatch(
            origin: origin, firstIndex: frontier.size, entries: entries, leafHashes: leafHashes, headers: headers,
            decoded: decoded,
            completedNodes: nodes, frontier: next, checkpoint: checkpoint)
        frontier = next
        return batch
    }
}
