import TocsinCrypto

extension ConsultationMachine {
    /// The votes on `proposal` with the times the group's convener witnessed them, as far as
    /// this node's log shows.
    public func heldVotes(
        on proposal: EntryReference, convener: String, ledger: some ConsultationLedger
    ) -> [Tally.Vote] {
        let witness = WitnessName.of(node: convener, network: configuration.network)
        return book.votes(on: proposal).compactMap { item in
            guard let position = ConsultationTerms.position(item.payload.position),
                let origin = try? FeedOrigin(
                    network: configuration.network, group: item.reference.group, author: item.reference.author)
            else { return nil }
            let witnessed = ledger.witnessing(of: item.reference.index, in: origin, by: witness)
            return Tally.Vote(
                reference: item.reference, leafHash: item.leafHash, position: position,
                witnessedMs: witnessed?.milliseconds)
        }
    }

    /// What a convener-cosigned checkpoint a decision carries proves of an entry, as far as
    /// this node can tell now.
    public enum Proof: Hashable, Sendable {
        /// The convener witnessed the entry at this time (milliseconds since 1970).
        case proven(Int64)
        /// Signed as it must be, but for a size of the feed this node does not hold yet:
        /// nothing can be concluded before it does.
        case pending
        /// Absent, malformed, not signed by the author and cosigned by the convener, not
        /// including the entry, or not agreeing with the feed as this node holds it.
        case unproven

        /// The time proven, if any.
        public var milliseconds: Int64? {
            if case .proven(let milliseconds) = self { return milliseconds }
            return nil
        }
    }

    /// What a decision's `witnessed_checkpoint`s and `proposal_witnessed_checkpoint` prove.
    public struct Evidence: Sendable {
        /// The witnessed time each vote's checkpoint proves.
        public var proven: [EntryReference: Int64] = [:]
        /// Votes whose checkpoint is pending (`Proof.pending`).
        public var pending: Set<EntryReference> = []
        /// When the convener witnessed the proposal, from which deliberation runs.
        public var proposal: Proof = .unproven
    }

    /// The witnessed times a decision's checkpoints prove: each must parse, carry the author's
    /// signature and the convener's valid cosignature, include the entry, and agree with the
    /// entry's feed as this node holds it.
    public func evidence(
        for decision: Tocsin_V1_Decision, convener: String, ledger: some ConsultationLedger
    ) -> Evidence {
        var evidence = Evidence()
        for counted in decision.votes {
            let reference = ConsultationBook.reference(counted.vote)
            switch proof(counted.witnessedCheckpoint, of: reference, convener: convener, ledger: ledger) {
            case .proven(let milliseconds): evidence.proven[reference] = milliseconds
            case .pending: evidence.pending.insert(reference)
            case .unproven: break
            }
        }
        evidence.proposal = proof(
            decision.proposalWitnessedCheckpoint, of: ConsultationBook.reference(decision.proposal),
            convener: convener, ledger: ledger)
        return evidence
    }

    /// What `note` (a signed checkpoint note with cosignatures) proves of when `convener`
    /// witnessed the entry `reference`.
    func proof(
        _ note: String, of reference: EntryReference, convener: String, ledger: some ConsultationLedger
    ) -> Proof {
        guard !note.isEmpty, let authorKey = authorKeys(of: reference.author, group: reference.group),
            let origin = try? FeedOrigin(
                network: configuration.network, group: reference.group, author: reference.author),
            let checkpoint = try? SignedCheckpoint(parsing: Array(note.utf8)),
            checkpoint.checkpoint.origin == origin.description, reference.index < checkpoint.checkpoint.size,
            (try? checkpoint.verify(author: authorKey)) != nil,
            let cosignature = checkpoint.cosignatures.first(where: {
                $0.witnessName == WitnessName.of(node: convener, network: configuration.network)
            }),
            (try? cosignature.verify(checkpoint: checkpoint.checkpoint, anyOf: witnessKeys(of: convener))) != nil,
            let milliseconds = Witnessing.milliseconds(seconds: cosignature.timestamp)
        else { return .unproven }
        guard let root = ledger.root(of: origin, size: checkpoint.checkpoint.size) else {
            return ledger.isComplete ? .unproven : .pending
        }
        return root == checkpoint.checkpoint.root ? .proven(milliseconds) : .unproven
    }

    /// When the convener's time for `proposal` starts, from this node's view: the time the
    /// closing decision proves (the one every node audits by), else the convener's first
    /// cosignature of the proposal this node holds; nil when neither is known.
    func deliberationStartMs(of proposal: EntryReference, ledger: some ConsultationLedger) -> Int64? {
        guard let group = group(of: proposal) else { return nil }
        let closingEvidence = closingDecision(of: proposal).map {
            evidence(for: $0.payload, convener: group.convener, ledger: ledger)
        }
        return closingEvidence?.proposal.milliseconds
            ?? proposalWitnessing(of: proposal, ledger: ledger)?.milliseconds
    }

    /// When voting on `proposal` closes, from this node's view: the deadline its proposer
    /// wrote, or later when the group's deliberation time, counted from the convener's first
    /// witnessing, ends later. Nil while that witnessing is not known (deliberation has not
    /// started as far as this node knows), or for a proposal not held.
    public func closingMs(of proposal: EntryReference, ledger: some ConsultationLedger) -> Int64? {
        guard let held = book.proposals[proposal],
            let (rules, _, witnessed) = rules(of: held, witnessedMs: deliberationStartMs(of: proposal, ledger: ledger)),
            witnessed
        else { return nil }
        return rules.deadlineMs
    }

    /// Where `proposal` stands at `nowMs`, from this node's view: the votes it holds, with
    /// witnessing it saw cosigned or that the convener's decision proves. Once a decision that
    /// holds closed it, the standing is the one at that close (a vote witnessed after an
    /// early close changes nothing).
    ///
    /// Time in a consultation is the convener's: votes count by its cosignatures' timestamps,
    /// and it closes by its clock. So only the convener's own view closes at `nowMs`; any
    /// other node counts every vote witnessed by the deadline, whatever its own clock says, and
    /// calls the proposal closed only by the convener's decision. A member whose clock is off
    /// neither shows an outcome early nor leaves out a vote the convener witnessed in time.
    public func standing(
        of proposal: EntryReference, nowMs: Int64, ledger: some ConsultationLedger
    ) -> Tally.Standing? {
        guard let held = book.proposals[proposal], let group = group(of: proposal),
            let permissions = permissions(of: proposal)
        else { return nil }
        guard
            let (written, _, witnessed) = rules(
                of: held, witnessedMs: deliberationStartMs(of: proposal, ledger: ledger))
        else { return nil }
        // Deliberation not started as far as this node knows: the proposal does not close.
        let rules = witnessed ? written : written.deadline(atLeast: .max)
        var votes = heldVotes(on: proposal, convener: group.convener, ledger: ledger)
        for decision in book.decisions(on: proposal)
        where permissions.permits(decision.reference.author, .decide(group: proposal.group)) {
            let proven = evidence(for: decision.payload, convener: group.convener, ledger: ledger).proven
            votes = votes.map { vote in
                guard vote.witnessedMs == nil, let witnessed = proven[vote.reference] else { return vote }
                return Tally.Vote(
                    reference: vote.reference, leafHash: vote.leafHash, position: vote.position,
                    witnessedMs: witnessed)
            }
        }
        if let decision = closingDecision(of: proposal) {
            let closing = min(max(decision.payload.closedMs, 0), rules.deadlineMs)
            return Tally.standing(
                rules: rules, counted: Tally.counted(votes, rules: rules, closingMs: closing),
                closed: closing >= rules.deadlineMs)
        }
        guard permissions.permits(nodeID, .decide(group: proposal.group)) else {
            return Tally.standing(
                rules: rules, counted: Tally.counted(votes, rules: rules, closingMs: rules.deadlineMs), closed: false)
        }
        return Tally.standing(rules: rules, votes: votes, nowMs: nowMs)
    }

    /// The audit's verdict on each decision recorded on `proposal` (nil: not judged yet,
    /// waiting for the votes it lists; empty: it holds).
    public func verdicts(
        on proposal: EntryReference
    ) -> [(decision: EntryReference, findings: [DecisionAudit.Finding]?)] {
        book.decisions(on: proposal).map { ($0.reference, verdicts[$0.reference]) }
    }

    /// Whether a vote on `proposal` could still count: not once a decision that holds closed
    /// it (who may vote is `Permissions`). This node's clock refuses nothing: whether a vote
    /// came in time is the convener's witnessing, and a node whose clock runs ahead must not
    /// turn its members' votes away before the convener's deadline has come.
    public func voteVerdict(on proposal: EntryReference) -> Permissions.Verdict {
        if let decision = closingDecision(of: proposal) {
            return .refused(.decided(proposal: proposal, by: decision.reference))
        }
        return .permitted
    }

    /// The decision that closes `proposal`: the first one recorded that holds.
    public func closingDecision(of proposal: EntryReference) -> ConsultationBook.Item<Tocsin_V1_Decision>? {
        book.decisions(on: proposal).first { verdicts[$0.reference]?.isEmpty == true }
    }

    /// The keys that may sign `node`'s checkpoints in `group`: every key any version held gave
    /// it (a revoked key up to its limits).
    func authorKeys(of node: String, group: String) -> AuthorKeys? {
        guard let chain = configuration.chain else {
            return configuration.charter.node(node).map { AuthorKeys($0.publicKey) }
        }
        return chain.authorKeys(of: node, group: group, through: chain.latest.version)
    }

    /// The keys `node`'s cosignatures may be made with: its keys in every version held, but
    /// revoked ones.
    func witnessKeys(of node: String) -> [Ed25519PublicKey] {
        guard let chain = configuration.chain else {
            return configuration.charter.node(node).map { [$0.publicKey] } ?? []
        }
        return chain.witnessKeys(of: node, through: chain.latest.version)
    }
}
