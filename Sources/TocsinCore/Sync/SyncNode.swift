import Foundation
import TocsinCrypto

/// Replication as a pure state machine: one per node, fed with session events, messages
/// and timer ticks, answering with `SyncAction`s for the I/O edge to carry out in order.
///
/// It holds, per feed, only what verification needs (frontier, latest checkpoint, checkpoint
/// sizes); entries stay in the store and are read by the edge when a `serve` action asks.
/// Confidentiality is enforced here: a feed is announced, pushed or served to a peer only if
/// the charter lets that peer see the feed's group, and a feed a peer offers is refused
/// unless both sides may see it.
public struct SyncNode: Sendable {
    public struct Configuration: Sendable {
        public let nodeID: String
        public let network: NetworkID
        public let charter: Charter
        /// When set, the node cosigns every checkpoint it verifies (relays always witness).
        public let witnessKey: Ed25519PrivateKey?
        /// Entries per `Entries` message when the author's checkpoints allow it.
        public let maximumBatchEntries: Int
        /// Entry bytes per `Entries` message when the stored checkpoints allow it.
        public let maximumBatchBytes: Int
        /// `Entries` messages answered per `Want`; the peer asks again for the rest after as
        /// many answers.
        public let maximumBatchesPerWant: Int
        /// Seconds a `Want` may go without an answer before it is asked of another peer.
        public let wantTimeoutSeconds: UInt64
        /// How far ahead of this node's clock a cosignature may be dated (seconds): one dated
        /// later is not accepted yet, and the operator is told.
        public let maximumClockSkewSeconds: UInt64
        /// Who may see which group, under `charter`.
        public let permissions: Permissions
        /// Every version of the charter held, when the node follows the authority feed (nil:
        /// it runs under `charter` alone, as tests and tools may).
        public let chain: CharterChain?
        /// Whether the node cosigns every checkpoint it verifies (relays, and nodes configured
        /// with `witness = true`); otherwise, with `witnessKey`, only those of the feeds the
        /// charter's witness policy names it for.
        public let witnessesEverything: Bool

        public init(
            nodeID: String, network: NetworkID, charter: Charter, witnessKey: Ed25519PrivateKey?,
            maximumBatchEntries: Int = 1000, maximumBatchBytes: Int = FeedBatch.maximumBytes,
            maximumBatchesPerWant: Int = 16, wantTimeoutSeconds: UInt64 = 5, maximumClockSkewSeconds: UInt64 = 300,
            chain: CharterChain? = nil, witnessesEverything: Bool = true
        ) {
            self.nodeID = nodeID
            self.network = network
            self.charter = charter
            self.chain = chain
            self.witnessesEverything = witnessesEverything
            self.witnessKey = witnessKey
            self.maximumBatchEntries = maximumBatchEntries
            self.maximumBatchBytes = maximumBatchBytes
            self.maximumBatchesPerWant = maximumBatchesPerWant
            self.wantTimeoutSeconds = wantTimeoutSeconds
            self.maximumClockSkewSeconds = maximumClockSkewSeconds
            permissions = Permissions(charter: charter)
        }
    }

    /// The protocol version spoken in `Hello`.
    public static let protocolVersion: UInt32 = 1

    struct Peer: Sendable {
        var helloReceived = false
        /// The largest size the peer announced per feed.
        var announced: [FeedOrigin: UInt64] = [:]
        /// The latest checkpoint of each feed the peer is known to hold, from what it sent
        /// and what it was sent: a push it would learn nothing from is not sent.
        var holds: [FeedOrigin: Holding] = [:]
        /// Checkpoints signed beyond a revoked key's limit it offered in this session.
        var revokedOffers = 0
        /// How far this node has sent the peer each feed on this session, or will have once
        /// it answers the peer's `Want`: where the next batch pushed with its entries starts.
        var sent: [FeedOrigin: UInt64] = [:]
    }

    /// A checkpoint a peer holds: size, root and the witnesses whose cosignatures it has.
    struct Holding: Sendable {
        var size: UInt64
        var root: SHA256Digest
        var cosigners: Set<String>

        /// Whether a peer holding this would learn nothing from `checkpoint`.
        func covers(_ checkpoint: SignedCheckpoint) -> Bool {
            size == checkpoint.checkpoint.size && root == checkpoint.checkpoint.root
                && checkpoint.cosignatures.allSatisfy { cosigners.contains($0.witnessName) }
        }
    }

    /// Records that `peer` holds `checkpoint` (sent by it, or to it).
    mutating func note(_ peer: String, holds checkpoint: SignedCheckpoint, of origin: FeedOrigin) {
        guard peers[peer] != nil else { return }
        let names = Set(checkpoint.cosignatures.map(\.witnessName))
        if var held = peers[peer]!.holds[origin], held.size == checkpoint.checkpoint.size,
            held.root == checkpoint.checkpoint.root
        {
            held.cosigners.formUnion(names)
            peers[peer]!.holds[origin] = held
        } else if (peers[peer]!.holds[origin]?.size ?? 0) <= checkpoint.checkpoint.size {
            peers[peer]!.holds[origin] = Holding(
                size: checkpoint.checkpoint.size, root: checkpoint.checkpoint.root, cosigners: names)
        }
    }

    public let configuration: Configuration
    /// The charter in force: it changes when an amendment takes effect (`adoptDue`).
    public internal(set) var charter: Charter
    /// Who may do what under `charter`.
    public internal(set) var permissions: Permissions
    /// Every version of the charter held (nil when the node runs under one charter).
    public internal(set) var chain: CharterChain?
    /// Chains that include authority batches verified and not yet durable, by the authority
    /// feed's size: the chain advances only once they are stored.
    var chainsBeingStored: [UInt64: CharterChain] = [:]
    /// `Heads` set aside while the authority feed catches up: replayed once it has, so that an
    /// amendment is adopted before anything else the peer holds is judged.
    var deferredHeads: [String: Tocsin_V1_Heads] = [:]
    /// Feeds whose latest checkpoint held was signed with a key since revoked below its size:
    /// frozen and never announced (peers would refuse it).
    public internal(set) var disowned: Set<FeedOrigin> = []
    public internal(set) var feeds: [FeedOrigin: SyncFeed]
    public internal(set) var forkProofs: [FeedOrigin: ForkProof]
    var peers: [String: Peer] = [:]
    /// Groups for which a peer's `Heads` has told this node what the network holds of its own
    /// feed since it started (the restore guard).
    var heardOwnHeads: Set<String> = []
    /// The largest size of each of this node's own feeds that a peer has shown it (with a
    /// checkpoint this node signed). Kept when the peer leaves: a restored node that lost the
    /// peer it was catching up from must not append at an index the network already holds.
    public internal(set) var ownFeedKnown: [FeedOrigin: UInt64] = [:]
    /// Feeds whose latest checkpoint gained cosignatures not yet forwarded, with the peers
    /// they came from.
    var cosignaturesToForward: [FeedOrigin: Set<String>] = [:]
    /// A range asked for and not yet received.
    struct PendingWant: Sendable {
        let peer: String
        let range: Range<UInt64>
        /// `Entries` answers received: after `maximumBatchesPerWant` the peer has sent all it
        /// will for this `Want`.
        var answers = 0
        /// When it was asked or last answered (seconds): it expires `wantTimeoutSeconds` later.
        var lastProgress: UInt64
    }

    /// Ranges asked for and not yet received, per feed (one at a time).
    var pending: [FeedOrigin: PendingWant] = [:]
    /// Set while the node's store cannot write: nothing is asked of peers and entries that
    /// arrive are dropped (they could not be stored); announcements are still heard.
    public private(set) var isPaused = false
    /// The peer each feed's latest batch came from, until it is stored.
    var receivedFrom: [FeedOrigin: String] = [:]
    /// This witness's cosignatures written with batches not yet reported durable, by feed and
    /// size: held, and announced, only once they are.
    var ownCosignaturesBeingStored: [FeedOrigin: [UInt64: Cosignature]] = [:]
    /// Whether no `Want` is outstanding (nothing for `expireWants` to do).
    public var pendingWantsAreEmpty: Bool { pending.isEmpty }
    /// Witnesses whose cosignatures came dated beyond the clock skew, already reported (one
    /// warning until one of theirs is accepted again).
    var witnessesAhead: Set<String> = []
    /// `Want`s each peer left unanswered since the node started (shown in `tocsin peers`).
    public internal(set) var unansweredWants: [String: Int] = [:]

    /// - Parameter ownFeedKnown: what peers showed of this node's own feeds in earlier runs.
    public init(
        configuration: Configuration, feeds: [SyncFeed], forkProofs: [ForkProof] = [],
        ownFeedKnown: [FeedOrigin: UInt64] = [:]
    ) {
        self.configuration = configuration
        self.charter = configuration.charter
        self.permissions = configuration.permissions
        self.chain = configuration.chain
        self.ownFeedKnown = ownFeedKnown
        self.feeds = Dictionary(feeds.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first })
        var proofs: [FeedOrigin: ForkProof] = [:]
        for proof in forkProofs {
            if let origin = try? FeedOrigin(parsing: proof.origin) { proofs[origin] = proof }
        }
        self.forkProofs = proofs
        for origin in proofs.keys { self.feeds[origin]?.verifier.freeze() }
        // A feed whose latest checkpoint a revoked key signed beyond its limit (stored before the
        // revocation arrived) stays frozen and unannounced across restarts.
        for (origin, feed) in self.feeds where feed.verifier.author.keys.contains(where: { $0.maximumSize != nil }) {
            guard let latest = feed.latest, Self.isSignedOnlyBeyondRevocation(latest, keys: feed.verifier.author)
            else { continue }
            self.feeds[origin]?.verifier.freeze()
            disowned.insert(origin)
        }
    }

    /// The peers with an established session (Hello received).
    public var establishedPeers: [String] { peers.filter(\.value.helloReceived).keys.sorted() }

    var witnessName: String { WitnessName.of(node: configuration.nodeID, network: configuration.network) }

    /// Whether `node` may see the feeds of `group` (`Permissions`).
    func maySee(_ node: String, _ group: String) -> Bool {
        permissions.permits(node, .see(group: group))
    }

    /// The held feed, or a new empty one (frozen at once if a fork proof for it is held).
    func feed(_ origin: FeedOrigin, author: AuthorKeys) -> SyncFeed {
        if let feed = feeds[origin] { return feed }
        var feed = SyncFeed(origin: origin, author: author)
        if forkProofs[origin] != nil { feed.verifier.freeze() }
        return feed
    }

    // MARK: - Events

    /// A session with `peer` (identified by its certificate) is up: say hello.
    public mutating func connected(peer: String) -> [SyncAction] {
        guard charter.node(peer) != nil, peer != configuration.nodeID else {
            return [.close(peer: peer, reason: "\(peer) is not a node of the charter")]
        }
        guard charter.node(configuration.nodeID) != nil else {
            return [.close(peer: peer, reason: "this node is not in charter version \(charter.version)")]
        }
        peers[peer] = Peer()
        var hello = Tocsin_V1_Hello()
        hello.protocolVersion = Self.protocolVersion
        hello.networkID = Data(configuration.network.digest.bytes)
        hello.nodeID = configuration.nodeID
        hello.charterVersion = charter.version
        return [.send(peer: peer, .with { $0.hello = hello })]
    }

    /// The session with `peer` ended. What it was asked for and had not sent is asked of
    /// another peer that announced it, at once, and counts as left unanswered: a peer that
    /// reconnects whenever it is asked cannot hold a feed back.
    @discardableResult
    public mutating func disconnected(peer: String, now: UInt64 = 0) -> [SyncAction] {
        peers[peer] = nil
        deferredHeads[peer] = nil
        receivedFrom = receivedFrom.filter { $0.value != peer }
        var actions: [SyncAction] = []
        for (origin, asked) in pending.sorted(by: { $0.key < $1.key }) where asked.peer == peer {
            pending[origin] = nil
            unansweredWants[peer, default: 0] += 1
            if let other = bestPeer(for: origin, except: peer) { actions += want(origin, from: other, now: now) }
        }
        return actions + judgeDeferredHeads(now: now)
    }

    /// The established peer that announced the most of `origin` beyond what is held, the one
    /// that left the fewest requests unanswered first (then by name), other than `excluded`.
    func bestPeer(for origin: FeedOrigin, except excluded: String?) -> String? {
        let held = feeds[origin]?.wantedBeyond ?? 0
        return establishedPeers.filter { $0 != excluded && (peers[$0]?.announced[origin] ?? 0) > held }
            .min { (unansweredWants[$0] ?? 0, $0) < (unansweredWants[$1] ?? 0, $1) }
    }

    /// The node's own author appended and stored a batch: push its checkpoint.
    public mutating func appended(_ batch: FeedBatch) -> [SyncAction] {
        if feeds[batch.origin] == nil {
            guard let keys = authorKeys(for: batch.origin) else {
                return [
                    .log(peer: nil, "\(batch.origin.author) is not in the charter; \(batch.origin) is not replicated")
                ]
            }
            feeds[batch.origin] = SyncFeed(origin: batch.origin, author: keys)
        }
        feeds[batch.origin]!.record(batch)
        return push(batch.origin, except: nil, with: [batch])
    }

    /// The most entries, and entry bytes, of an appended batch pushed with its entries; a larger
    /// one is announced by its checkpoint alone, and fetched.
    static let maximumPushedEntries = 1_000
    static let maximumPushedBytes = 1 << 20

    /// The edge sent `peer` the checkpoint of a batch instead of its entries
    /// (`SyncAction.sendEntries`): where the peer stands is known again only from what it shows.
    public mutating func entriesWithheld(from peer: String, of origin: FeedOrigin) {
        peers[peer]?.sent[origin] = nil
    }

    /// Where `batches` would start as one pushed `Entries` message: consecutive, the last
    /// ending at `checkpoint`, none with a base, within the limits of a pushed batch. Nil
    /// otherwise. (Nothing is copied.)
    static func pushableStart(_ batches: [FeedBatch], endingAt checkpoint: Checkpoint) -> UInt64? {
        guard let first = batches.first, let last = batches.last, last.checkpoint.checkpoint == checkpoint,
            batches.allSatisfy({ $0.base == nil }),
            zip(batches, batches.dropFirst()).allSatisfy({ $0.frontier.size == $1.firstIndex })
        else { return nil }
        var count = 0
        var bytes = 0
        for batch in batches {
            count += batch.entries.count
            for entry in batch.entries { bytes += entry.count }
        }
        guard count <= maximumPushedEntries, bytes <= maximumPushedBytes else { return nil }
        return first.firstIndex
    }

    /// Where `peer` is known to hold `origin` up to, or will once what it was sent arrives.
    func position(of peer: String, in origin: FeedOrigin) -> UInt64 {
        max(peers[peer]?.sent[origin] ?? 0, peers[peer]?.holds[origin]?.size ?? 0)
    }

    /// Forwards the cosignatures gathered since `forwardCosignaturesSoon`: one frame per feed
    /// and peer, with every cosignature held, to the peers that may see the feed (except the
    /// one peer that sent them all).
    public mutating func forwardCosignatures() -> [SyncAction] {
        let due = cosignaturesToForward
        cosignaturesToForward = [:]
        return due.sorted { $0.key < $1.key }.flatMap { origin, sources in
            push(origin, except: sources.count == 1 ? sources.first : nil, asCosignature: true)
        }
    }

    /// Periodic anti-entropy: exchange heads with every peer (unanswered requests are the
    /// business of `expireWants`).
    public mutating func antiEntropy() -> [SyncAction] {
        return establishedPeers.flatMap { heads(for: $0) }
    }

    /// A batch `.store` asked for is durable: a witness cosigns it only now (as Sigsum
    /// witnesses persist before they reply, so a cosignature never outlives what it vouches
    /// for), and the checkpoint is announced to the peers that may see it.
    public mutating func stored(origin: FeedOrigin, size: UInt64, now: UInt64) -> [SyncAction] {
        let own = ownCosignaturesBeingStored[origin]?[size]
        ownCosignaturesBeingStored[origin] = ownCosignaturesBeingStored[origin]?.filter { $0.key > size }
        if ownCosignaturesBeingStored[origin]?.isEmpty == true { ownCosignaturesBeingStored[origin] = nil }
        // An amendment is announced under the charter it was received under (a node it removes
        // learns of it too), then adopted if it has taken effect.
        let isAmendment = AuthorityFeed.isAuthorityFeed(origin)
        guard var feed = feeds[origin], let latest = feed.latest, latest.checkpoint.size == size,
            !feed.verifier.isFrozen
        else { return isAmendment ? authorityStored(size: size, now: now) : [] }
        let sender = receivedFrom.removeValue(forKey: origin)
        var excluded = sender
        if let own, !latest.cosignatures.contains(where: { $0.witnessName == witnessName }) {
            feed.latest = latest.adding(own)
            feeds[origin] = feed
            // The sender learns of the witness too.
            excluded = nil
        }
        // The announcement carries every cosignature held: those waiting to be forwarded
        // (the ones that came with the batch, usually) need no frame of their own.
        if let sources = cosignaturesToForward[origin], excluded == nil || sources == [excluded!] {
            cosignaturesToForward[origin] = nil
        }
        // The batch itself goes to peers that hold the feed up to it, as the author's does.
        // By its checkpoint alone: the peers that may see the feed may well have the batch from
        // its author or another relay, and a second copy of the entries would be read and
        // dropped (a network-wide bulletin reached each node three times over).
        let announced = push(origin, except: excluded)
        return isAmendment ? announced + authorityStored(size: size, now: now) : announced
    }

    /// This witness's cosignature of `checkpoint` (nil for a node that witnesses nothing). It
    /// is stored before anyone sees it: one that reached a peer and was then lost in a crash
    /// would come back older than the one this node makes again, and a convener's decisions,
    /// which cite its own first witnessing, would no longer agree with what its members hold.
    func cosignature(of checkpoint: SignedCheckpoint, now: UInt64) -> Cosignature? {
        guard let key = configuration.witnessKey,
            !checkpoint.cosignatures.contains(where: { $0.witnessName == witnessName }),
            configuration.witnessesEverything || isNamedWitness(of: checkpoint.checkpoint.origin)
        else { return nil }
        return try? Cosignature.sign(checkpoint.checkpoint, witnessName: witnessName, key: key, timestamp: now)
    }

    /// This witness's own cosignature `.storeOwnCosignature` asked for is durable: it is held
    /// now, and the checkpoint is announced with it to every peer that may see it (the sender
    /// too: it learns of the witness).
    public mutating func ownCosignatureStored(_ cosignature: Cosignature, of checkpoint: Checkpoint) -> [SyncAction] {
        guard let origin = try? FeedOrigin(parsing: checkpoint.origin), var feed = feeds[origin],
            let latest = feed.latest, latest.checkpoint == checkpoint, !feed.verifier.isFrozen
        else { return [] }
        if !latest.cosignatures.contains(where: { $0.witnessName == witnessName }) {
            feed.latest = latest.adding(cosignature)
            feeds[origin] = feed
        }
        return push(origin, except: nil)
    }

    /// At start, a witness cosigns each held checkpoint it has not cosigned yet (its own
    /// cosignature was lost in a crash before it was stored, or it became a witness since).
    public mutating func witnessHeldCheckpoints(now: UInt64) -> [SyncAction] {
        feeds.keys.sorted().compactMap { origin in
            guard let feed = feeds[origin], origin.author != configuration.nodeID, !feed.verifier.isFrozen,
                let latest = feed.latest, let cosignature = cosignature(of: latest, now: now)
            else { return nil }
            return .storeOwnCosignature(cosignature, latest.checkpoint)
        }
    }

    /// The store cannot write: stop pulling entries until `resume`.
    public mutating func pause() {
        isPaused = true
        pending = [:]
        receivedFrom = [:]
        ownCosignaturesBeingStored = [:]
        chainsBeingStored = [:]
    }

    /// The store writes again: write again what must be durable (a write of it may have
    /// failed meanwhile), and ask peers for whatever they announced beyond what is held.
    public mutating func resume(now: UInt64) -> [SyncAction] {
        isPaused = false
        var actions: [SyncAction] = ownFeedKnown.sorted { $0.key < $1.key }.map {
            .rememberOwnFeed($0.key, size: $0.value)
        }
        actions += forkProofs.sorted { $0.key < $1.key }.map { .storeForkProof($0.value) }
        for origin in feeds.keys.sorted() {
            let held = feeds[origin]!.wantedBeyond
            let best = establishedPeers.filter { (peers[$0]?.announced[origin] ?? 0) > held }
                .max { (peers[$0]?.announced[origin] ?? 0, $1) < (peers[$1]?.announced[origin] ?? 0, $0) }
            if let best { actions += want(origin, from: best, now: now) }
        }
        return actions
    }

    /// Replaces what is held with what the store really holds (after a failed write), keeping
    /// the sessions and what peers announced.
    public mutating func reload(feeds reloaded: [SyncFeed], forkProofs proofs: [ForkProof], chain: CharterChain? = nil)
    {
        if let chain { self.chain = chain }
        chainsBeingStored = [:]
        feeds = Dictionary(reloaded.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first })
        for proof in proofs {
            if let origin = try? FeedOrigin(parsing: proof.origin) { forkProofs[origin] = proof }
        }
        for origin in forkProofs.keys { feeds[origin]?.verifier.freeze() }
        for origin in disowned { feeds[origin]?.verifier.freeze() }
        pending = [:]
        receivedFrom = [:]
        ownCosignaturesBeingStored = [:]
    }

    /// `Want`s that went `wantTimeoutSeconds` without an answer: the silent peer is named, and
    /// the range is asked of another peer that announced it (of the same one when none did).
    /// A peer that announces a checkpoint and never serves it cannot hold the feed back while
    /// another peer holds it.
    public mutating func expireWants(now: UInt64) -> [SyncAction] {
        var actions: [SyncAction] = []
        for (origin, asked) in pending.sorted(by: { $0.key < $1.key })
        where now >= asked.lastProgress.addingReportingOverflow(configuration.wantTimeoutSeconds).partialValue {
            pending[origin] = nil
            unansweredWants[asked.peer, default: 0] += 1
            if AuthorityFeed.isAuthorityFeed(origin) { forgetAuthorityAnnouncement(of: asked.peer) }
            actions.append(
                .log(
                    peer: asked.peer,
                    "\(asked.peer) did not answer a Want for \(origin) entries \(asked.range.lowerBound)..<\(asked.range.upperBound) within \(configuration.wantTimeoutSeconds) s; asking another peer",
                    warning: true))
            actions += want(origin, from: bestPeer(for: origin, except: asked.peer) ?? asked.peer, now: now)
        }
        return actions + judgeDeferredHeads(now: now)
    }

    /// The `Entries` messages that answer a `serve` action for `span` of `origin`: cut at stored
    /// checkpoint sizes, by entries and by bytes, at most `maximumBatchesPerWant`.
    /// `entryBytes` gives the size of each entry of `span`, in order.
    public func batches(serving span: Range<UInt64>, of origin: FeedOrigin, entryBytes: [Int]) -> [Range<UInt64>] {
        guard let feed = feeds[origin] else { return [] }
        return feed.batches(
            from: span.lowerBound, to: span.upperBound, maximumEntries: configuration.maximumBatchEntries,
            maximumBytes: configuration.maximumBatchBytes, limit: configuration.maximumBatchesPerWant,
            entryBytes: entryBytes)
    }

    /// The next `Entries` message answering a `Want`, from `start` up to `end`, by entries
    /// alone: the range whose entries to read. `servingCut(_:of:entryBytes:)` then cuts it by
    /// their bytes. Message by message, the two give the ranges `batches(serving:of:entryBytes:)`
    /// gives, reading only the entries a cut can use (`servingRead`), never a pass over the
    /// span for its sizes first.
    /// Nil when nothing from `start` ends at a stored checkpoint.
    public func servingCandidate(from start: UInt64, to end: UInt64, of origin: FeedOrigin) -> Range<UInt64>? {
        feeds[origin]?.batches(
            from: start, to: end, maximumEntries: configuration.maximumBatchEntries, limit: 1
        ).first
    }

    /// `candidate` (from `servingCandidate`) cut by the bytes of its entries, `entryBytes` in
    /// order: the message to send.
    public func servingCut(_ candidate: Range<UInt64>, of origin: FeedOrigin, entryBytes: [Int]) -> Range<UInt64>? {
        feeds[origin]?.batches(
            from: candidate.lowerBound, to: candidate.upperBound, maximumEntries: configuration.maximumBatchEntries,
            maximumBytes: configuration.maximumBatchBytes, limit: 1, entryBytes: entryBytes
        ).first
    }

    /// How far serving reads the entries of `candidate` (from `servingCandidate`) before
    /// `servingCut`: through its first interval between stored checkpoints (sent whole,
    /// whatever its size), then until the entries read pass the byte limit (a cut cannot use
    /// more). Without it, a candidate of 1,000 entries of 256 KiB would be read to send 8 MiB.
    public func servingRead(of candidate: Range<UInt64>, of origin: FeedOrigin) -> ServingRead {
        let firstInterval = servingCut(candidate, of: origin, entryBytes: []) ?? candidate
        return ServingRead(
            start: candidate.lowerBound, firstIntervalEnd: firstInterval.upperBound,
            maximumBytes: configuration.maximumBatchBytes)
    }

    /// How many messages an answer for `span` of `origin` will be at least (its cut by
    /// entries alone, at most `maximumBatchesPerWant`): what a session owes, counted before
    /// any entry is read.
    public func servingMessageCount(_ span: Range<UInt64>, of origin: FeedOrigin) -> Int {
        feeds[origin]?.batches(
            from: span.lowerBound, to: span.upperBound, maximumEntries: configuration.maximumBatchEntries,
            limit: configuration.maximumBatchesPerWant
        ).count ?? 0
    }

    /// Records a fork found by the node or the edge (`examine`), freezes the feed and
    /// spreads the proof to every peer that may see it.
    public mutating func recordFork(_ proof: ForkProof) -> [SyncAction] {
        guard let origin = try? FeedOrigin(parsing: proof.origin), forkProofs[origin] == nil else { return [] }
        forkProofs[origin] = proof
        feeds[origin]?.verifier.freeze()
        pending[origin] = nil
        var actions: [SyncAction] = [
            .storeForkProof(proof),
            .log(
                peer: nil,
                "fork: \(origin) has contradicting checkpoints signed by \(origin.author); the feed is frozen"),
        ]
        for peer in establishedPeers where maySee(peer, origin.group) {
            actions.append(.send(peer: peer, .with { $0.forkProof = proof.message }))
        }
        return actions
    }

    /// Whether this node may append to its own feed in `group` now.
    public enum AppendReadiness: Sendable, Equatable {
        case ready
        /// No peer that shares the group has told this node its own latest checkpoint yet:
        /// after a restore from an old copy, appending now would fork the node's own feed.
        case waitingForPeers
        /// A peer holds more of this node's own feed than this node: it is catching up.
        case catchingUp(held: UInt64, known: UInt64)
    }

    /// The restore guard: a node appends to its own feed only once a peer has told it what
    /// the network holds of that feed, and it holds at least as much.
    public func appendReadiness(group: String) -> AppendReadiness {
        guard heardOwnHeads.contains(group) else { return .waitingForPeers }
        guard let origin = try? FeedOrigin(network: configuration.network, group: group, author: configuration.nodeID)
        else { return .waitingForPeers }
        let held = feeds[origin]?.size ?? 0
        let known = max(ownFeedKnown[origin] ?? 0, peers.values.compactMap { $0.announced[origin] }.max() ?? 0)
        return known > held ? .catchingUp(held: held, known: known) : .ready
    }

    /// Entries `peer` announced in this session that this node does not hold: how far it is
    /// behind that peer, 0 once caught up. Frozen and disowned feeds, which are never pulled,
    /// do not count.
    public func lag(behind peer: String) -> UInt64 {
        guard let announced = peers[peer]?.announced else { return 0 }
        var lag: UInt64 = 0
        for (origin, size) in announced where !disowned.contains(origin) {
            if let feed = feeds[origin], feed.verifier.isFrozen { continue }
            let held = feeds[origin]?.size ?? 0
            if size > held {
                let (sum, overflow) = lag.addingReportingOverflow(size - held)
                lag = overflow ? .max : sum
            }
        }
        return lag
    }

    /// Feeds frozen by a fork proof or disowned after a revocation.
    public var frozenFeedCount: Int {
        feeds.values.filter { $0.verifier.isFrozen }.count
    }

    // MARK: - Building messages

    /// `Heads` with every feed `peer` may see (the authority feed first), then the fork proofs
    /// it may see.
    func heads(for peer: String) -> [SyncAction] {
        var heads = Tocsin_V1_Heads()
        let origins = feeds.keys.sorted { left, right in
            let (leftFirst, rightFirst) = (AuthorityFeed.isAuthorityFeed(left), AuthorityFeed.isAuthorityFeed(right))
            return leftFirst != rightFirst ? leftFirst : left < right
        }
        for origin in origins
        where !disowned.contains(origin)
            && Self.refusal(of: origin, to: peer, by: configuration.nodeID, under: permissions) == nil
        {
            guard let feed = feeds[origin], feed.latest != nil else { continue }
            heads.heads.append(
                .with {
                    $0.origin = origin.description
                    $0.checkpoint = Data(feed.latestNote)
                })
        }
        var actions: [SyncAction] = [.send(peer: peer, .with { $0.heads = heads })]
        for (origin, proof) in forkProofs.sorted(by: { $0.key < $1.key }) where maySee(peer, origin.group) {
            actions.append(.send(peer: peer, .with { $0.forkProof = proof.message }))
        }
        return actions
    }

    /// Pushes the feed's latest checkpoint to every established peer that may see it, but a
    /// peer known to hold it with every cosignature already. With `batches` (consecutive, just
    /// appended, the last ending at that checkpoint), a peer known to hold the feed up to their
    /// start is pushed them, as one `Entries` message with the checkpoint: it stores them
    /// without asking (PROTOCOL.md §9, "Pushing a batch").
    mutating func push(
        _ origin: FeedOrigin, except excluded: String?, asCosignature: Bool = false, with batches: [FeedBatch] = []
    ) -> [SyncAction] {
        guard let feed = feeds[origin], let latest = feed.latest, !disowned.contains(origin) else { return [] }
        let head = Tocsin_V1_Head.with {
            $0.origin = origin.description
            $0.checkpoint = Data(feed.latestNote)
        }
        let recipients = establishedPeers.filter { peer in
            peer != excluded && peers[peer]?.holds[origin]?.covers(latest) != true
                && Self.refusal(of: origin, to: peer, by: configuration.nodeID, under: permissions) == nil
        }
        let start = Self.pushableStart(batches, endingAt: latest.checkpoint)
        // Built once, for the first peer it goes to.
        var pushed: Tocsin_V1_Message?
        return recipients.map { peer in
            let announcement = Tocsin_V1_Message.with {
                asCosignature ? ($0.cosignature = head) : ($0.checkpoint = head)
            }
            if let start, position(of: peer, in: origin) == start {
                peers[peer]?.sent[origin] = latest.checkpoint.size
                let entries =
                    pushed
                    ?? Tocsin_V1_Message.with {
                        $0.entries = .with {
                            $0.origin = origin.description
                            $0.firstIndex = start
                            $0.entries = batches.flatMap { $0.entries.map { Data($0) } }
                            $0.checkpoint = Data(feed.latestNote)
                        }
                    }
                pushed = entries
                return .sendEntries(peer: peer, origin: origin, entries, otherwise: announcement)
            }
            // A peer known to hold this checkpoint keeps the cosignatures it is sent. One behind
            // may fetch the entries from another peer and never take them: it is not assumed
            // to hold them.
            if let held = peers[peer]?.holds[origin], held.size == latest.checkpoint.size,
                held.root == latest.checkpoint.root
            {
                note(peer, holds: latest, of: origin)
            }
            return .send(peer: peer, announcement)
        }
    }
}

extension ForkProof {
    /// The protobuf message of this proof.
    public var message: Tocsin_V1_ForkProof {
        (try? Tocsin_V1_ForkProof(serializedBytes: serialized)) ?? Tocsin_V1_ForkProof()
    }
}
