import TocsinCrypto

/// Every node's independent check of a recorded decision: does it follow from the votes and
/// the charter, and did the convener write it? A pure function; an empty result means the
/// decision holds.
public enum DecisionAudit {
    /// One reason a decision does not hold.
    public struct Finding: Hashable, Sendable, CustomStringConvertible {
        public let text: String
        public var description: String { text }
    }

    /// Audits `decision` on `proposal`.
    ///
    /// - Parameters:
    ///   - permissions: the rules of the charter in force when the proposal was made (who
    ///     decides: the group's convener).
    ///   - heldVotes: every vote on the proposal this node holds, with the time the convener
    ///     witnessed it as far as this node's own store shows (nil: no covering cosignature).
    ///   - evidence: for each vote the decision lists, the witnessed time its
    ///     `witnessed_checkpoint` proves (a convener cosignature on a checkpoint of the voter's
    ///     feed that this node holds and that includes the vote); absent when it proves nothing.
    ///   - deliberationStartProven: false when the group gives time to deliberate, or the
    ///     proposal names a charter version a later one replaced, and the decision's
    ///     `proposal_witnessed_checkpoint` does not prove when the convener first witnessed the
    ///     proposal (`rules` then carry the proposal's own deadline).
    public static func findings(
        decision: ConsultationBook.Item<Tocsin_V1_Decision>, proposal: EntryReference, rules: Tally.Rules,
        permissions: Permissions, heldVotes: [Tally.Vote], evidence: [EntryReference: Int64],
        deliberationStartProven: Bool = true
    ) -> [Finding] {
        var findings: [String] = []
        let record = decision.payload
        if !deliberationStartProven {
            findings.append(
                "does not prove when the convener witnessed the proposal (proposal_witnessed_checkpoint), from which the group's time to deliberate runs and by which the charter version it names is judged in force"
            )
        }
        if !permissions.permits(decision.reference.author, .decide(group: proposal.group)) {
            let convener = permissions.charter.group(proposal.group)?.convener ?? "none"
            findings.append("written by \(decision.reference.author), not by the group's convener \(convener)")
        }
        if decision.reference.group != proposal.group {
            findings.append("recorded in group \(decision.reference.group), not in the proposal's \(proposal.group)")
        }
        let closedMs = record.closedMs
        if closedMs <= 0 || closedMs > rules.deadlineMs {
            findings.append(
                "closes the proposal at \(closedMs) ms, not at or before its deadline \(rules.deadlineMs) ms")
        }
        if closedMs > decision.authorTimeMs {
            findings.append("closes the proposal after the decision was written")
        }
        let closing = min(max(closedMs, 0), rules.deadlineMs)

        // The votes listed: each held, on this proposal, by a voting member, as positioned,
        // witnessed by the convener before closing, and one per voter.
        let held = Dictionary(heldVotes.map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
        var listed: [Tally.Vote] = []
        var voters: Set<String> = []
        for counted in record.votes {
            let reference = ConsultationBook.reference(counted.vote)
            guard let vote = held[reference], Array(counted.vote.leafHash) == vote.leafHash.bytes else {
                findings.append("counts \(reference), which is not a vote on this proposal held here")
                continue
            }
            guard rules.votingMembers.contains(vote.voter) else {
                findings.append("counts \(reference) by \(vote.voter), who is not a voting member of the group")
                continue
            }
            guard ConsultationTerms.position(counted.position) == vote.position else {
                findings.append(
                    "counts \(reference) as \(counted.position) but the vote says \(vote.position.rawValue)")
                continue
            }
            guard let witnessed = evidence[reference] ?? vote.witnessedMs else {
                findings.append("counts \(reference) without proof that the convener witnessed it")
                continue
            }
            guard witnessed <= closing else {
                findings.append("counts \(reference), witnessed at \(witnessed) ms, after the proposal closed")
                continue
            }
            guard voters.insert(vote.voter).inserted else {
                findings.append("counts more than one vote by \(vote.voter)")
                continue
            }
            listed.append(vote)
        }

        // Nothing witnessed before closing left out: each voter's latest such vote is the one.
        let expected = Tally.counted(heldVotes, rules: rules, closingMs: closing)
        for vote in expected {
            guard let counted = listed.first(where: { $0.voter == vote.voter }) else {
                findings.append(
                    "leaves out \(vote.reference) by \(vote.voter) (\(vote.position.rawValue)), witnessed before closing"
                )
                continue
            }
            if counted.reference.index < vote.reference.index {
                findings.append(
                    "counts \(counted.reference) by \(vote.voter) but leaves out their later vote \(vote.reference)")
            }
        }

        // The outcome follows from what was counted; an early close needs a settled outcome.
        let standing = Tally.standing(rules: rules, counted: listed, closed: closing >= rules.deadlineMs)
        if !standing.isFinal {
            findings.append("closes the proposal early although its outcome was still open (\(standing.explanation))")
        } else if let outcome = standing.outcome, ConsultationTerms.outcome(outcome) != record.outcome {
            findings.append(
                "records \(ConsultationTerms.name(record.outcome, in: ConsultationTerms.outcomes)) but the votes give \(outcome.rawValue) (\(standing.explanation))"
            )
        }
        return findings.map(Finding.init(text:))
    }
}
