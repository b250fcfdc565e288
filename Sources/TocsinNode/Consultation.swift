import Foundation
import Logging
import TocsinCore
import TocsinCrypto
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// The node's part in consultation: it reads every stored entry into a `ConsultationBook`,
/// acknowledges receipt of bulletins, and — where it convenes — records decisions; it audits
/// every decision it holds and tells its operator of those that do not hold.
///
/// Runs on its own queue, fed by the runtime's `stored` events; it appends through the
/// runtime like an operator would (never from the runtime's queue).
public final class Consultation: @unchecked Sendable {
    let runtime: NodeRuntime
    let logger: Logger
    let clock: @Sendable () -> Date
    /// After the deadline, how long the convener waits for votes witnessed just before it to
    /// be stored, before it records the decision.
    let deadlineGrace: TimeInterval
    let queue = DispatchQueue(label: "tocsin.node.consultation")
    private var book = ConsultationBook()
    private var processed: [FeedOrigin: UInt64] = [:]
    /// Bulletins this node still has to acknowledge as received.
    private var toAcknowledge: [EntryReference] = []
    private var findings: [EntryReference: [DecisionAudit.Finding]] = [:]
    private var timer: DispatchSourceTimer?

    public init(
        runtime: NodeRuntime, logger: Logger, deadlineGrace: TimeInterval = 2,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.runtime = runtime
        self.logger = logger
        self.deadlineGrace = deadlineGrace
        self.clock = clock
    }

    var charter: Charter { runtime.signedCharter.charter }
    var nodeID: String { runtime.nodeID }
    var nowMs: Int64 { Int64(clock().timeIntervalSince1970 * 1000) }

    /// Reads what is stored, then follows new entries; checks deadlines every second.
    public func start() {
        runtime.observe { [weak self] event in
            guard let self, case .stored(let origin, let size) = event else { return }
            queue.async {
                self.read(origin, upTo: size)
                self.tick()
            }
        }
        queue.async { [self] in
            for head in (try? runtime.store.heads()) ?? [] { read(head.origin, upTo: head.size, acknowledge: false) }
            // Bulletins stored while the node was down are acknowledged now.
            for bulletin in book.bulletins.values where needsAcknowledgement(bulletin.reference) {
                toAcknowledge.append(bulletin.reference)
            }
            // Reading the whole log left slack in the book and freed buffers behind.
            book.compact()
            runtime.store.releaseMemory()
            Self.releaseFreedMemory()
            tick()
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    /// glibc's `malloc_trim(0)` (not in Swift's Glibc module, so looked up by name).
    static func releaseFreedMemory() {
        #if canImport(Glibc)
            typealias Trim = @convention(c) (Int) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(symbol, to: Trim.self)(0)
            }
        #endif
    }

    public func stop() {
        timer?.cancel()
        timer = nil
    }

    /// Runs `body` with the book, on the consultation queue.
    public func read<Result>(_ body: (ConsultationBook) throws -> Result) rethrows -> Result {
        try queue.sync { try body(book) }
    }

    // MARK: - Following the log

    private func read(_ origin: FeedOrigin, upTo size: UInt64, acknowledge: Bool = true) {
        // In slices, so that a long feed read at start never sits in memory whole.
        while let from = Optional(processed[origin] ?? 0), size > from {
            let end = min(size, from + 1000)
            guard let entries = try? runtime.store.entries(of: origin, in: from..<end), !entries.isEmpty else { return }
            for entry in entries {
                book.add(reference: entry.reference, leafHash: entry.leafHash, bytes: entry.bytes)
                if acknowledge, needsAcknowledgement(entry.reference) { toAcknowledge.append(entry.reference) }
            }
            processed[origin] = from + UInt64(entries.count)
        }
    }

    /// A bulletin of another author, in a group this node is in, not yet acknowledged by it.
    private func needsAcknowledgement(_ reference: EntryReference) -> Bool {
        guard reference.author != nodeID, book.bulletins[reference] != nil,
            charter.group(reference.group)?.members.contains(nodeID) == true
        else { return false }
        return !book.acknowledgedReceipt(of: reference, by: nodeID)
    }

    private func tick() {
        acknowledgeReceipts()
        decideWhereConvening()
        auditDecisions()
    }

    private func acknowledgeReceipts() {
        let due = toAcknowledge.filter { needsAcknowledgement($0) }
        toAcknowledge = []
        guard !due.isEmpty else { return }
        let byGroup = Dictionary(grouping: due, by: \.group)
        for (group, references) in byGroup.sorted(by: { $0.key < $1.key }) {
            let entries = references.compactMap { reference in
                book.bulletins[reference].map {
                    ConsultationEntries.acknowledgement(
                        of: reference, leafHash: $0.leafHash, level: .received, authorTimeMs: nowMs)
                }
            }
            do {
                _ = try runtime.append(group: group, entries: entries)
            } catch {
                // Not yet allowed (the restore guard) or frozen: tried again on the next tick.
                toAcknowledge += references
                logger.debug("acknowledgement deferred", metadata: ["group": "\(group)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Proposals

    /// The votes on `proposal` with the times the group's convener witnessed them.
    func heldVotes(on proposal: EntryReference, convener: String) -> [Tally.Vote] {
        let witness = WitnessName.of(node: convener, network: runtime.store.networkID)
        return book.votes(on: proposal).compactMap { item in
            guard let position = ConsultationTerms.position(item.payload.position),
                let origin = try? FeedOrigin(
                    network: runtime.store.networkID, group: item.reference.group, author: item.reference.author)
            else { return nil }
            let witnessed = (try? runtime.store.witnessed(origin: origin, index: item.reference.index, by: witness))
                .flatMap { $0 }
            return Tally.Vote(
                reference: item.reference, leafHash: item.leafHash, position: position,
                witnessedMs: witnessed.map { Int64($0.timestamp) * 1000 })
        }
    }

    /// The rules of a held proposal under the charter in force.
    func rules(of proposal: ConsultationBook.Item<Tocsin_V1_Proposal>) -> (Tally.Rules, Charter.Group)? {
        // Charter updates as log entries are not built yet: the node's charter is the one in force.
        guard let group = charter.group(proposal.reference.group) else { return nil }
        return (Tally.Rules(proposal: proposal.payload, group: group, charter: charter), group)
    }

    /// Where `proposal` stands now, from this node's view.
    public func standing(of reference: EntryReference) -> Tally.Standing? {
        queue.sync {
            guard let proposal = book.proposals[reference], let (rules, group) = rules(of: proposal) else { return nil }
            var votes = heldVotes(on: reference, convener: group.convener)
            // The convener's decision proves witnessing this node may not have seen cosigned.
            for decision in book.decisions(on: reference) where decision.reference.author == group.convener {
                let proven = evidence(for: decision.payload, convener: group.convener)
                votes = votes.map { vote in
                    guard vote.witnessedMs == nil, let witnessed = proven[vote.reference] else { return vote }
                    return Tally.Vote(
                        reference: vote.reference, leafHash: vote.leafHash, position: vote.position,
                        witnessedMs: witnessed)
                }
            }
            return Tally.standing(rules: rules, votes: votes, nowMs: nowMs)
        }
    }

    /// Findings against the decisions on `proposal` (empty: they hold).
    public func findings(on proposal: EntryReference) -> [EntryReference: [DecisionAudit.Finding]] {
        queue.sync {
            Dictionary(
                uniqueKeysWithValues: book.decisions(on: proposal).map { ($0.reference, findings[$0.reference] ?? []) })
        }
    }

    private func decideWhereConvening() {
        let now = nowMs
        for proposal in book.proposals.values where charter.group(proposal.reference.group)?.convener == nodeID {
            guard book.decisions(on: proposal.reference).allSatisfy({ $0.reference.author != nodeID }),
                let (rules, _) = rules(of: proposal)
            else { continue }
            let votes = heldVotes(on: proposal.reference, convener: nodeID)
            guard
                let closing = Tally.closing(
                    rules: rules, votes: votes, nowMs: now, graceMs: Int64(deadlineGrace * 1000))
            else { continue }
            let outcome = closing.outcome
            var decision = Tocsin_V1_Decision()
            decision.proposal = ConsultationBook.message(proposal.reference, leafHash: proposal.leafHash)
            decision.outcome = ConsultationTerms.outcome(outcome)
            decision.closedMs = closing.closedMs
            decision.statement = closing.explanation
            let witness = WitnessName.of(node: nodeID, network: runtime.store.networkID)
            for vote in closing.counted {
                guard
                    let origin = try? FeedOrigin(
                        network: runtime.store.networkID, group: vote.reference.group, author: vote.voter),
                    let witnessed = try? runtime.store.witnessed(
                        origin: origin, index: vote.reference.index, by: witness)
                else { continue }
                decision.votes.append(
                    .with {
                        $0.vote = ConsultationBook.message(vote.reference, leafHash: vote.leafHash)
                        $0.position = ConsultationTerms.positions[vote.position.rawValue]!
                        $0.witnessedCheckpoint = witnessed.checkpoint.note.formatted
                    })
            }
            do {
                let batch = try runtime.append(
                    group: proposal.reference.group,
                    entries: [ConsultationEntries.decision(decision, authorTimeMs: now)])
                logger.notice(
                    "decision recorded",
                    metadata: [
                        "proposal": "\(proposal.reference)", "outcome": "\(outcome.rawValue)",
                        "decision": "\(proposal.reference.group)/\(nodeID)/\(batch.firstIndex)",
                    ])
                // Read back at once so the next tick does not decide twice.
                read(batch.origin, upTo: batch.frontier.size, acknowledge: false)
            } catch {
                logger.debug("decision deferred", metadata: ["proposal": "\(proposal.reference)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Auditing

    private func auditDecisions() {
        for (proposalReference, decisions) in book.decisions
        where decisions.contains(where: { findings[$0.reference] == nil }) {
            guard let proposal = book.proposals[proposalReference], let (rules, group) = rules(of: proposal) else {
                continue
            }
            let votes = heldVotes(on: proposalReference, convener: group.convener)
            for decision in decisions where findings[decision.reference] == nil {
                let evidence = self.evidence(for: decision.payload, convener: group.convener)
                let found = DecisionAudit.findings(
                    decision: decision, proposal: proposalReference, rules: rules, convener: group.convener,
                    heldVotes: votes, evidence: evidence)
                // A listed vote not held yet may still arrive: judge once every one is held.
                let missing = decision.payload.votes.contains { counted in
                    !votes.contains { $0.reference == ConsultationBook.reference(counted.vote) }
                }
                if missing && decision.reference.author == group.convener { continue }
                findings[decision.reference] = found
                if found.isEmpty {
                    logger.info(
                        "decision verified",
                        metadata: ["decision": "\(decision.reference)", "proposal": "\(proposalReference)"])
                } else {
                    logger.warning(
                        "decision does not hold",
                        metadata: [
                            "decision": "\(decision.reference)", "proposal": "\(proposalReference)",
                            "findings": "\(found.map(\.text).joined(separator: "; "))",
                        ])
                }
            }
        }
    }

    /// The witnessed times the decision's `witnessed_checkpoint`s prove: each must parse,
    /// carry the author's signature and the convener's valid cosignature, include the vote,
    /// and agree with the voter's feed as this node holds it.
    func evidence(for decision: Tocsin_V1_Decision, convener: String) -> [EntryReference: Int64] {
        guard let convenerKey = charter.node(convener)?.publicKey else { return [:] }
        let witness = WitnessName.of(node: convener, network: runtime.store.networkID)
        var proven: [EntryReference: Int64] = [:]
        for counted in decision.votes {
            let reference = ConsultationBook.reference(counted.vote)
            guard let authorKey = charter.node(reference.author)?.publicKey,
                let origin = try? FeedOrigin(
                    network: runtime.store.networkID, group: reference.group, author: reference.author),
                let checkpoint = try? SignedCheckpoint(parsing: Array(counted.witnessedCheckpoint.utf8)),
                checkpoint.checkpoint.origin == origin.description, reference.index < checkpoint.checkpoint.size,
                (try? checkpoint.verify(author: authorKey)) != nil,
                let cosignature = checkpoint.cosignatures.first(where: { $0.witnessName == witness }),
                (try? cosignature.verify(checkpoint: checkpoint.checkpoint, publicKey: convenerKey)) != nil,
                let root = try? runtime.store.withProofs(
                    origin: origin,
                    { proofs, head in
                        checkpoint.checkpoint.size <= head.size
                            ? try proofs.root(size: checkpoint.checkpoint.size) : nil
                    }), root == checkpoint.checkpoint.root
            else { continue }
            proven[reference] = Int64(cosignature.timestamp) * 1000
        }
        return proven
    }
}
