import TocsinCrypto

/// A node's part in consultation, as a pure state machine (as `SyncNode` is for replication).
///
/// It is given every entry the node stores, and the time; it answers with actions: append
/// these entries to this node's feed (acknowledgements of receipt; where this node convenes,
/// decisions), tell the operator this (a decision recorded, verified or flagged). The node
/// carries the actions out and reports back how each append ended.
///
/// - Receipt: every bulletin of another author in a group this node may acknowledge in is
///   acknowledged as received, once, whether it arrived while the node ran or while it was
///   down.
/// - Convening: for each open proposal of a group this node convenes, `Tally.closing`
///   decides when to record the decision and what it says.
/// - Audit: every decision held is judged by `DecisionAudit` once the votes it lists are
///   held; the verdict is kept and logged.
///
/// What it needs of the log beyond the entries (witnessing, roots) it reads through a
/// `ConsultationLedger` passed to each call that needs it.
public struct ConsultationMachine: Sendable {
    public struct Configuration: Sendable {
        public let nodeID: String
        public let network: NetworkID
        /// The charter in force.
        public let charter: Charter
        /// After a deadline, how long the convener waits for votes witnessed just before it
        /// to be stored, before it records the decision.
        public let deadlineGraceMs: Int64

        /// Every version of the charter held (nil: `charter` is the only one): each proposal
        /// is judged under the version it names.
        public let chain: CharterChain?

        /// Verifies the dossier a referral carries for the decision it names (PROTOCOL.md §11)
        /// and gives the decision and proposal it proves, or why it does not hold. The dossier
        /// is read outside TocsinCore, so the node hands the check in; without one, a referral
        /// is judged only where its decision is held, and its dossier is not checked.
        public let referralDossierCheck: ReferralDossierCheck?

        public init(
            nodeID: String, network: NetworkID, charter: Charter, deadlineGraceMs: Int64 = 2000,
            chain: CharterChain? = nil,
            referralDossierCheck: ReferralDossierCheck? = nil
        ) {
            self.nodeID = nodeID
            self.network = network
            self.charter = charter
            self.deadlineGraceMs = deadlineGraceMs
            self.chain = chain
            self.referralDossierCheck = referralDossierCheck
        }
    }

    /// See `Configuration.referralDossierCheck`.
    /// The dossier is judged against `chain`, the charter versions the node holds: a dossier
    /// signed by another authority, or naming a version the node does not hold, proves nothing.
    public typealias ReferralDossierCheck =
        @Sendable (_ dossier: [UInt8], _ decision: EntryReference, _ chain: CharterChain?) -> Result<
            ReferredDecision, ReferralDossierFailure
        >

    /// What a verified dossier proves of a referred decision: the decision, the proposal it
    /// decides, and whether the dossier's own audit found that it holds.
    public struct ReferredDecision: Sendable {
        public let decision: ConsultationBook.Item<Tocsin_V1_Decision>
        public let proposal: ConsultationBook.Item<Tocsin_V1_Proposal>
        public let holds: Bool

        public init(
            decision: ConsultationBook.Item<Tocsin_V1_Decision>, proposal: ConsultationBook.Item<Tocsin_V1_Proposal>,
            holds: Bool
        ) {
            self.decision = decision
            self.proposal = proposal
            self.holds = holds
        }
    }

    /// Why a referral's dossier does not hold.
    public struct ReferralDossierFailure: Error, Sendable {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
    }

    /// Why the machine asked for an append; reported back with the append's result.
    public enum Purpose: Hashable, Sendable, CustomStringConvertible {
        /// Acknowledgements of receipt of these bulletins.
        case acknowledgeReceipt([EntryReference])
        /// The decision on `proposal`, with the outcome it records.
        case recordDecision(proposal: EntryReference, outcome: Tally.Outcome)
        /// The referral of this node's decision `decision` (the node wrote the entry, with
        /// the decision's dossier, after a `refer` action).
        case refer(decision: EntryReference)

        public var description: String {
            switch self {
            case .acknowledgeReceipt(let bulletins):
                return "acknowledge receipt of \(bulletins.map(\.description).joined(separator: ", "))"
            case .recordDecision(let proposal, let outcome):
                return "record the decision on \(proposal) (\(outcome.rawValue))"
            case .refer(let decision):
                return "refer the decision \(decision)"
            }
        }
    }

    /// A line for the operator's log.
    public struct LogLine: Hashable, Sendable, CustomStringConvertible {
        public enum Level: String, Hashable, Sendable {
            case debug, info, notice, warning
        }

        public let level: Level
        public let message: String
        /// Sorted by key when printed.
        public let metadata: [String: String]

        public init(_ level: Level, _ message: String, _ metadata: [String: String] = [:]) {
            self.level = level
            self.message = message
            self.metadata = metadata
        }

        public var description: String {
            ([level.rawValue + ": " + message] + metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" })
                .joined(separator: " ")
        }
    }

    /// What the node must do, in order.
    public enum Action: Hashable, Sendable {
        /// Append `entries` to this node's feed in `group`; report the result with
        /// `appended(_:first:)` or `appendFailed(_:reason:)`.
        case append(group: String, entries: [[UInt8]], purpose: Purpose)
        /// Write a line to the operator's log.
        case log(LogLine)
        /// Export the dossier of this node's `decision` and append, in `group`, a referral of
        /// it to `observers` (`ConsultationEntries.referral`); report the result as for an
        /// append, with the purpose `refer(decision:)`.
        case refer(decision: EntryReference, leafHash: SHA256Digest, group: String, observers: [String])
    }

    public private(set) var configuration: Configuration
    public private(set) var permissions: Permissions
    /// Everything interpreted so far.
    public private(set) var book = ConsultationBook()
    /// Bulletins to acknowledge as received, in the order they were stored.
    var receiptsDue: [EntryReference] = []
    var receiptsQueued: Set<EntryReference> = []
    /// Proposals whose decision this node has asked to append and not yet read back.
    var deciding: Set<EntryReference> = []
    /// The audit's verdict on each decision judged (empty: it holds).
    public private(set) var verdicts: [EntryReference: [DecisionAudit.Finding]] = [:] {
        didSet { judgements &+= 1 }
    }
    /// The verdict on each referral judged (empty: it counts), by the referral.
    public internal(set) var referralVerdicts: [EntryReference: [String]] = [:] {
        didSet { judgements &+= 1 }
    }
    /// How many verdicts (on decisions and referrals) have been reached: a tick changes what
    /// a node shows without reading an entry, and whatever follows the consultation follows
    /// this too.
    public private(set) var judgements: UInt64 = 0
    /// Decisions of this node whose referral it has asked for and not yet read back, or
    /// could not make (not asked again until the node restarts).
    var referring: Set<EntryReference> = []
    /// Referrals addressed to this node to acknowledge as received.
    var referralReceiptsDue: [EntryReference] = []
    /// Referrals put off (an entry of the dossier not yet witnessed): when to try again (nil:
    /// ten seconds after the next tick).
    var referralRetryAtMs: [EntryReference: Int64?] = [:]
    static let referralRetryDelayMs: Int64 = 10_000
    /// Proposals naming a charter version this node does not hold yet: judged once it does
    /// (bounded: a peer cannot make the node keep more).
    var awaitingCharter: [(reference: EntryReference, leafHash: SHA256Digest, bytes: [UInt8])] = []
    static let maximumAwaitingCharter = 1_000
    static let maximumAwaitingPerAuthor = 16
    static let maximumVersionsAhead: UInt64 = 16

    public init(configuration: Configuration) {
        self.configuration = configuration
        permissions = Permissions(charter: configuration.charter)
    }

    var nodeID: String { configuration.nodeID }

    /// The versions of the charter held changed (an amendment was stored), or one took
    /// effect: new bulletins, acknowledgements and proposals are judged under `charter`, each
    /// proposal under the version it names, from `chain`.
    public mutating func adopt(_ charter: Charter, chain: CharterChain?) {
        let versionsHeld = configuration.chain?.versions.count ?? 1
        configuration = Configuration(
            nodeID: configuration.nodeID, network: configuration.network, charter: charter,
            deadlineGraceMs: configuration.deadlineGraceMs, chain: chain ?? configuration.chain,
            referralDossierCheck: configuration.referralDossierCheck)
        permissions = Permissions(charter: charter)
        // A referral refused for naming a version (or a convener) this node did not hold yet
        // is judged again under the longer chain, with every other referral of its decision:
        // which of them counts (the first, in the order stored) is then what a node starting
        // with this chain finds.
        if (configuration.chain?.versions.count ?? 1) > versionsHeld {
            let judgedAgain = book.referrals.filter { _, referrals in
                referrals.contains { referralVerdicts[$0.reference]?.isEmpty == false }
            }.values.joined().map(\.reference)
            for referral in judgedAgain { referralVerdicts[referral] = nil }
        }
        let waiting = awaitingCharter
        awaitingCharter = []
        for proposal in waiting {
            stored(reference: proposal.reference, leafHash: proposal.leafHash, bytes: proposal.bytes)
        }
    }

    /// How far a proposal's own time may be from an amendment's taking effect and still name
    /// the version before it (clocks differ by this much at most, as cosignatures allow).
    public static let charterVersionSkewMs: Int64 = 300_000

    /// The charter a proposal is judged under: the version it names, if that version was in
    /// force at the proposal's own time (within `charterVersionSkewMs` of a change), else none:
    /// the proposal is void. A proposal naming none is judged under the version in force at its
    /// own time.
    public func charter(ofProposal proposal: Tocsin_V1_Proposal, authorTimeMs: Int64) -> Charter? {
        guard let chain = configuration.chain else {
            return proposal.charterVersion == 0 || proposal.charterVersion == configuration.charter.version
                ? configuration.charter : nil
        }
        guard proposal.charterVersion != 0 else { return chain.inForce(atMs: authorTimeMs).charter }
        guard let position = chain.versions.firstIndex(where: { $0.version == proposal.charterVersion }) else {
            return nil
        }
        let named = chain.versions[position]
        let (latest, overflow) = authorTimeMs.addingReportingOverflow(Self.charterVersionSkewMs)
        guard named.takesEffectMs <= (overflow ? .max : latest) else { return nil }
        if position + 1 < chain.versions.count {
            let next = chain.versions[position + 1]
            guard next.takesEffectMs > authorTimeMs &- Self.charterVersionSkewMs else { return nil }
        }
        return named.charter
    }

    /// When the version a proposal names was in force, if a later version held replaced it
    /// (nil: it names none, or the latest).
    func versionWindow(of proposal: Tocsin_V1_Proposal) -> (from: Int64, until: Int64)? {
        guard proposal.charterVersion != 0, let chain = configuration.chain,
            let position = chain.versions.firstIndex(where: { $0.version == proposal.charterVersion }),
            position + 1 < chain.versions.count
        else { return nil }
        return (chain.versions[position].takesEffectMs, chain.versions[position + 1].takesEffectMs)
    }

    /// The charter a held proposal is judged under (the charter in force for one not held).
    public func charter(of proposal: EntryReference) -> Charter? {
        guard let held = book.proposals[proposal] else { return configuration.charter }
        return charter(ofProposal: held.payload, authorTimeMs: held.authorTimeMs)
    }

    /// Who may do what on `proposal`, under the charter it is judged under (nil: it is void).
    func permissions(of proposal: EntryReference) -> Permissions? {
        charter(of: proposal).map(Permissions.init)
    }

    /// Who may do what under the version in force at `milliseconds` (the charter in force when
    /// there is no chain).
    func permissions(atMs milliseconds: Int64) -> Permissions {
        guard let chain = configuration.chain else { return permissions }
        return Permissions(charter: chain.inForce(atMs: milliseconds).charter)
    }

    /// The group of `proposal` under the charter it is judged under.
    public func group(of proposal: EntryReference) -> Charter.Group? {
        charter(of: proposal)?.group(proposal.group)
    }

    // MARK: - Inputs

    /// An entry the node stored (its own included), in feed order per feed.
    public mutating func stored(reference: EntryReference, leafHash: SHA256Digest, bytes: [UInt8]) {
        guard let entry = try? EntryDecoder.decode(bytes) else { return }
        stored(reference: reference, leafHash: leafHash, entry: entry, bytes: bytes)
    }

    /// An entry the node stored, with `entry` decoded from `bytes` and checked by
    /// `EntryDecoder` (as a verified `FeedBatch` carries it).
    public mutating func stored(
        reference: EntryReference, leafHash: SHA256Digest, entry: Tocsin_V1_Entry, bytes: [UInt8]
    ) {
        // Bulletins count only from those who may issue them, proposals only when they may be
        // tabled (`Permissions.tabling`: a void proposal is decided by no one); votes and
        // decisions are kept whoever wrote them, for the tally and the audit to judge.
        switch entry.payload {
        // A bulletin is judged under the version in force at its own time: the same before and
        // after a restart, whatever amendments took effect since.
        case .bulletin
        where !permissions(atMs: entry.authorTimeMs).permits(reference.author, .issue(group: reference.group)):
            return
        case .proposal(let proposal)
        where proposal.charterVersion > (configuration.chain?.latest.version ?? configuration.charter.version):
            // Kept only from a member that may propose now, naming a version that can be close,
            // a few per author: no one can crowd out the others' proposals.
            let latest = configuration.chain?.latest.version ?? configuration.charter.version
            if proposal.charterVersion <= latest &+ Self.maximumVersionsAhead,
                permissions.permits(reference.author, .propose(group: reference.group)),
                awaitingCharter.count < Self.maximumAwaitingCharter,
                awaitingCharter.filter({ $0.reference.author == reference.author }).count
                    < Self.maximumAwaitingPerAuthor
            {
                awaitingCharter.append((reference, leafHash, bytes))
            }
            return
        case .proposal(let proposal)
        where
            !(charter(ofProposal: proposal, authorTimeMs: entry.authorTimeMs).map {
                Permissions(charter: $0).tabling(
                    proposal, by: reference.author, authorTimeMs: entry.authorTimeMs, in: reference.group
                ).isPermitted
            } ?? false):
            return
        default:
            break
        }
        book.add(reference: reference, leafHash: leafHash, entry: entry)
        switch entry.payload {
        case .bulletin:
            if needsReceipt(reference), receiptsQueued.insert(reference).inserted { receiptsDue.append(reference) }
        case .decision(let decision) where reference.author == nodeID:
            deciding.remove(ConsultationBook.reference(decision.proposal))
        default:
            break
        }
    }

    /// Trims the book after a long read (at start): lists grown by appending hold up to twice
    /// the room they need.
    public mutating func compact() {
        book.compact()
        receiptsDue.reserveCapacity(receiptsDue.count)
    }

    /// The time is `nowMs`: acknowledge what is due, decide where convening, audit.
    public mutating func tick(nowMs: Int64, ledger: some ConsultationLedger) -> [Action] {
        acknowledgeReceipts(nowMs: nowMs) + decideWhereConvening(nowMs: nowMs, ledger: ledger)
            + auditDecisions(ledger: ledger) + judgeReferrals(nowMs: nowMs)
            + referWhereConvening(nowMs: nowMs, ledger: ledger)
    }

    /// An append the machine asked for is durable; its first entry is `first`.
    public mutating func appended(_ purpose: Purpose, first: EntryReference) -> [Action] {
        switch purpose {
        case .acknowledgeReceipt:
            return []
        case .recordDecision(let proposal, let outcome):
            return [
                .log(
                    LogLine(
                        .notice, "decision recorded",
                        ["proposal": "\(proposal)", "outcome": outcome.rawValue, "decision": "\(first)"]))
            ]
        case .refer(let decision):
            return [.log(LogLine(.notice, "referral recorded", ["decision": "\(decision)", "referral": "\(first)"]))]
        }
    }

    /// An append the machine asked for was not made (the restore guard, a frozen feed, a
    /// store failure): it is asked for again at a later tick.
    public mutating func appendFailed(_ purpose: Purpose, reason: String) -> [Action] {
        switch purpose {
        case .acknowledgeReceipt(let bulletins):
            for bulletin in bulletins where receiptsQueued.insert(bulletin).inserted { receiptsDue.append(bulletin) }
            return [.log(LogLine(.debug, "acknowledgement deferred", ["error": reason]))]
        case .recordDecision(let proposal, _):
            deciding.remove(proposal)
            return [.log(LogLine(.debug, "decision deferred", ["proposal": "\(proposal)", "error": reason]))]
        case .refer(let decision):
            // Not asked again until the node restarts: a dossier too large for an entry stays so.
            return [
                .log(
                    LogLine(
                        .warning, "referral not recorded",
                        [
                            "decision": "\(decision)", "error": reason,
                            "hint":
                                "export the dossier with `tocsin dossier export` and send it to the observers by other means",
                        ]))
            ]
        }
    }

    // MARK: - Receipts

    /// A bulletin (an alert, update or cancel) this node must acknowledge and has not.
    func needsReceipt(_ reference: EntryReference) -> Bool {
        guard book.bulletins[reference] != nil,
            permissions.permits(nodeID, .acknowledge(bulletin: reference, group: reference.group))
        else { return false }
        return !book.acknowledgedReceipt(of: reference, by: nodeID)
    }

    mutating func acknowledgeReceipts(nowMs: Int64) -> [Action] {
        let due = receiptsDue.filter { needsReceipt($0) }
        receiptsDue = []
        receiptsQueued = []
        guard !due.isEmpty else { return [] }
        let byGroup = Dictionary(grouping: due, by: \.group)
        return byGroup.keys.sorted().map { group in
            let references = byGroup[group]!
            let entries = references.compactMap { reference in
                book.bulletins[reference].map {
                    ConsultationEntries.acknowledgement(
                        of: reference, leafHash: $0.leafHash, level: .received, authorTimeMs: nowMs)
                }
            }
            return .append(group: group, entries: entries, purpose: .acknowledgeReceipt(references))
        }
    }

    // MARK: - Convening

    /// The rules of a held proposal under the charter in force, with its group, given when the
    /// group's convener first witnessed it (`witnessedMs`; nil when not known).
    ///
    /// Time is the convener's, for deliberation too: the deadline is no earlier than the
    /// convener's first cosignature of the proposal plus the group's `deliberation-minutes`,
    /// so a proposer who dates its proposal in the past gains nothing. Without that time (and
    /// when the group asks for deliberation), `witnessed` is false and the proposal cannot be
    /// decided yet. The convener takes the time from its own log and writes the checkpoint it
    /// took it from into its decision; every other node audits the decision by that checkpoint,
    /// not by whichever cosignatures it happens to hold, so that all judge by the same time.
    func rules(
        of proposal: ConsultationBook.Item<Tocsin_V1_Proposal>, witnessedMs: Int64?
    ) -> (rules: Tally.Rules, group: Charter.Group, witnessed: Bool)? {
        guard let charter = charter(ofProposal: proposal.payload, authorTimeMs: proposal.authorTimeMs),
            let group = charter.group(proposal.reference.group)
        else { return nil }
        let rules = Tally.Rules(proposal: proposal.payload, group: group, charter: charter)
        // A proposal naming a version a later one has replaced: its own time, which its author
        // writes, proves nothing (a backdated proposal would choose an older charter). The
        // convener's first witnessing must fall while that version was in force.
        if let window = versionWindow(of: proposal.payload) {
            guard let witnessedMs else { return (rules, group, false) }
            guard witnessedMs >= window.from &- Self.charterVersionSkewMs,
                witnessedMs <= window.until &+ Self.charterVersionSkewMs
            else { return nil }
        }
        guard group.deliberationMinutes > 0 else { return (rules, group, true) }
        guard let witnessedMs else { return (rules, group, false) }
        let (earliest, overflow) = witnessedMs.addingReportingOverflow(Int64(group.deliberationMinutes) * 60_000)
        return (rules.deadline(atLeast: overflow ? .max : earliest), group, true)
    }

    /// The convener's first cosignature of a checkpoint that includes `proposal`, as this
    /// node's log shows it.
    func proposalWitnessing(
        of proposal: EntryReference, ledger: some ConsultationLedger
    ) -> Witnessing? {
        guard let group = group(of: proposal),
            let origin = try? FeedOrigin(network: configuration.network, group: proposal.group, author: proposal.author)
        else { return nil }
        return ledger.witnessing(
            of: proposal.index, in: origin, by: WitnessName.of(node: group.convener, network: configuration.network))
    }

    mutating func decideWhereConvening(nowMs: Int64, ledger: some ConsultationLedger) -> [Action] {
        var actions: [Action] = []
        for reference in book.proposals.keys.sorted()
        where permissions(of: reference)?.permits(nodeID, .decide(group: reference.group)) == true
            && !deciding.contains(reference)
        {
            let proposal = book.proposals[reference]!
            let proposalWitnessing = proposalWitnessing(of: reference, ledger: ledger)
            guard book.decisions(on: reference).allSatisfy({ $0.reference.author != nodeID }),
                let (rules, group, witnessed) = rules(of: proposal, witnessedMs: proposalWitnessing?.milliseconds),
                witnessed
            else { continue }
            let votes = heldVotes(on: reference, convener: nodeID, ledger: ledger)
            guard
                let closing = Tally.closing(
                    rules: rules, votes: votes, nowMs: nowMs, graceMs: configuration.deadlineGraceMs)
            else { continue }
            var decision = Tocsin_V1_Decision()
            decision.proposal = ConsultationBook.message(reference, leafHash: proposal.leafHash)
            decision.outcome = ConsultationTerms.outcome(closing.outcome)
            decision.closedMs = closing.closedMs
            decision.statement = closing.explanation
            // Cited whenever the proposal names a version: once a later one exists, every node
            // judges by this witnessing that the version was in force.
            if group.deliberationMinutes > 0 || proposal.payload.charterVersion != 0, let proposalWitnessing {
                decision.proposalWitnessedCheckpoint = proposalWitnessing.checkpoint.note.formatted
            }
            let witness = WitnessName.of(node: nodeID, network: configuration.network)
            for vote in closing.counted {
                guard
                    let origin = try? FeedOrigin(
                        network: configuration.network, group: reference.group, author: vote.voter),
                    let witnessing = ledger.witnessing(of: vote.reference.index, in: origin, by: witness)
                else { continue }
                decision.votes.append(
                    .with {
                        $0.vote = ConsultationBook.message(vote.reference, leafHash: vote.leafHash)
                        $0.position = ConsultationTerms.position(vote.position)
                        $0.witnessedCheckpoint = witnessing.checkpoint.note.formatted
                    })
            }
            deciding.insert(reference)
            actions.append(
                .append(
                    group: reference.group, entries: [ConsultationEntries.decision(decision, authorTimeMs: nowMs)],
                    purpose: .recordDecision(proposal: reference, outcome: closing.outcome)))
        }
        return actions
    }

    // MARK: - Audit

    /// Flags decisions on a proposal that is void (decided by no one).
    mutating func flagVoid(
        _ decisions: [ConsultationBook.Item<Tocsin_V1_Decision>], on proposal: EntryReference
    ) -> [Action] {
        var actions: [Action] = []
        for decision in decisions where verdicts[decision.reference] == nil {
            let finding = DecisionAudit.Finding(
                text:
                    "decides \(proposal), which is void under the charter version it names (no one decides a void proposal)"
            )
            verdicts[decision.reference] = [finding]
            actions.append(
                .log(
                    LogLine(
                        .warning, "decision does not hold",
                        [
                            "decision": "\(decision.reference)", "proposal": "\(proposal)",
                            "findings": finding.text,
                        ])))
        }
        return actions
    }

    mutating func auditDecisions(ledger: some ConsultationLedger) -> [Action] {
        var actions: [Action] = []
        for proposalReference in book.decisions.keys.sorted() {
            let decisions = book.decisions(on: proposalReference)
            guard decisions.contains(where: { verdicts[$0.reference] == nil }),
                let proposal = book.proposals[proposalReference]
            else { continue }
            guard let group = group(of: proposalReference), let permissions = permissions(of: proposalReference) else {
                actions += flagVoid(decisions, on: proposalReference)
                continue
            }
            let votes = heldVotes(on: proposalReference, convener: group.convener, ledger: ledger)
            for decision in decisions where verdicts[decision.reference] == nil {
                let evidence = evidence(for: decision.payload, convener: group.convener, ledger: ledger)
                guard let (rules, _, witnessed) = rules(of: proposal, witnessedMs: evidence.proposal.milliseconds)
                else {
                    // The convener's first witnessing, as the decision proves it, falls outside the
                    // time the charter version the proposal names was in force: it is void.
                    actions += flagVoid([decision], on: proposalReference)
                    continue
                }
                // A listed vote not held yet, or a witnessing checkpoint beyond what this node
                // holds of the voter's or the proposer's feed, may still arrive: judge once
                // everything is held.
                let missing = decision.payload.votes.contains { counted in
                    !votes.contains { $0.reference == ConsultationBook.reference(counted.vote) }
                }
                if (missing || !evidence.pending.isEmpty || evidence.proposal == .pending)
                    && permissions.permits(decision.reference.author, .decide(group: proposalReference.group))
                {
                    continue
                }
                let found = DecisionAudit.findings(
                    decision: decision, proposal: proposalReference, rules: rules, permissions: permissions,
                    heldVotes: votes, evidence: evidence.proven, deliberationStartProven: witnessed)
                verdicts[decision.reference] = found
                let metadata = ["decision": "\(decision.reference)", "proposal": "\(proposalReference)"]
                if found.isEmpty {
                    actions.append(.log(LogLine(.info, "decision verified", metadata)))
                } else {
                    actions.append(
                        .log(
                            LogLine(
                                .warning, "decision does not hold",
                                metadata.merging(["findings": found.map(\.text).joined(separator: "; ")]) { a, _ in a })
                        ))
                }
            }
        }
        return actions
    }
}
