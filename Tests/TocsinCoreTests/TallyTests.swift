import Foundation
import Testing
import TocsinCrypto

@testable import TocsinCore

/// The tally and the audit of decisions: every policy, ties, abstentions, changed and late
/// votes, non-members and observers, charter versions, and randomized conveners honest and not.
struct TallyTests {
    static let deadline: Int64 = 1_800_000_000_000

    static func rules(_ policy: Charter.Policy, members: Int, quorum: Int = 50) -> Tally.Rules {
        Tally.Rules(
            policy: policy, quorumPercent: quorum, votingMembers: Set((0..<members).map { "X\(letter($0))" }),
            deadlineMs: deadline)
    }

    static func letter(_ number: Int) -> String { String(UnicodeScalar(UInt8(65 + number))) }

    /// A vote by `voter` at `index` of its feed, witnessed `offset` ms before the deadline.
    static func vote(
        _ voter: String, _ position: Tally.Position, index: UInt64 = 0, witnessed offset: Int64? = -1000
    )
        -> Tally.Vote
    {
        Tally.Vote(
            reference: EntryReference(group: "nro", author: voter, index: index),
            leafHash: SHA256.hash(Array("\(voter)/\(index)".utf8)), position: position,
            witnessedMs: offset.map { deadline + $0 })
    }

    static func outcome(_ rules: Tally.Rules, _ votes: [Tally.Vote], closed: Bool) -> Tally.Outcome? {
        Tally.standing(rules: rules, votes: votes, nowMs: closed ? deadline : deadline - 1).outcome
    }

    @Test func majorityNeedsMoreThanHalfAndATieRejects() {
        let five = Self.rules(.majority, members: 5)
        #expect(Self.outcome(five, [Self.vote("XA", .endorse), Self.vote("XB", .endorse)], closed: false) == nil)
        let three = [Self.vote("XA", .endorse), Self.vote("XB", .endorse), Self.vote("XC", .endorse)]
        #expect(Self.outcome(five, three, closed: false) == .adopted)
        #expect(
            Self.outcome(
                five, [Self.vote("XA", .endorse), Self.vote("XB", .endorse), Self.vote("XC", .abstain)], closed: true)
                == .rejected)
        let four = Self.rules(.majority, members: 4)
        // 2 of 4 is not more than half; 2 objections of 4 is half: rejected at once.
        #expect(
            Self.outcome(four, [Self.vote("XA", .endorse), Self.vote("XB", .endorse)], closed: false) == nil)
        #expect(
            Self.outcome(
                four,
                [
                    Self.vote("XA", .endorse), Self.vote("XB", .endorse), Self.vote("XC", .object),
                    Self.vote("XD", .object),
                ],
                closed: false) == .rejected)
        // Adoption out of reach: 3 abstentions of 4 leave at most 1 endorsement.
        #expect(
            Self.outcome(
                four, [Self.vote("XA", .abstain), Self.vote("XB", .abstain), Self.vote("XC", .abstain)], closed: false)
                == .rejected)
        #expect(Self.outcome(four, [], closed: true) == .lapsed)
        #expect(Self.outcome(four, [], closed: false) == nil)
    }

    @Test func twoThirdsNeedsTwoThirdsAndMoreThanAThirdObjectingRejects() {
        let six = Self.rules(.twoThirds, members: 6)
        let endorse = (0..<4).map { Self.vote("X\(Self.letter($0))", .endorse) }
        #expect(Self.outcome(six, endorse, closed: false) == .adopted)
        #expect(Self.outcome(six, Array(endorse.prefix(3)), closed: false) == nil)
        #expect(Self.outcome(six, Array(endorse.prefix(3)), closed: true) == .rejected)
        // Two objections of six is exactly a third: not yet rejected; three is.
        let two = [Self.vote("XA", .object), Self.vote("XB", .object)]
        #expect(Self.outcome(six, two, closed: false) == nil)
        #expect(Self.outcome(six, two + [Self.vote("XC", .object)], closed: false) == .rejected)
        // 3 abstentions of 6: at most 3 endorsements, fewer than two thirds.
        let abstaining = (0..<3).map { Self.vote("X\(Self.letter($0))", .abstain) }
        #expect(Self.outcome(six, abstaining, closed: false) == .rejected)
    }

    @Test func consensusNeedsNoObjectionAndAQuorum() {
        let four = Self.rules(.consensus, members: 4, quorum: 50)
        #expect(Self.outcome(four, [Self.vote("XA", .endorse), Self.vote("XB", .abstain)], closed: false) == nil)
        #expect(Self.outcome(four, [Self.vote("XA", .endorse), Self.vote("XB", .abstain)], closed: true) == .adopted)
        #expect(Self.outcome(four, [Self.vote("XA", .endorse)], closed: true) == .lapsed)
        #expect(Self.outcome(four, [Self.vote("XA", .endorse), Self.vote("XB", .object)], closed: false) == .rejected)
        let everyone = (0..<4).map { Self.vote("X\(Self.letter($0))", $0 == 0 ? .abstain : .endorse) }
        #expect(Self.outcome(four, everyone, closed: false) == .adopted)
    }

    @Test func silenceHoldsUntilAnObjection() {
        let three = Self.rules(.silence, members: 3)
        #expect(Self.outcome(three, [], closed: false) == nil)
        #expect(Self.outcome(three, [], closed: true) == .adopted)
        #expect(Self.outcome(three, [Self.vote("XB", .abstain)], closed: true) == .adopted)
        let broken = Tally.standing(rules: three, votes: [Self.vote("XC", .object)], nowMs: Self.deadline - 5)
        #expect(broken.outcome == .rejected)
        #expect(broken.explanation.contains("silence broken"))
    }

    @Test func theLatestWitnessedVoteBeforeClosingCounts() {
        let three = Self.rules(.majority, members: 3)
        // XA changes its mind: its later vote counts.
        let changed = [Self.vote("XA", .object, index: 1), Self.vote("XA", .endorse, index: 4)]
        #expect(Tally.counted(changed, rules: three, closingMs: Self.deadline).map(\.position) == [.endorse])
        // A change witnessed after the deadline does not count; the earlier vote does.
        let late = [Self.vote("XA", .endorse, index: 1), Self.vote("XA", .object, index: 2, witnessed: 5)]
        #expect(Tally.counted(late, rules: three, closingMs: Self.deadline).map(\.position) == [.endorse])
        // A vote no convener cosignature covers yet does not count.
        #expect(
            Tally.counted([Self.vote("XB", .endorse, witnessed: nil)], rules: three, closingMs: Self.deadline).isEmpty)
        // Non-members (and observers and relays, who are not voting members) are not counted.
        #expect(
            Tally.counted(
                [Self.vote("OBS1", .endorse), Self.vote("RN", .endorse)], rules: three, closingMs: Self.deadline
            ).isEmpty)
    }

    @Test func theCharterInForceWhenTheProposalWasMadeDecidesWhoVotes() throws {
        let key = try Ed25519PrivateKey.generate().publicKey
        func charter(version: UInt64, members: [String]) -> Charter {
            Charter(
                network: "Fictional network", version: version,
                nodes: (members + ["XC", "RN", "OBS1"]).map {
                    Charter.Node(
                        id: $0, name: $0, role: $0 == "RN" ? .relay : $0 == "OBS1" ? .observer : .national,
                        publicKey: key)
                },
                groups: [
                    Charter.Group(
                        id: "nro", name: "Northern", members: ["RN", "OBS1"] + members, convener: "RN",
                        policy: .twoThirds, quorumPercent: nil)
                ])
        }
        let first = charter(version: 1, members: ["XA", "XB"])
        let second = charter(version: 2, members: ["XA", "XC"])  // XC admitted, XB removed
        var proposal = Tocsin_V1_Proposal()
        proposal.deadlineMs = Self.deadline
        let underFirst = Tally.Rules(proposal: proposal, group: first.group("nro")!, charter: first)
        let underSecond = Tally.Rules(proposal: proposal, group: second.group("nro")!, charter: second)
        #expect(underFirst.votingMembers == ["XA", "XB"])
        #expect(underSecond.votingMembers == ["XA", "XC"])
        #expect(underFirst.policy == .twoThirds)
        let votes = [Self.vote("XB", .endorse), Self.vote("XC", .endorse), Self.vote("XA", .endorse)]
        #expect(Tally.counted(votes, rules: underFirst, closingMs: Self.deadline).map(\.voter) == ["XA", "XB"])
        // The proposal's own policy wins over the group's.
        proposal.policy = .silence
        #expect(Tally.Rules(proposal: proposal, group: first.group("nro")!, charter: first).policy == .silence)
    }

    // MARK: - Decisions

    static func decision(
        author: String = "RN", outcome: Tocsin_V1_Outcome, counted: [Tally.Vote], closedMs: Int64 = deadline
    ) -> ConsultationBook.Item<Tocsin_V1_Decision> {
        var decision = Tocsin_V1_Decision()
        decision.outcome = outcome
        decision.closedMs = closedMs
        decision.votes = counted.map { vote in
            .with {
                $0.vote = ConsultationBook.message(vote.reference, leafHash: vote.leafHash)
                $0.position = vote.position == .endorse ? .endorse : vote.position == .object ? .object : .abstain
            }
        }
        return ConsultationBook.Item(
            reference: EntryReference(group: "nro", author: author, index: 9), leafHash: SHA256.hash([9]),
            authorTimeMs: deadline + 10, payload: decision)
    }

    static let proposal = EntryReference(group: "nro", author: "XA", index: 0)

    /// A charter in which RN convenes nro: who records decisions, for the audit.
    static let permissions: Permissions = {
        let key = try! Ed25519PrivateKey.generate().publicKey
        let members = (0..<9).map { "X\(letter($0))" }
        return Permissions(
            charter: Charter(
                network: "Fictional network", version: 1,
                nodes: (members + ["RN", "OBS1"]).map {
                    Charter.Node(
                        id: $0, name: $0, role: $0 == "RN" ? .relay : $0 == "OBS1" ? .observer : .national,
                        publicKey: key)
                },
                groups: [
                    Charter.Group(
                        id: "nro", name: "Northern", members: ["RN", "OBS1"] + members, convener: "RN",
                        policy: .twoThirds, quorumPercent: nil)
                ]))
    }()

    @Test func anHonestDecisionHoldsAndEachDeviationIsFlagged() {
        let rules = Self.rules(.twoThirds, members: 3)
        let votes = [
            Self.vote("XA", .endorse), Self.vote("XB", .endorse), Self.vote("XC", .object),
            Self.vote("OBS1", .endorse),
        ]
        let counted = Tally.counted(votes, rules: rules, closingMs: Self.deadline)
        func audit(_ decision: ConsultationBook.Item<Tocsin_V1_Decision>) -> [String] {
            DecisionAudit.findings(
                decision: decision, proposal: Self.proposal, rules: rules, permissions: Self.permissions,
                heldVotes: votes,
                evidence: [:]
            ).map(\.text)
        }
        #expect(audit(Self.decision(outcome: .adopted, counted: counted)).isEmpty)
        // Written by a member, not the convener.
        #expect(
            audit(Self.decision(author: "XB", outcome: .adopted, counted: counted)).contains { $0.contains("convener") }
        )
        // A witnessed vote left out (the objection), even with the right outcome.
        #expect(
            audit(Self.decision(outcome: .adopted, counted: Array(counted.prefix(2)))).contains {
                $0.contains("leaves out")
            })
        // The wrong outcome.
        #expect(audit(Self.decision(outcome: .rejected, counted: counted)).contains { $0.contains("give adopted") })
        // A vote by an observer counted.
        #expect(
            audit(Self.decision(outcome: .adopted, counted: counted + [Self.vote("OBS1", .endorse)])).contains {
                $0.contains("not a voting member")
            })
        // Closed early although nothing was settled.
        let open = Tally.counted(Array(votes.prefix(1)), rules: rules, closingMs: Self.deadline)
        #expect(
            DecisionAudit.findings(
                decision: Self.decision(outcome: .rejected, counted: open, closedMs: Self.deadline - 5_000),
                proposal: Self.proposal, rules: rules, permissions: Self.permissions, heldVotes: Array(votes.prefix(1)),
                evidence: [:]
            ).contains { $0.text.contains("early") })
    }

    /// Randomized: an honest convener's decision always holds; dropping a counted vote or
    /// flipping the outcome is always flagged.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64]) func randomizedDecisionsAreAuditedExactly(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let policy = Charter.Policy.allCases.randomElement(using: &generator)!
            let members = Int.random(in: 1...9, using: &generator)
            let rules = Self.rules(policy, members: members, quorum: [34, 50, 75].randomElement(using: &generator)!)
            var votes: [Tally.Vote] = []
            for index in 0..<Int.random(in: 0...20, using: &generator) {
                let voter =
                    Int.random(in: 0..<10, using: &generator) == 0
                    ? "OBS1" : "X\(Self.letter(Int.random(in: 0..<members, using: &generator)))"
                let offset: Int64? =
                    Int.random(in: 0..<8, using: &generator) == 0
                    ? nil : Int64.random(in: -50_000...5_000, using: &generator)
                votes.append(
                    Self.vote(
                        voter, Tally.Position.allCases.randomElement(using: &generator)!, index: UInt64(index),
                        witnessed: offset))
            }
            let standing = Tally.standing(rules: rules, votes: votes, nowMs: Self.deadline)
            #expect(standing.isFinal)
            #expect(Set(standing.counted.map(\.voter)).count == standing.counted.count)
            #expect(standing.counted.allSatisfy { rules.votingMembers.contains($0.voter) })
            #expect(
                standing.endorsements + standing.objections + standing.abstentions + standing.notVoted.count == members)
            let outcome = ConsultationTerms.outcome(standing.outcome!)
            func findings(_ decision: ConsultationBook.Item<Tocsin_V1_Decision>) -> [DecisionAudit.Finding] {
                DecisionAudit.findings(
                    decision: decision, proposal: Self.proposal, rules: rules, permissions: Self.permissions,
                    heldVotes: votes,
                    evidence: [:])
            }
            #expect(findings(Self.decision(outcome: outcome, counted: standing.counted)).isEmpty, "\(policy) \(votes)")
            if !standing.counted.isEmpty {
                #expect(!findings(Self.decision(outcome: outcome, counted: Array(standing.counted.dropLast()))).isEmpty)
            }
            let flipped: Tocsin_V1_Outcome = outcome == .adopted ? .rejected : .adopted
            #expect(!findings(Self.decision(outcome: flipped, counted: standing.counted)).isEmpty)
        }
    }

    // MARK: - The convener's closing rule

    @Test func theConvenerClosesEarlyOnlyWhenSettledAndItsDecisionPassesTheAudit() {
        let rules = Self.rules(.twoThirds, members: 4)
        func audit(_ closing: Tally.Closing, votes: [Tally.Vote]) -> [String] {
            DecisionAudit.findings(
                decision: Self.decision(
                    outcome: ConsultationTerms.outcome(closing.outcome), counted: closing.counted,
                    closedMs: closing.closedMs),
                proposal: Self.proposal, rules: rules, permissions: Self.permissions, heldVotes: votes, evidence: [:]
            ).map(\.text)
        }
        // Two of four endorse: still open, nothing recorded.
        var votes = [Self.vote("XA", .endorse, witnessed: -9_000), Self.vote("XB", .endorse, witnessed: -8_000)]
        #expect(Tally.closing(rules: rules, votes: votes, nowMs: Self.deadline - 7_000, graceMs: 2_000) == nil)
        // A third endorsement settles it: closed at that vote's witnessing, before the deadline,
        // once that second is over (another vote may be witnessed in it a moment later).
        votes.append(Self.vote("XC", .endorse, witnessed: -6_000))
        #expect(Tally.closing(rules: rules, votes: votes, nowMs: Self.deadline - 5_001, graceMs: 2_000) == nil)
        // A time from nowhere (before 1970, as far back as it goes) closes nothing and traps nothing.
        #expect(Tally.closing(rules: rules, votes: votes, nowMs: .min, graceMs: 2_000) == nil)
        let early = try! #require(
            Tally.closing(rules: rules, votes: votes, nowMs: Self.deadline - 5_000, graceMs: 2_000))
        #expect(early.outcome == .adopted)
        #expect(early.closedMs == Self.deadline - 6_000)
        #expect(audit(early, votes: votes).isEmpty)
        // A vote witnessed after an early close changes nothing in the audit.
        let later = votes + [Self.vote("XD", .object, witnessed: -4_000)]
        #expect(audit(early, votes: later).isEmpty)

        // Open at the deadline: nothing until the grace has passed, then the deadline closes it.
        let open = [Self.vote("XA", .endorse, witnessed: -9_000)]
        #expect(Tally.closing(rules: rules, votes: open, nowMs: Self.deadline + 1_000, graceMs: 2_000) == nil)
        let atDeadline = try! #require(
            Tally.closing(rules: rules, votes: open, nowMs: Self.deadline + 2_000, graceMs: 2_000))
        #expect(atDeadline.outcome == .rejected)
        #expect(atDeadline.closedMs == Self.deadline)
        #expect(audit(atDeadline, votes: open).isEmpty)
    }

    @Test func openProposalsComeFirstByPriorityThenDeadline() {
        let ranks = [
            ProposalRank(isOpen: false, priority: .urgent, deadlineMs: 1, reference: "nro/XA/0"),
            ProposalRank(isOpen: true, priority: .low, deadlineMs: 1, reference: "nro/XA/1"),
            ProposalRank(isOpen: true, priority: .urgent, deadlineMs: 9, reference: "nro/XA/2"),
            ProposalRank(isOpen: true, priority: .urgent, deadlineMs: 5, reference: "nro/XA/3"),
            ProposalRank(isOpen: true, priority: .unspecified, deadlineMs: 2, reference: "nro/XA/4"),
            ProposalRank(isOpen: true, priority: .high, deadlineMs: 7, reference: "nro/XA/5"),
        ]
        #expect(
            ranks.sorted().map(\.reference) == ["nro/XA/3", "nro/XA/2", "nro/XA/5", "nro/XA/4", "nro/XA/1", "nro/XA/0"])
    }
}
