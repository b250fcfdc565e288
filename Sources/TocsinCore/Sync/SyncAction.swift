/// What the node's I/O edge must do after a sync event, in order.
public enum SyncAction: Sendable {
    /// Send a message on the session with `peer`.
    case send(peer: String, Tocsin_V1_Message)
    /// Send `peer` a batch this node just appended (an `Entries` message) when its session
    /// takes it without buffering; otherwise send `otherwise`, the batch's checkpoint (the peer
    /// fetches the entries), and report `SyncNode.entriesWithheld(from:of:)` for `origin`.
    /// Either way the peer learns of the checkpoint.
    case sendEntries(peer: String, origin: FeedOrigin, Tocsin_V1_Message, otherwise: Tocsin_V1_Message)
    /// Store a verified batch (entries and checkpoint) in one transaction.
    case store(FeedBatch)
    /// Store a verified cosignature of a held checkpoint.
    case storeCosignature(Cosignature, Checkpoint)
    /// Store this witness's own cosignature of a held checkpoint, then report
    /// `SyncNode.ownCosignatureStored` (nothing is sent before it is durable).
    case storeOwnCosignature(Cosignature, Checkpoint)
    /// Store a verified fork proof and freeze its feed.
    case storeForkProof(ForkProof)
    /// Remember, durably, that a peer showed this node `size` entries of its own feed (the
    /// restore guard holds across restarts).
    case rememberOwnFeed(FeedOrigin, size: UInt64)
    /// Answer `peer`'s `Want` with entries `range` of `origin`: read the size of each entry,
    /// cut the range with `SyncNode.batches(serving:of:entryBytes:)`, and send each batch as an
    /// `Entries` message with the stored checkpoint of its end, while the peer reads.
    case serve(peer: String, origin: FeedOrigin, range: Range<UInt64>)
    /// Answer the `Want` of a peer that receives `origin`'s group from its admission
    /// (`history = "from-admission"`): find the cut, the first entry authored at or after
    /// `admittedMs` (never before the first entry held here). A `Want` from 0 (the peer holds
    /// nothing) is served, up to `end`, from the cut, the first batch with the frontier of the
    /// entries before it as its `base`, or the base alone with the latest checkpoint when no
    /// entry is that recent; one from `from` at or past the cut as any other; one from below
    /// the cut not at all (it would show entries from before the admission).
    case serveFromAdmission(peer: String, origin: FeedOrigin, admittedMs: Int64, from: UInt64, end: UInt64)
    /// Compare an authenticated checkpoint smaller than the held tree with the stored tree
    /// (`FeedVerifier.examine`), and report a fork with `SyncNode.recordFork`.
    case examine(origin: FeedOrigin, SignedCheckpoint)
    /// Close the session with `peer` (after sending what precedes this action).
    case close(peer: String, reason: String)
    /// Call `SyncNode.forwardCosignatures()` shortly (tens of milliseconds): new cosignatures
    /// are waiting to be forwarded together.
    case forwardCosignaturesSoon
    /// The node now runs under this version of the charter (an amendment took effect): the
    /// edge updates what it checks outside the machine (certificate pins, the consultation).
    case adoptCharter(CharterVersion)
    /// Tell the operator: something notable happened, or (`warning`) a peer misbehaved.
    case log(peer: String?, String, warning: Bool = false)
}
