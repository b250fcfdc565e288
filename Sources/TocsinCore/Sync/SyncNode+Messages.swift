import Foundation
import TocsinCrypto

extension SyncNode {
    /// A message arrived from `peer`. `now` is the node's clock in POSIX seconds (for
    /// cosignature timestamps).
    public mutating func received(_ message: Tocsin_V1_Message, from peer: String, now: UInt64) -> [SyncAction] {
        received(PeerMessage(message), from: peer, now: now)
    }

    /// A message from `peer`, as its session's framer read it.
    public mutating func received(_ message: PeerMessage, from peer: String, now: UInt64) -> [SyncAction] {
        guard let state = peers[peer] else { return [] }
        let body: Tocsin_V1_Message.OneOf_Body?
        switch message {
        case .entries(let entries) where state.helloReceived:
            return receivedEntries(entries, from: peer, now: now)
        case .entries: body = nil
        case .message(let message): body = message.body
        }
        if !state.helloReceived {
            guard case .hello(let hello) = body else {
                return refuse(peer, .outOfOrder, "the first message must be Hello")
            }
            return receivedHello(hello, from: peer)
        }
        switch body {
        case .hello:
            return refuse(peer, .outOfOrder, "Hello was already received")
        case .heads(let heads):
            // One head per feed: a repeated origin could only make this node verify again.
            var origins: Set<String> = []
            for head in heads.heads where !origins.insert(head.origin).inserted {
                return refuse(peer, .malformed, "Heads names \(head.origin.prefix(100).debugDescription) twice")
            }
            var actions: [SyncAction] = []
            // The authority feed first: an amendment the peer holds may change the keys and
            // members the rest is judged by, so the rest waits until it is fetched and stored.
            let authority = authorityOrigin.description
            var others = heads
            // This Heads replaces any set aside earlier.
            deferredHeads[peer] = nil
            if chain != nil, let position = heads.heads.firstIndex(where: { $0.origin == authority }) {
                actions += receivedHead(heads.heads[position], from: peer, now: now, inHeads: true)
                if actions.contains(where: { if case .close = $0 { return true } else { return false } }) {
                    return actions
                }
                others.heads.remove(at: position)
                if isCatchingUpAuthority {
                    deferredHeads[peer] = others
                    return actions
                }
            }
            for head in others.heads {
                actions += receivedHead(head, from: peer, now: now, inHeads: true)
                if actions.contains(where: { if case .close = $0 { return true } else { return false } }) {
                    return actions
                }
            }
            // A peer's full list of heads tells this node what the network holds of its own
            // feeds in the groups that peer shares with it.
            for group in charter.groups where maySee(peer, group.id) && maySee(configuration.nodeID, group.id) {
                heardOwnHeads.insert(group.id)
            }
            return actions
        case .checkpoint(let head), .cosignature(let head):
            return receivedHead(head, from: peer, now: now)
        case .want(let want):
            return receivedWant(want, from: peer)
        case .entries(let entries):
            return receivedEntries(EntriesMessage(entries), from: peer, now: now)
        case .forkProof(let proof):
            return receivedForkProof(proof, from: peer)
        case .error(let error):
            return [
                .log(peer: peer, "peer reported \(error.code): \(error.message.prefix(500))"),
                .close(peer: peer, reason: "the peer reported an error"),
            ]
        case .ping(let ping):
            return [.send(peer: peer, .with { $0.pong = ping })]
        case .pong:
            return []
        case nil:
            return refuse(peer, .malformed, "an empty or unknown message")
        }
    }

    /// Sends an `Error` and closes the session; the store is never touched.
    func refuse(_ peer: String, _ code: Tocsin_V1_ErrorCode, _ reason: String) -> [SyncAction] {
        let error = Tocsin_V1_Error.with {
            $0.code = code
            $0.message = reason
        }
        return [
            .log(peer: peer, "refused: \(reason)"), .send(peer: peer, .with { $0.error = error }),
            .close(peer: peer, reason: reason),
        ]
    }

    mutating func receivedHello(_ hello: Tocsin_V1_Hello, from peer: String) -> [SyncAction] {
        guard hello.protocolVersion == Self.protocolVersion else {
            return refuse(
                peer, .protocolVersion,
                "protocol version \(hello.protocolVersion), this node speaks \(Self.protocolVersion)")
        }
        guard hello.networkID == Data(configuration.network.digest.bytes) else {
            return refuse(peer, .wrongNetwork, "the peer is of another network")
        }
        guard hello.nodeID == peer else {
            return refuse(peer, .notPermitted, "Hello names \(hello.nodeID.prefix(64)), the certificate \(peer)")
        }
        peers[peer]?.helloReceived = true
        return heads(for: peer)
    }

    /// Resolves an origin a peer named: ours, in a group both sides may see, by a known author.
    func permittedOrigin(_ text: String, from peer: String) -> Result<(FeedOrigin, AuthorKeys), RefusalReason> {
        guard let origin = try? FeedOrigin(parsing: text) else {
            return .failure(RefusalReason(.malformed, "malformed origin \(text.prefix(100).debugDescription)"))
        }
        guard origin.networkShortHex == configuration.network.shortHex else {
            return .failure(RefusalReason(.wrongNetwork, "\(origin) is of another network"))
        }
        if let refusal = Self.refusal(of: origin, to: peer, by: configuration.nodeID, under: permissions) {
            // Permitted under another version held: the peer has not adopted the version in
            // force here yet, or adopted one this node has not (an amendment in flight). The
            // message is passed over; the session stays.
            // Only the version before the one in force and those held to come count: a node
            // removed long ago is refused, not passed over. While an amendment is being
            // fetched (announced by a peer, or verified and not yet written), the peer may run
            // under it: passed over too, until it is held.
            let previous = chain?.versions.last { $0.version < charter.version }?.version ?? charter.version
            let transitional =
                isCatchingUpAuthority
                || chain?.versions.contains { version in
                    version.version >= previous
                        && Self.refusal(
                            of: origin, to: peer, by: configuration.nodeID, under: Permissions(charter: version.charter)
                        )
                            == nil
                } ?? false
            return .failure(RefusalReason(.notPermitted, refusal, isTransitional: transitional))
        }
        guard let key = authorKeys(for: origin) else {
            return .failure(RefusalReason(.notPermitted, "\(origin.author) is not a node of the charter"))
        }
        return .success((origin, key))
    }

    /// Why `origin` may not travel between this node and `peer` under `permissions` (nil: it may):
    /// both must see its group, and its author must be a member of it (the authority's feed:
    /// every node of the charter).
    static func refusal(
        of origin: FeedOrigin, to peer: String, by node: String, under permissions: Permissions
    )
        -> String?
    {
        guard permissions.permits(peer, .see(group: origin.group)), permissions.permits(node, .see(group: origin.group))
        else { return "\(origin) is of a group this session may not carry" }
        if AuthorityFeed.isAuthorityFeed(origin) { return nil }
        // The authority's group holds the authority's feed and nothing else.
        guard origin.group != AuthorityFeed.group else { return "\(origin) is not the authority's feed" }
        guard permissions.charter.node(origin.author) != nil else {
            return "\(origin.author) is not a node of the charter"
        }
        // A feed exists only where its author may write: a member of the group.
        guard permissions.permits(origin.author, .see(group: origin.group)) else {
            return "\(origin.author) is not a member of \(origin.group)"
        }
        return nil
    }

    struct RefusalReason: Error {
        let code: Tocsin_V1_ErrorCode
        let reason: String
        /// Permitted under another charter version held: passed over, not a fault.
        let isTransitional: Bool
        init(_ code: Tocsin_V1_ErrorCode, _ reason: String, isTransitional: Bool = false) {
            self.code = code
            self.reason = reason
            self.isTransitional = isTransitional
        }
    }

    mutating func receivedHead(
        _ head: Tocsin_V1_Head, from peer: String, now: UInt64, inHeads: Bool = false
    ) -> [SyncAction] {
        let origin: FeedOrigin
        let author: AuthorKeys
        switch permittedOrigin(head.origin, from: peer) {
        case .failure(let refusal):
            return refusal.isTransitional ? [] : refuse(peer, refusal.code, refusal.reason)
        case .success(let resolved): (origin, author) = resolved
        }
        // Pushed while an amendment is being fetched: judged when the peer's next `Heads`
        // comes (those are set aside and replayed), under the charter it brings.
        if !inHeads, !AuthorityFeed.isAuthorityFeed(origin), isCatchingUpAuthority { return [] }
        var feed = feed(origin, author: author)
        if feed.verifier.isFrozen { return [] }
        // The note held, cosignatures and all, sent again: nothing to verify, nothing to learn.
        if let latest = feed.latest, head.checkpoint.elementsEqual(feed.latestNote) {
            let announced = max(peers[peer]?.announced[origin] ?? 0, latest.checkpoint.size)
            peers[peer]?.announced[origin] = announced
            note(peer, holds: latest, of: origin)
            return []
        }
        let checkpoint: SignedCheckpoint
        do {
            checkpoint = try feed.verifier.authenticate(checkpointNote: Array(head.checkpoint))
        } catch .notSignedByAuthor(.revokedKey(let name, let size)) {
            return passOverRevoked(origin, size: size, keyName: name, from: peer)
        } catch {
            return refuse(peer, .unverifiable, "\(origin): \(error)")
        }
        let size = checkpoint.checkpoint.size
        let announced = max(peers[peer]?.announced[origin] ?? 0, size)
        peers[peer]?.announced[origin] = announced
        note(peer, holds: checkpoint, of: origin)
        var remembered: [SyncAction] = []
        if origin.author == configuration.nodeID, size > ownFeedKnown[origin] ?? 0, size > feed.size {
            // A checkpoint this node signed, held by a peer, beyond what this node holds: the
            // restore guard remembers it, durably.
            ownFeedKnown[origin] = size
            remembered.append(.rememberOwnFeed(origin, size: size))
        }
        if feeds[origin] == nil { feeds[origin] = feed }

        if size > feed.size {
            return remembered + want(origin, from: peer, now: now)
        }
        if size == feed.size {
            guard let held = feed.latest else { return [] }
            if held.checkpoint.root != checkpoint.checkpoint.root {
                return recordFork(ForkProof(sameSize: held, checkpoint))
            }
            return mergeCosignatures(of: checkpoint, into: &feed, from: peer, now: now)
        }
        // An older checkpoint: consistent if it matches the stored one of its size; otherwise
        // the edge compares it with the stored tree (and builds the proof from it).
        if feed.checkpointRoots[size] == checkpoint.checkpoint.root { return [] }
        // Before the first entry held (a feed held from this node's admission): nothing here
        // can prove or refute it.
        if size < feed.firstHeldIndex { return [] }
        return [.examine(origin: origin, checkpoint)]
    }

    /// Adds the cosignatures of `checkpoint` that are new and valid, stores and forwards them.
    mutating func mergeCosignatures(
        of checkpoint: SignedCheckpoint, into feed: inout SyncFeed, from peer: String, now: UInt64
    )
        -> [SyncAction]
    {
        guard var latest = feed.latest else { return [] }
        var known = Set(latest.cosignatures.map(\.witnessName))
        var seen: Set<String> = []
        var actions: [SyncAction] = []
        for cosignature in checkpoint.cosignatures {
            // A witness cosigns a checkpoint once; a line naming it again could only cost.
            guard seen.insert(cosignature.witnessName).inserted else {
                return refuse(
                    peer, .malformed,
                    "\(feed.origin): two cosignatures by \(cosignature.witnessName.prefix(100).debugDescription)")
            }
            guard !known.contains(cosignature.witnessName) else { continue }
            // A line by a witness this charter does not know is passed over, as signed notes
            // pass over unknown keys (a later witness policy must not split the network).
            // So is a line under a witness's name with a key ID none of its keys has (a key
            // this node does not know yet, or one revoked).
            guard let witness = WitnessName.node(in: cosignature.witnessName, network: configuration.network),
                let key = witnessKeys(of: witness).first(where: {
                    (try? NoteKey(name: cosignature.witnessName, publicKey: $0, type: .cosignatureV1))?.keyID
                        == cosignature.keyID
                })
            else { continue }
            // The first cosignature by a known witness key that does not verify closes the
            // session: a peer forwards only what it verified.
            guard (try? cosignature.verify(checkpoint: latest.checkpoint, publicKey: key)) != nil else {
                return refuse(
                    peer, .unverifiable,
                    "\(feed.origin): a cosignature by \(cosignature.witnessName.prefix(100).debugDescription) does not verify"
                )
            }
            // Genuine but dated too far ahead of this clock: not accepted yet (it comes back with the next
            // Heads). A convener's clock that runs ahead would make votes look late.
            let acceptedUntil = now.addingReportingOverflow(configuration.maximumClockSkewSeconds)
            if !acceptedUntil.overflow, cosignature.timestamp > acceptedUntil.partialValue {
                if witnessesAhead.insert(cosignature.witnessName).inserted {
                    actions.append(
                        .log(
                            peer: peer,
                            "\(feed.origin): a cosignature by \(cosignature.witnessName.prefix(100).debugDescription) is dated \(cosignature.timestamp - now) s ahead of this node's clock, more than the \(configuration.maximumClockSkewSeconds) s allowed: not accepted until this clock reaches it (check both clocks)",
                            warning: true))
                }
                continue
            }
            known.insert(cosignature.witnessName)
            witnessesAhead.remove(cosignature.witnessName)
            latest = latest.adding(cosignature)
            actions.append(.storeCosignature(cosignature, latest.checkpoint))
        }
        guard actions.contains(where: { if case .storeCosignature = $0 { return true } else { return false } }) else {
            return actions
        }
        feed.latest = latest
        feeds[feed.origin] = feed
        // Forwarded together a moment later: several witnesses' cosignatures of one checkpoint
        // usually arrive within milliseconds, and each would otherwise be a frame to every peer.
        let firstDue = cosignaturesToForward.isEmpty
        cosignaturesToForward[feed.origin, default: []].insert(peer)
        return actions + (firstDue ? [.forwardCosignaturesSoon] : [])
    }

    /// Asks `peer` for what it announced beyond what is held, unless already asked.
    mutating func want(_ origin: FeedOrigin, from peer: String, now: UInt64) -> [SyncAction] {
        guard !isPaused, pending[origin] == nil, let feed = feeds[origin], !feed.verifier.isFrozen,
            let announced = peers[peer]?.announced[origin], announced > feed.wantedBeyond
        else { return [] }
        pending[origin] = PendingWant(peer: peer, range: feed.size..<announced, lastProgress: now)
        let request = Tocsin_V1_Want.with {
            $0.origin = origin.description
            $0.from = feed.size
            $0.to = announced
        }
        return [.send(peer: peer, .with { $0.want = request })]
    }

    mutating func receivedWant(_ request: Tocsin_V1_Want, from peer: String) -> [SyncAction] {
        let origin: FeedOrigin
        switch permittedOrigin(request.origin, from: peer) {
        case .failure(let refusal):
            return refusal.isTransitional ? [] : refuse(peer, refusal.code, refusal.reason)
        case .success(let resolved): origin = resolved.0
        }
        guard request.from < request.to else { return refuse(peer, .malformed, "Want with an empty range") }
        // A feed disowned here (a thief's checkpoint held) is served to no one.
        guard let feed = feeds[origin], request.from < feed.size, !disowned.contains(origin) else { return [] }
        // A peer admitted to a group that gives newcomers only what follows: whatever it asks
        // for, nothing before its cut (the edge finds it in the store).
        if origin.author != peer, let admitted = historyStart(of: peer, group: origin.group) {
            // A feed held here from this node's own admission serves a later admission only:
            // the earlier one's first entries are not held here (another peer serves it).
            if feed.firstHeldIndex > 0, request.from < feed.firstHeldIndex {
                guard let own = historyStart(of: configuration.nodeID, group: origin.group), own <= admitted else {
                    return []
                }
            }
            return [
                .serveFromAdmission(
                    peer: peer, origin: origin, admittedMs: admitted, from: request.from,
                    end: min(request.to, feed.size))
            ]
        }
        // Nothing before the first entry held can be served from here.
        guard request.from >= feed.firstHeldIndex else { return [] }
        guard let span = servingSpan(of: origin, from: request.from, to: request.to) else { return [] }
        // The peer will hold the span once served: a batch appended at its end goes with it.
        if span.upperBound == feed.size { peers[peer]?.sent[origin] = span.upperBound }
        return [.serve(peer: peer, origin: origin, range: span)]
    }

    /// What one answer to a `Want` for `[from, to)` of `origin` can span, cut by entries alone
    /// (at most `maximumBatchesPerWant` batches); the edge cuts it by bytes too
    /// (`batches(serving:of:entryBytes:)`), which only shortens it. Nil when nothing is held there.
    public func servingSpan(of origin: FeedOrigin, from: UInt64, to: UInt64) -> Range<UInt64>? {
        guard let feed = feeds[origin], from < feed.size else { return nil }
        let ranges = feed.batches(
            from: from, to: min(to, feed.size), maximumEntries: configuration.maximumBatchEntries,
            limit: configuration.maximumBatchesPerWant)
        guard let first = ranges.first, let last = ranges.last else { return nil }
        return first.lowerBound..<last.upperBound
    }

    mutating func receivedEntries(_ message: EntriesMessage, from peer: String, now: UInt64) -> [SyncAction] {
        let origin: FeedOrigin
        let author: AuthorKeys
        switch permittedOrigin(message.origin, from: peer) {
        case .failure(let refusal):
            return refusal.isTransitional ? [] : refuse(peer, refusal.code, refusal.reason)
        case .success(let resolved): (origin, author) = resolved
        }
        var feed = feed(origin, author: author)
        // Late, duplicated or reordered answers are dropped quietly: anti-entropy repairs. So
        // is everything while the store cannot write.
        if isPaused || feed.verifier.isFrozen { return [] }
        let base: MerkleFrontier?
        switch admissionBase(of: message, for: feed, from: peer) {
        case .none: base = nil
        case .base(let frontier): base = frontier
        case .drop(let reason):
            return reason.map { [.log(peer: peer, "\(origin): a base \($0): dropped", warning: true)] } ?? []
        case .malformed(let reason): return refuse(peer, .malformed, "\(origin) entries: \(reason)")
        }
        if base == nil, message.firstIndex != feed.size {
            // Entries that end beyond what is held but do not start there (a batch pushed
            // after one that was lost, or overlapping what came from elsewhere): their
            // checkpoint is an announcement, and what is missing is asked for.
            let (end, overflow) = message.firstIndex.addingReportingOverflow(UInt64(message.entries.count))
            guard !overflow, end > feed.size else { return [] }
            return receivedHead(
                .with {
                    $0.origin = message.origin
                    $0.checkpoint = Data(message.checkpoint)
                }, from: peer, now: now)
        }
        let batch: FeedBatch
        do {
            if let base {
                batch = try feed.verifier.verify(
                    base: base, entries: message.entries, checkpointNote: message.checkpoint)
            } else {
                batch = try feed.verifier.verify(
                    firstIndex: message.firstIndex, entries: message.entries, checkpointNote: message.checkpoint)
            }
        } catch .notSignedByAuthor(.revokedKey(let name, let size)) {
            return passOverRevoked(origin, size: size, keyName: name, from: peer)
        } catch {
            return refuse(peer, .unverifiable, "\(origin) entries from \(message.firstIndex): \(error)")
        }
        if let base {
            if let early = admittedEarly(batch, base: base) {
                return [.log(peer: peer, "\(origin): \(early): dropped", warning: true)]
            }
            // A base alone: the feed's first entries are all from before this node's
            // admission. Nothing to store; asked again once a peer announces more.
            if batch.entries.isEmpty {
                feed.writtenBeforeAdmission = max(feed.writtenBeforeAdmission, base.size)
                feeds[origin] = feed
                pending[origin] = nil
                return []
            }
        }
        // The authority signed them, and each must also be a valid amendment of the chain.
        if AuthorityFeed.isAuthorityFeed(origin), let refusal = acceptAmendments(batch) {
            return refuse(peer, .unverifiable, "\(origin): \(refusal)")
        }
        // Recorded in place: a copy of the feed would copy its table of stored checkpoints
        // (one per batch held) for every batch received.
        feeds[origin] = nil
        feed.record(batch)
        feeds[origin] = feed
        // As sent, with the cosignatures it carried (`batch` holds the author's note only).
        let received = try? SignedCheckpoint(parsing: message.checkpoint)
        if let received { note(peer, holds: received, of: origin) }
        // A witness's cosignature is written in the batch's own transaction, and it is held
        // and announced, with the batch, only once durable: `stored(origin:size:now:)`.
        var actions: [SyncAction] = [.store(batch)]
        if let cosignature = cosignature(of: batch.checkpoint, now: now) {
            ownCosignaturesBeingStored[origin, default: [:]][batch.frontier.size] = cosignature
            actions = [.store(batch.adding(cosignature))]
        }
        receivedFrom[origin] = peer
        // Cosignatures that travelled with the checkpoint are checked as any others: the batch
        // is kept either way, but one that does not verify closes the session.
        if let received, !received.cosignatures.isEmpty {
            var current = feed
            let merged = mergeCosignatures(of: received, into: &current, from: peer, now: now)
            if merged.contains(where: { if case .close = $0 { true } else { false } }) {
                return actions + merged
            }
            // Cosignatures of the batch's own checkpoint are written in its transaction: one
            // durable write, not one more per cosignature.
            for action in merged {
                if case .storeCosignature(let cosignature, let checkpoint) = action,
                    checkpoint == batch.checkpoint.checkpoint, case .store(let stored) = actions[0]
                {
                    actions[0] = .store(stored.adding(cosignature))
                } else {
                    actions.append(action)
                }
            }
            feed = feeds[origin] ?? current
        }
        if var asked = pending[origin] {
            asked.answers += asked.peer == peer ? 1 : 0
            asked.lastProgress = now
            // Received whole, or as much as the peer sends for one Want: ask for the rest.
            let done = asked.range.upperBound <= feed.size || asked.answers >= configuration.maximumBatchesPerWant
            pending[origin] = done ? nil : asked
        }
        if pending[origin] == nil { actions += want(origin, from: peer, now: now) }
        return actions
    }

    /// Where `node`'s copy of `group`'s feeds starts under the charter in force: nil for the
    /// whole history, or the time of its admission (`CharterChain.historyStart`).
    func historyStart(of node: String, group: String) -> Int64? {
        chain?.historyStart(of: node, group: group, through: charter.version)
    }

    /// What an `Entries` message's base means here.
    enum AdmissionBase {
        /// None: a batch that follows what is held.
        case none
        /// The frontier before the batch, for a feed this node receives from its admission.
        case base(MerkleFrontier)
        /// A base this node cannot take, with the reason when it is worth a warning (a late
        /// answer, or a charter not adopted here yet, is not).
        case drop(String?)
        /// A base that cannot be one.
        case malformed(String)
    }

    /// The base an `Entries` message carries, checked: taken only as the answer to this
    /// node's own `Want` from 0 to `peer`, for another author's feed of which nothing is held,
    /// in a group this node receives from its admission.
    func admissionBase(of message: EntriesMessage, for feed: SyncFeed, from peer: String) -> AdmissionBase {
        // A base names at least one hash: a cut at 0 is no cut, and is served without one.
        guard !message.base.isEmpty else { return .none }
        guard feed.size == 0, feed.latest == nil,
            historyStart(of: configuration.nodeID, group: feed.origin.group) != nil
        else { return .drop(nil) }
        guard feed.origin.author != configuration.nodeID else { return .drop("for this node's own feed") }
        guard let asked = pending[feed.origin], asked.peer == peer, asked.range.lowerBound == 0 else {
            return .drop("not asked for")
        }
        var hashes: [SHA256Digest] = []
        for bytes in message.base {
            guard let hash = SHA256Digest(bytes: bytes) else { return .malformed("a base hash is not 32 bytes") }
            hashes.append(hash)
        }
        guard message.firstIndex < Checkpoint.maximumSize,
            let frontier = try? MerkleFrontier(size: message.firstIndex, nodes: hashes)
        else {
            return .malformed(
                "a base of \(hashes.count) hashes for \(message.firstIndex) entries (one per set bit of the size)")
        }
        return .base(frontier)
    }

    /// Why a verified batch with a base starts before this node's admission, if it does: its
    /// first entry must be the first its author wrote at or after it (the sender cut early).
    func admittedEarly(_ batch: FeedBatch, base: MerkleFrontier) -> String? {
        guard let admitted = historyStart(of: configuration.nodeID, group: batch.origin.group),
            let first = batch.headers.first, first.authorTimeMs < admitted
        else { return nil }
        return "a base of \(base.size) entries followed by an entry written before this node's admission"
    }

    mutating func receivedForkProof(_ message: Tocsin_V1_ForkProof, from peer: String) -> [SyncAction] {
        let proof: ForkProof
        do {
            proof = try ForkProof(serialized: try message.serializedBytes())
        } catch {
            return refuse(peer, .malformed, "unreadable fork proof: \(error)")
        }
        let author: AuthorKeys
        switch permittedOrigin(proof.origin, from: peer) {
        case .failure(let refusal):
            return refusal.isTransitional ? [] : refuse(peer, refusal.code, refusal.reason)
        case .success(let resolved): author = resolved.1
        }
        do {
            try proof.verify(author: author)
        } catch {
            return refuse(peer, .unverifiable, "a fork proof that does not hold: \(error)")
        }
        return recordFork(proof)
    }

    /// A checkpoint signed only with a key the charter revoked, beyond its limit: refused, and
    /// nothing is stored. The session stays: the peer may be a thief, or a node that stored the
    /// thief's checkpoint before the revocation reached it (closing would cut it off for good,
    /// as it offers it again at each session).
    mutating func passOverRevoked(
        _ origin: FeedOrigin, size: UInt64, keyName: String, from peer: String
    )
        -> [SyncAction]
    {
        let reason =
            "\(origin): a checkpoint of size \(size) signed with a key the charter revoked below that size (\(keyName.prefix(100)))"
        // A few, from a node that held them before the revocation; more is a peer making this
        // node check signatures for nothing.
        peers[peer]?.revokedOffers += 1
        guard (peers[peer]?.revokedOffers ?? 0) <= Self.maximumRevokedOffers else {
            return refuse(peer, .unverifiable, reason + ", offered again and again")
        }
        return [.log(peer: peer, "refused " + reason + "; nothing is stored", warning: true)]
    }

    /// Checkpoints signed beyond a revocation a peer may offer in one session before it is cut off.
    public static let maximumRevokedOffers = 16
}
