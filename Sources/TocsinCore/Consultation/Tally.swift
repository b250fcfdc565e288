import TocsinCrypto

/// The tally of a proposal: a pure function of the charter in force, the proposal, the votes
/// with the times their convener witnessed them, and the time now (Docs/DESIGN.md,
/// "Consultation and consensus").
///
/// Rules, over the group's voting members (national nodes that are members of the group in
/// the charter in force when the proposal was made), with E endorsements, O objections,
/// A abstentions among the votes counted, N voting members and R members yet to vote:
///
/// | policy | adopted | rejected | lapsed |
/// | --- | --- | --- | --- |
/// | majority | 2E > N | 2O ≥ N, adoption out of reach (2(E+R) ≤ N), or closed without adoption | closed with no vote at all |
/// | two-thirds | 3E ≥ 2N | 3O > N, adoption out of reach (3(E+R) < 2N), or closed without adoption | closed with no vote at all |
/// | consensus | closed with O = 0 and participation ≥ quorum (or early: everyone voted, O = 0) | any objection | closed below the quorum |
/// | silence | closed with O = 0 (or early: everyone voted, O = 0) | any objection (silence broken) | — |
///
/// A vote counts when its voter is a voting member and the convener witnessed it (a
/// cosignature of a checkpoint that includes it) at or before the closing time; of a voter's
/// counted votes the latest in their feed counts. The proposal closes at its deadline, or
/// earlier when the convener records a decision whose outcome the votes already settle: the
/// votes cast are then final and no way the remaining members could vote changes the outcome.
public enum Tally {
    /// The quorum (percent of the voting members) when neither the proposal nor its group
    /// names one.
    public static let defaultQuorumPercent = 50

    /// One vote on a proposal as a node holds it.
    public struct Vote: Hashable, Sendable {
        public let reference: EntryReference
        public let leafHash: SHA256Digest
        public let position: Position
        /// When the proposal's convener witnessed the vote (milliseconds since 1970, from its
        /// cosignature's timestamp); nil while no convener cosignature covers it.
        public let witnessedMs: Int64?

        public init(reference: EntryReference, leafHash: SHA256Digest, position: Position, witnessedMs: Int64?) {
            self.reference = reference
            self.leafHash = leafHash
            self.position = position
            self.witnessedMs = witnessedMs
        }

        public var voter: String { reference.author }
    }

    public enum Position: String, Hashable, Sendable, CaseIterable, Codable {
        case endorse
        case object
        case abstain
    }

    public enum Outcome: String, Hashable, Sendable, Codable {
        case adopted
        case rejected
        case lapsed
    }

    /// The rules a proposal is decided by.
    public struct Rules: Hashable, Sendable {
        public let policy: Charter.Policy
        /// For consensus: the share of voting members that must take part.
        public let quorumPercent: Int
        public let votingMembers: Set<String>
        public let deadlineMs: Int64

        public init(policy: Charter.Policy, quorumPercent: Int, votingMembers: Set<String>, deadlineMs: Int64) {
            self.policy = policy
            self.quorumPercent = quorumPercent
            self.votingMembers = votingMembers
            self.deadlineMs = deadlineMs
        }

        /// The rules of `proposal`, made in `group` under `charter` (the charter in force when
        /// it was made): its own policy and quorum, else the group's.
        public init(proposal: Tocsin_V1_Proposal, group: Charter.Group, charter: Charter) {
            let policy = ConsultationTerms.policy(proposal.policy) ?? group.policy
            let quorum =
                proposal.quorumPercent > 0
                ? Int(proposal.quorumPercent) : (group.quorumPercent ?? Tally.defaultQuorumPercent)
            self.init(
                policy: policy, quorumPercent: quorum,
                votingMembers: Permissions(charter: charter).votingMembers(of: group.id),
                deadlineMs: proposal.deadlineMs)
        }

        /// The same rules with the deadline moved no earlier than `earliestMs`.
        public func deadline(atLeast earliestMs: Int64) -> Rules {
            Rules(
                policy: policy, quorumPercent: quorumPercent, votingMembers: votingMembers,
                deadlineMs: max(deadlineMs, earliestMs))
        }
    }

    /// Where a proposal stands.
    public struct Standing: Hashable, Sendable {
        /// nil while open and undecided.
        public let outcome: Outcome?
        /// Whether the outcome can no longer change (the deadline passed, or the votes settle it).
        public let isFinal: Bool
        /// The votes counted, one per voter, in voter order.
        public let counted: [Vote]
        public let endorsements: Int
        public let objections: Int
        public let abstentions: Int
        public let votingMembers: Int
        /// Voting members with no counted vote.
        public let notVoted: [String]
        /// Why, in words.
        public let explanation: String
    }

    /// The votes that count when the proposal closes at `closingMs`.
    public static func counted(_ votes: [Vote], rules: Rules, closingMs: Int64) -> [Vote] {
        var latest: [String: Vote] = [:]
        for vote in votes where rules.votingMembers.contains(vote.voter) {
            guard let witnessed = vote.witnessedMs, witnessed <= closingMs else { continue }
            if let held = latest[vote.voter], held.reference.index >= vote.reference.index { continue }
            latest[vote.voter] = vote
        }
        return latest.values.sorted { $0.voter < $1.voter }
    }

    /// The standing at `nowMs` (witnessed votes up to then; the deadline closes it).
    public static func standing(rules: Rules, votes: [Vote], nowMs: Int64) -> Standing {
        let closed = nowMs >= rules.deadlineMs
        let counted = counted(votes, rules: rules, closingMs: min(nowMs, rules.deadlineMs))
        return standing(rules: rules, counted: counted, closed: closed)
    }

    /// The standing of the votes `counted` (already one per voting member), closed or not.
    public static func standing(rules: Rules, counted: [Vote], closed: Bool) -> Standing {
        let members = rules.votingMembers.count
        let endorsements = counted.filter { $0.position == .endorse }.count
        let objections = counted.filter { $0.position == .object }.count
        let abstentions = counted.filter { $0.position == .abstain }.count
        let voted = Set(counted.map(\.voter))
        let notVoted = rules.votingMembers.subtracting(voted).sorted()
        let remaining = notVoted.count
        let participation = endorsements + objections + abstentions

        func make(_ outcome: Outcome?, final: Bool, _ explanation: String) -> Standing {
            Standing(
                outcome: outcome, isFinal: final, counted: counted, endorsements: endorsements,
                objections: objections, abstentions: abstentions, votingMembers: members, notVoted: notVoted,
                explanation: explanation)
        }
        let tally = "\(endorsements) for, \(objections) against, \(abstentions) abstaining of \(members)"
        guard members > 0 else { return make(.lapsed, final: true, "the group has no voting member") }

        switch rules.policy {
        case .majority, .twoThirds:
            let twoThirds = rules.policy == .twoThirds
            let adopted = twoThirds ? 3 * endorsements >= 2 * members : 2 * endorsements > members
            let blocked = twoThirds ? 3 * objections > members : 2 * objections >= members
            let outOfReach =
                twoThirds ? 3 * (endorsements + remaining) < 2 * members : 2 * (endorsements + remaining) <= members
            let threshold = twoThirds ? "two thirds" : "more than half"
            if adopted { return make(.adopted, final: true, "\(tally): \(threshold) endorsed") }
            if blocked {
                return make(
                    .rejected, final: true,
                    "\(tally): \(twoThirds ? "more than a third" : "half or more") objected")
            }
            if outOfReach {
                return make(.rejected, final: true, "\(tally): \(threshold) can no longer endorse")
            }
            if closed {
                if participation == 0 { return make(.lapsed, final: true, "the deadline passed with no vote") }
                return make(.rejected, final: true, "\(tally): the deadline passed without \(threshold) endorsing")
            }
            return make(nil, final: false, "\(tally); \(threshold) must endorse")
        case .consensus:
            if objections > 0 { return make(.rejected, final: true, "\(tally): consensus broken by an objection") }
            let quorumMet = participation * 100 >= rules.quorumPercent * members
            if remaining == 0 && quorumMet {
                return make(.adopted, final: true, "\(tally): every member voted and none objected")
            }
            if closed {
                return quorumMet
                    ? make(.adopted, final: true, "\(tally): no objection, quorum of \(rules.quorumPercent)% met")
                    : make(.lapsed, final: true, "\(tally): quorum of \(rules.quorumPercent)% not met by the deadline")
            }
            return make(nil, final: false, "\(tally); no objection so far, quorum \(rules.quorumPercent)%")
        case .silence:
            if objections > 0 { return make(.rejected, final: true, "\(tally): silence broken by an objection") }
            if remaining == 0 { return make(.adopted, final: true, "\(tally): every member voted and none objected") }
            if closed { return make(.adopted, final: true, "the deadline passed and nobody broke silence") }
            return make(nil, final: false, "\(tally); silence holds so far")
        }
    }

    /// What the convener records now, if the proposal can be closed.
    public struct Closing: Hashable, Sendable {
        public let outcome: Outcome
        /// The votes counted, one per voter.
        public let counted: [Vote]
        /// When the proposal closed: the deadline, or for an early close the witnessing of
        /// the last vote counted (nothing witnessed after it can have been left out).
        public let closedMs: Int64
        public let explanation: String
    }

    /// The convener's decision rule: close as soon as the votes witnessed by `nowMs` settle the
    /// outcome, else `graceMs` after the deadline (so that votes witnessed just before it are
    /// stored), counting what was witnessed by the deadline. nil while the proposal stays open.
    ///
    /// A cosignature's time is in whole seconds, so another vote may be witnessed in the same
    /// second as the one that settles the outcome, a moment later: an early close waits until
    /// that second is over (`nowMs` at least a second after the closing time), and a grace
    /// shorter than a second does not cover the deadline's own second. The node reads its
    /// store for this only once every cosignature it made by `nowMs` is stored.
    public static func closing(rules: Rules, votes: [Vote], nowMs: Int64, graceMs: Int64) -> Closing? {
        let (graceEnd, overflow) = rules.deadlineMs.addingReportingOverflow(max(graceMs, 0))
        let deadlinePassed = !overflow && nowMs >= graceEnd
        let counted = counted(votes, rules: rules, closingMs: min(nowMs, rules.deadlineMs))
        let standing = standing(rules: rules, counted: counted, closed: deadlinePassed)
        guard standing.isFinal, let outcome = standing.outcome else { return nil }
        let closedMs =
            deadlinePassed
            ? rules.deadlineMs
            : min(max(counted.compactMap(\.witnessedMs).max() ?? min(nowMs, rules.deadlineMs), 1), rules.deadlineMs)
        let (sinceClosing, beforeTime) = nowMs.subtractingReportingOverflow(closedMs)
        guard deadlinePassed || (!beforeTime && sinceClosing >= 1000) else { return nil }
        return Closing(
            outcome: outcome, counted: standing.counted, closedMs: closedMs, explanation: standing.explanation)
    }
}
