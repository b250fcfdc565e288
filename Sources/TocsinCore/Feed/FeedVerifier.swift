import TocsinCrypto

/// The receiving side of a feed: takes what a node holds plus a batch of entries and the
/// author's checkpoint over them, and answers with a verified batch or a precise rejection.
///
/// Verification is pure and does not change the state; `commit` advances it once the
/// batch is durably stored, so a failed write leaves both store and verifier unchanged.
public struct FeedVerifier: Sendable {
    public let origin: FeedOrigin
    /// The keys that may sign the feed's checkpoints (they change when an amendment rotates
    /// or revokes the author's key).
    public internal(set) var author: AuthorKeys
    public private(set) var frontier: MerkleFrontier
    /// The latest author-signed checkpoint held (nil for an empty feed).
    public private(set) var latest: SignedCheckpoint?
    /// Set once a fork proof is held: the feed accepts nothing more.
    public private(set) var isFrozen: Bool

    /// The most entries accepted in one batch.
    public static let maximumBatchCount = FeedBatch.maximumCount

    public init(
        origin: FeedOrigin, author: Ed25519PublicKey, frontier: MerkleFrontier = MerkleFrontier(),
        latest: SignedCheckpoint? = nil, isFrozen: Bool = false
    ) {
        self.init(
            origin: origin, authorKeys: AuthorKeys(author), frontier: frontier, latest: latest, isFrozen: isFrozen)
    }

    public init(
        origin: FeedOrigin, authorKeys: AuthorKeys, frontier: MerkleFrontier = MerkleFrontier(),
        latest: SignedCheckpoint? = nil, isFrozen: Bool = false
    ) {
        self.origin = origin
        self.author = authorKeys
        self.frontier = frontier
        self.latest = latest
        self.isFrozen = isFrozen
    }

    /// Parses a checkpoint note and checks its origin and the author's signature.
    ///
    /// The signature is not checked again when the note's text and author lines are those of
    /// the latest checkpoint held (checked when it was accepted): a peer sending it with other
    /// cosignatures costs a parse, not a signature check.
    public func authenticate(checkpointNote bytes: some Collection<UInt8>) throws(FeedRejection) -> SignedCheckpoint {
        let checkpoint: SignedCheckpoint
        do {
            checkpoint = try SignedCheckpoint(parsing: bytes)
        } catch {
            throw FeedRejection.malformedCheckpoint(error)
        }
        guard checkpoint.checkpoint.origin == origin.description else {
            throw FeedRejection.wrongOrigin(expected: origin.description, found: checkpoint.checkpoint.origin)
        }
        // Same bytes of text (String equality is canonical equivalence, not bytes) and the same
        // lines under the author's name, whatever their length (the full check would examine
        // each of them).
        if let latest, checkpoint.note.text.utf8.elementsEqual(latest.note.text.utf8),
            checkpoint.note.signatures.filter({ $0.keyName == origin.description })
                == latest.note.signatures.filter({ $0.keyName == origin.description })
        {
            return checkpoint
        }
        do {
            try checkpoint.verify(author: author)
        } catch {
            throw FeedRejection.notSignedByAuthor(error)
        }
        return checkpoint
    }

    /// Verifies `entries`, starting at `firstIndex`, against the checkpoint `checkpointNote`
    /// that the author signed for the tree ending with them.
    public func verify(
        firstIndex: UInt64, entries: [[UInt8]], checkpointNote: some Collection<UInt8>
    ) throws(FeedRejection) -> FeedBatch {
        guard !entries.isEmpty else { throw FeedRejection.emptyBatch }
        guard firstIndex == frontier.size else {
            throw FeedRejection.gap(expectedFirstIndex: frontier.size, found: firstIndex)
        }
        return try verify(from: frontier, entries: entries, checkpointNote: checkpointNote, base: nil)
    }

    /// Verifies the first batch of a feed held from past its first entry: `base` is the
    /// frontier of the entries before the batch (sent by the peer, never held), and `entries`
    /// may be empty. The author's checkpoint authenticates `base` with the entries: its root
    /// is computed from both. Only for a feed of which nothing is held yet.
    public func verify(
        base: MerkleFrontier, entries: [[UInt8]], checkpointNote: some Collection<UInt8>
    ) throws(FeedRejection) -> FeedBatch {
        guard frontier.size == 0, latest == nil else {
            throw FeedRejection.gap(expectedFirstIndex: frontier.size, found: base.size)
        }
        return try verify(from: base, entries: entries, checkpointNote: checkpointNote, base: base)
    }

    private func verify(
        from start: MerkleFrontier, entries: [[UInt8]], checkpointNote: some Collection<UInt8>,
        base: MerkleFrontier?
    ) throws(FeedRejection) -> FeedBatch {
        guard !isFrozen else { throw FeedRejection.frozen(origin: origin.description) }
        if let exceeded = FeedBatch.limitExceeded(by: entries) { throw exceeded }
        let firstIndex = start.size
        // The one signature check comes first: everything else is hashing.
        let checkpoint = try authenticate(checkpointNote: checkpointNote)
        let (end, overflow) = firstIndex.addingReportingOverflow(UInt64(entries.count))
        guard !overflow, checkpoint.checkpoint.size == end else {
            throw FeedRejection.sizeMismatch(checkpointSize: checkpoint.checkpoint.size, entriesEndAt: end)
        }
        let (leafHashes, headers, decoded) = try EntryDigests.compute(
            entries, firstIndex: firstIndex, inParallel: EntryDigests.receivedInParallel)
        var next = start
        let nodes = FeedTree.extend(&next, with: leafHashes)
        let root = next.root
        guard root == checkpoint.checkpoint.root else {
            throw FeedRejection.rootMismatch(computed: root, signed: checkpoint.checkpoint.root)
        }
        return FeedBatch(
            origin: origin, firstIndex: firstIndex, entries: entries, leafHashes: leafHashes, headers: headers,
            decoded: decoded,
            completedNodes: nodes,
            frontier: next,
            // Only the author's signature is vouched for; cosignature lines are checked apart.
            checkpoint: SignedCheckpoint(checkpoint: checkpoint.checkpoint, note: checkpoint.authorNote), base: base)
    }

    /// Advances the state past a batch this verifier accepted and the store wrote.
    public mutating func commit(_ batch: FeedBatch) {
        precondition(
            batch.firstIndex == (batch.base == nil ? frontier.size : batch.base?.size) && batch.origin == origin,
            "commit the batch that was verified")
        frontier = batch.frontier
        latest = batch.checkpoint
    }

    /// What a checkpoint heard from a peer means for this feed.
    public enum Examination: Sendable, Equatable {
        /// Consistent with what is held and not newer.
        case known
        /// Larger than what is held: its entries are missing.
        case ahead(size: UInt64)
        /// It contradicts what is held.
        case fork(ForkProof)
    }

    /// Compares an authenticated checkpoint with the held tree; `proofs` answers for it.
    public func examine<Failure: Error>(
        _ checkpoint: SignedCheckpoint, proofs: MerkleProofs<Failure>
    ) throws(Failure) -> Examination {
        let size = checkpoint.checkpoint.size
        guard let latest else { return size == 0 ? .known : .ahead(size: size) }
        let held = latest.checkpoint
        if size > held.size { return .ahead(size: size) }
        if size == held.size {
            return checkpoint.checkpoint.root == held.root ? .known : .fork(ForkProof(sameSize: checkpoint, latest))
        }
        let prefixRoot = try proofs.root(size: size)
        if prefixRoot == checkpoint.checkpoint.root { return .known }
        let proof = try proofs.consistencyProof(oldSize: size, newSize: held.size) ?? []
        return .fork(ForkProof(smaller: checkpoint, larger: latest, prefixRoot: prefixRoot, consistencyProof: proof))
    }

    /// Freezes the feed: it accepts nothing once a fork proof is held.
    public mutating func freeze() { isFrozen = true }

    /// Accepts again after an amendment revoked the key of the only fork proof held.
    mutating func thaw() { isFrozen = false }
}
