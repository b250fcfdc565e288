import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinMetrics

extension ConsultationService {
    // MARK: - Writing

    /// Tables a proposal in a group this node is a member of.
    public func propose(_ request: ProposalRequest) async throws -> Created {
        let now = nowMs
        let entry: [UInt8] = try await onQueue { [self] in
            try checkStarted()
            let group = request.group
            var resolved: [(EntryReference, SHA256Digest)] = []
            for text in request.draft.bulletins ?? [] {
                let (reference, leafHash, entry) = try held(text, field: "bulletins")
                guard case .bulletin = entry.payload else {
                    throw ServiceError(.invalid(field: "bulletins"), "bulletins: \(reference) is not a bulletin")
                }
                resolved.append((reference, leafHash))
            }
            // Judged under the charter in force now, whatever amendments follow: it says which.
            let charter = runtime.charter
            var proposal = try request.draft.proposal(group: group, bulletins: resolved, nowMs: now)
            proposal.charterVersion = charter.version
            if case .refused(let refusal) = Permissions(charter: charter).tabling(
                proposal, by: nodeID, authorTimeMs: now, in: group)
            {
                switch refusal {
                case .laxerPolicy: throw ServiceError(.invalid(field: "policy"), refusal.description)
                case .quorum: throw ServiceError(.invalid(field: "quorum_percent"), refusal.description)
                case .deliberation, .deadline: throw ServiceError(.invalid(field: "deadline"), refusal.description)
                default: throw ServiceError(.refused, refusal.description)
                }
            }
            return ConsultationEntries.proposal(proposal, authorTimeMs: now)
        }
        return Created(reference: try await author(entry, in: request.group).description)
    }

    /// This node's vote on an open proposal of its group.
    public func vote(_ request: VoteRequest) async throws -> Created {
        let now = nowMs
        let (group, entry): (String, [UInt8]) = try await onQueue { [self] in
            try checkStarted()
            let position = try ConsultationTerms.value(
                request.position, in: ConsultationTerms.positions, field: "position")
            let (reference, leafHash, entry) = try held(request.proposal, field: "proposal")
            guard case .proposal = entry.payload else {
                throw ServiceError(.invalid(field: "proposal"), "proposal: \(reference) is not a proposal")
            }
            // The voters are those of the charter the proposal is judged under.
            let charter = machine.charter(of: reference) ?? runtime.charter
            try refuse(Permissions(charter: charter).verdict(nodeID, .vote(group: reference.group)))
            try refuse(machine.voteVerdict(on: reference), as: .conflict)
            return (
                reference.group,
                try ConsultationEntries.vote(
                    on: reference, leafHash: leafHash, position: position, statement: request.statement ?? "",
                    authorTimeMs: now)
            )
        }
        return Created(reference: try await author(entry, in: group).description)
    }

    // MARK: - Reading

    /// Every proposal: open ones first, by priority, then deadline; decided ones after.
    public func proposals() async throws -> [ProposalSummary] {
        let now = nowMs
        return try await onQueue { [self] in
            try checkStarted()
            return machine.book.proposals.keys.compactMap { summary(ofProposal: $0, nowMs: now) }.sorted {
                rank($0) < rank($1)
            }
        }
    }

    /// One proposal with its votes.
    public func proposal(_ reference: EntryReference) async throws -> ProposalDetail {
        let now = nowMs
        let found = try await onQueue { [self] in
            try checkStarted()
            return detail(ofProposal: reference, nowMs: now)
        }
        guard let found else { throw ServiceError(.notFound, "no proposal \(reference) is held here") }
        return found
    }

    func rank(_ summary: ProposalSummary) -> ProposalRank {
        ProposalRank(
            isOpen: summary.state == "open", priority: ConsultationTerms.priorities[summary.priority] ?? .normal,
            deadlineMs: summary.deadlineMs, reference: summary.reference)
    }

    /// On the queue.
    func summary(ofProposal reference: EntryReference, nowMs: Int64) -> ProposalSummary? {
        guard let item = machine.book.proposals[reference],
            let standing = machine.standing(of: reference, nowMs: nowMs, ledger: store)
        else { return nil }
        let group = machine.group(of: reference)
        let verdicts = Dictionary(
            machine.verdicts(on: reference).map { ($0.decision, $0.findings) }, uniquingKeysWith: { first, _ in first })
        let charter = runtime.charter
        let decisions = machine.book.decisions(on: reference).map { decision in
            let findings = verdicts[decision.reference] ?? nil
            let witnessing = WitnessStatus(
                entry: decision.reference, ledger: store, charter: charter, network: store.networkID)
            return ProposalSummary.Decision(
                reference: decision.reference.description, author: decision.reference.author,
                outcome: ConsultationTerms.name(decision.payload.outcome, in: ConsultationTerms.outcomes),
                closedMs: decision.payload.closedMs,
                counted: decision.payload.votes.map { ConsultationBook.reference($0.vote).description },
                holds: findings.map(\.isEmpty), findings: (findings ?? []).map(\.text),
                witnessed: witnessing?.isWitnessed ?? false, witnessedBy: witnessing?.cosigned ?? [],
                witnessesNeeded: witnessing?.policy.quorum ?? 0)
        }
        let state = machine.closingDecision(of: reference).map {
            ConsultationTerms.name($0.payload.outcome, in: ConsultationTerms.outcomes)
        }
        let policy = ConsultationTerms.policy(item.payload.policy) ?? group?.policy ?? .majority
        return ProposalSummary(
            reference: reference.description, group: reference.group, author: reference.author,
            title: item.payload.title,
            action: item.payload.action == .other
                ? "other: \(item.payload.otherAction)"
                : ConsultationTerms.name(item.payload.action, in: ConsultationTerms.actions),
            priority: ConsultationTerms.name(item.payload.priority, in: ConsultationTerms.priorities),
            policy: policy.rawValue, deadlineMs: item.payload.deadlineMs,
            closesMs: machine.closingMs(of: reference, ledger: store), state: state ?? "open",
            standing: .init(
                outcome: standing.outcome?.rawValue, final: standing.isFinal, endorsements: standing.endorsements,
                objections: standing.objections, abstentions: standing.abstentions,
                votingMembers: standing.votingMembers, notVoted: standing.notVoted,
                explanation: standing.explanation),
            decisions: decisions, charterVersion: machine.charter(of: reference)?.version ?? 0,
            convener: group?.convener ?? "")
    }

    /// On the queue.
    func detail(ofProposal reference: EntryReference, nowMs: Int64) -> ProposalDetail? {
        guard let summary = summary(ofProposal: reference, nowMs: nowMs),
            let item = machine.book.proposals[reference]
        else { return nil }
        let standing = machine.standing(of: reference, nowMs: nowMs, ledger: store)
        let counted = Set(standing?.counted.map(\.reference) ?? [])
        let convener = machine.group(of: reference)?.convener ?? ""
        let statements = Dictionary(
            machine.book.votes(on: reference).map { ($0.reference, $0.payload.statement) },
            uniquingKeysWith: { first, _ in first })
        let votes = machine.heldVotes(on: reference, convener: convener, ledger: store)
        return ProposalDetail(
            summary: summary, rationale: item.payload.rationale,
            bulletins: item.payload.bulletins.map { ConsultationBook.reference($0).description },
            votes: votes.sorted { ($0.voter, $0.reference.index) < ($1.voter, $1.reference.index) }.map { vote in
                .init(
                    reference: vote.reference.description, voter: vote.voter, position: vote.position.rawValue,
                    statement: statements[vote.reference] ?? "", witnessedMs: vote.witnessedMs,
                    counted: counted.contains(vote.reference))
            })
    }
}

extension ConsultationService {
    /// The consultation's figures for the metrics: open proposals, those awaiting this node's
    /// vote, and decisions that do not follow from the votes.
    public func metricsFigures() async throws -> MetricsSnapshot.Consultation {
        let proposals = try await proposals()
        let open = proposals.filter { $0.state == "open" }
        return MetricsSnapshot.Consultation(
            openProposals: open.count, votesAwaiting: open.filter { $0.standing.notVoted.contains(nodeID) }.count,
            flaggedDecisions: proposals.filter(\.isFlagged).count)
    }
}
