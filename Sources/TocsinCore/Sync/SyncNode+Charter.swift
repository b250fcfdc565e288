import TocsinCrypto

/// The charter's amendments: the authority feed, followed like any feed, and the adoption of
/// each version when it takes effect.
extension SyncNode {
    /// The authority feed of this network.
    var authorityOrigin: FeedOrigin { AuthorityFeed.origin(of: configuration.network) }

    /// The keys that may sign `origin`'s checkpoints under the charter in force (the
    /// authority's key for the authority feed); nil for an author no version names.
    func authorKeys(for origin: FeedOrigin) -> AuthorKeys? {
        if let chain { return chain.authorKeys(for: origin, through: charter.version) }
        guard !AuthorityFeed.isAuthorityFeed(origin) else { return nil }
        return charter.node(origin.author).map { AuthorKeys($0.publicKey) }
    }

    /// The keys whose cosignatures count for `witness` (its key now, and rotated ones).
    func witnessKeys(of witness: String) -> [Ed25519PublicKey] {
        if let chain { return chain.witnessKeys(of: witness, through: charter.version) }
        return charter.node(witness).map { [$0.publicKey] } ?? []
    }

    /// Whether this node cosigns the feed `originText` without witnessing everything: the
    /// charter's witness policy names it, or it convenes the group (its cosignatures date the
    /// group's proposals and votes, whoever else witnesses).
    func isNamedWitness(of originText: String) -> Bool {
        guard let origin = try? FeedOrigin(parsing: originText), origin.author != configuration.nodeID,
            let policy = charter.witnessPolicy(group: origin.group, author: origin.author)
        else { return false }
        return policy.witnesses.contains(configuration.nodeID)
            || charter.group(origin.group)?.convener == configuration.nodeID
    }

    /// Whether a peer announced more of the authority feed than is held, and it can still be
    /// fetched: other feeds wait, since an amendment may change their keys or members.
    var isCatchingUpAuthority: Bool {
        let origin = authorityOrigin
        guard chain != nil, feeds[origin]?.verifier.isFrozen != true else { return false }
        let held = feeds[origin]?.size ?? 0
        return !chainsBeingStored.isEmpty || peers.values.contains { ($0.announced[origin] ?? 0) > held }
    }

    /// Verifies the amendments of an authority batch against the chain (after the batch's own
    /// checks), and keeps the chain they make until the batch is durable.
    mutating func acceptAmendments(_ batch: FeedBatch) -> AmendmentError? {
        guard let base = chainsBeingStored.max(by: { $0.key < $1.key })?.value ?? chain else { return .forked }
        do {
            let next = try base.appending(batch.entries, firstIndex: batch.firstIndex)
            chainsBeingStored[batch.frontier.size] = next
            return nil
        } catch {
            return error
        }
    }

    /// An authority batch is durable: the chain advances, an amendment already due is adopted,
    /// and `Heads` set aside meanwhile are judged now.
    mutating func authorityStored(size: UInt64, now: UInt64) -> [SyncAction] {
        if let next = chainsBeingStored[size] { chain = next }
        chainsBeingStored = chainsBeingStored.filter { $0.key > size }
        return adoptDue(nowMs: Witnessing.milliseconds(seconds: now) ?? .max) + judgeDeferredHeads(now: now)
    }

    /// Once nothing more of the authority feed is being fetched, the `Heads` set aside are
    /// judged.
    mutating func judgeDeferredHeads(now: UInt64) -> [SyncAction] {
        guard !isCatchingUpAuthority, !deferredHeads.isEmpty else { return [] }
        let waiting = deferredHeads
        deferredHeads = [:]
        var actions: [SyncAction] = []
        for (peer, heads) in waiting.sorted(by: { $0.key < $1.key }) where peers[peer]?.helloReceived == true {
            actions += received(.with { $0.heads = heads }, from: peer, now: now)
        }
        return actions
    }

    /// A peer left a `Want` of the authority feed unanswered: what it announced of it is
    /// forgotten (it is asked again when it announces it again), so that a peer that announces
    /// amendments and never serves them cannot hold the node's other feeds back.
    mutating func forgetAuthorityAnnouncement(of peer: String) {
        let origin = authorityOrigin
        peers[peer]?.announced[origin] = nil
    }

    /// Adopts the latest version that has taken effect by `nowMs`, if it is newer than the
    /// charter in force. Nothing is adopted from an authority feed a fork proof froze.
    public mutating func adoptDue(nowMs: Int64) -> [SyncAction] {
        guard let chain, feeds[authorityOrigin]?.verifier.isFrozen != true else { return [] }
        let due = chain.inForce(atMs: nowMs)
        guard due.version > charter.version else { return [] }
        return adopt(due)
    }

    /// Runs under `version` from now on: keys, members and groups change; sessions of nodes
    /// the charter no longer names close; every peer is told again what it may now see.
    mutating func adopt(_ version: CharterVersion) -> [SyncAction] {
        let before = charter
        charter = version.charter
        permissions = Permissions(charter: version.charter)
        var actions: [SyncAction] = [
            .log(peer: nil, "charter version \(version.version) is in force (was \(before.version))"),
            .adoptCharter(version),
        ]
        for origin in feeds.keys.sorted() {
            if let keys = authorKeys(for: origin) { feeds[origin]!.verifier.author = keys }
        }
        // A fork proof made with a key revoked below its sizes proves nothing: the feed goes on.
        for (origin, proof) in forkProofs.sorted(by: { $0.key < $1.key }) {
            guard let keys = authorKeys(for: origin), (try? proof.verify(author: keys)) == nil else { continue }
            forkProofs[origin] = nil
            feeds[origin]?.verifier.thaw()
            actions.append(
                .log(
                    peer: nil,
                    "\(origin): the fork proof held was signed with a key charter version \(version.version) revoked; the feed goes on"
                ))
        }
        // A checkpoint held that the new keys disown (a thief's, stored before the revocation
        // arrived): the feed is frozen here and announced and served no more.
        for origin in feeds.keys.sorted() where !AuthorityFeed.isAuthorityFeed(origin) {
            guard let keys = feeds[origin]?.verifier.author, let latest = feeds[origin]!.latest,
                Self.isSignedOnlyBeyondRevocation(latest, keys: keys)
            else { continue }
            feeds[origin]!.verifier.freeze()
            if disowned.insert(origin).inserted {
                actions.append(
                    .log(
                        peer: nil,
                        "\(origin): the latest checkpoint held (size \(latest.checkpoint.size)) is signed with a key charter version \(version.version) revoked below that size; the feed is frozen here and no longer announced: restore it from a copy made before the theft",
                        warning: true))
            }
        }
        let removedSelf = charter.node(configuration.nodeID) == nil
        for peer in peers.keys.sorted() where removedSelf || charter.node(peer) == nil {
            let reason =
                removedSelf
                ? "this node is not in charter version \(version.version)"
                : "\(peer) is not in charter version \(version.version)"
            actions.append(.close(peer: peer, reason: reason))
            actions += disconnected(peer: peer)
        }
        // What a peer may no longer see is neither asked of it nor served to it.
        for (origin, asked) in pending where !maySee(asked.peer, origin.group) { pending[origin] = nil }
        heardOwnHeads = heardOwnHeads.filter { charter.group($0) != nil && maySee(configuration.nodeID, $0) }
        for peer in establishedPeers { actions += heads(for: peer) }
        return actions
    }

    /// Whether `checkpoint` is signed only with a key revoked below its size.
    static func isSignedOnlyBeyondRevocation(_ checkpoint: SignedCheckpoint, keys: AuthorKeys) -> Bool {
        do {
            try checkpoint.verify(author: keys)
            return false
        } catch .revokedKey {
            return true
        } catch {
            return false
        }
    }

    /// What publishing an amendment file on this node does: the authority feed's entries
    /// beyond those held are verified as a peer's batch would be (the authority's checkpoint,
    /// then each amendment against the chain) and stored; a file that contradicts the feed
    /// held is a fork proof.
    public mutating func publish(_ bundle: AmendmentBundle, now: UInt64) -> Result<[SyncAction], PublishRefusal> {
        guard chain != nil else { return .failure(.init("this node does not follow the authority feed")) }
        let origin = authorityOrigin
        guard bundle.origin == origin else {
            return .failure(.init("the file is of network \(bundle.origin.networkShortHex), not this one"))
        }
        var feed = feed(origin, author: AuthorKeys(chain!.authority))
        if feed.verifier.isFrozen { return .failure(.init(AmendmentError.forked.description)) }
        let checkpoint: SignedCheckpoint
        do {
            checkpoint = try feed.verifier.authenticate(checkpointNote: Array(bundle.checkpoint.note.formatted.utf8))
        } catch {
            return .failure(.init("the file's checkpoint is not the authority's: \(error)"))
        }
        let size = UInt64(bundle.entries.count)
        guard checkpoint.checkpoint.size == size else {
            return .failure(
                .init("the file's checkpoint covers \(checkpoint.checkpoint.size) entries, it holds \(size)"))
        }
        if let latest = feed.latest, size <= latest.checkpoint.size {
            if size == latest.checkpoint.size, latest.checkpoint.root != checkpoint.checkpoint.root {
                return .success(recordFork(ForkProof(sameSize: latest, checkpoint)))
            }
            if feed.checkpointRoots[size] == checkpoint.checkpoint.root || size == latest.checkpoint.size {
                return .failure(.init("this node already holds these amendments (the authority feed has \(feed.size))"))
            }
            return .success([.examine(origin: origin, checkpoint)])
        }
        if feeds[origin] == nil { feeds[origin] = feed }
        let held = Int(feed.size)
        let batch: FeedBatch
        do {
            batch = try feed.verifier.verify(
                firstIndex: feed.size, entries: Array(bundle.entries[held...]),
                checkpointNote: Array(bundle.checkpoint.note.formatted.utf8))
        } catch {
            return .failure(.init("the file does not continue the authority feed held: \(error)"))
        }
        if let refusal = acceptAmendments(batch) { return .failure(.init(refusal.description)) }
        // Recorded in place: a copy would copy the feed's table of stored checkpoints.
        feeds[origin] = nil
        feed.record(batch)
        feeds[origin] = feed
        var actions: [SyncAction] = [.store(batch)]
        if let cosignature = cosignature(of: batch.checkpoint, now: now) {
            ownCosignaturesBeingStored[origin, default: [:]][batch.frontier.size] = cosignature
            actions = [.store(batch.adding(cosignature))]
        }
        return .success(actions)
    }

    /// Why `publish` refused an amendment file.
    public struct PublishRefusal: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }

        /// The store cannot write now: publish again once it can.
        public static let storeCannotWrite = PublishRefusal(
            "this node's store cannot write now: publish again once it can")
    }
}
