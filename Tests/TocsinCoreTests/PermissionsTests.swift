import Foundation
import Testing
import TocsinCore
import TocsinDevelopment

/// The policy table: who may do what, under the fictional charter every test network uses.
/// nro = RN (convener), XA, XC; sro = RS (convener), XB, XD; all = every node, OBS1 included,
/// convened by RN.
struct PermissionsTests {
    static let permissions: Permissions = {
        let network = try! FictionalNetwork.make(nationals: 4, relays: 2, observers: 1, now: Date())
        return Permissions(charter: network.charter)
    }()

    static let bulletin = EntryReference(group: "nro", author: "XA", index: 0)

    /// (node, act, nil when permitted, else a word of the reason).
    static let table: [(String, Permissions.Act, String?)] = [
        ("XA", .see(group: "nro"), nil),
        ("RN", .see(group: "nro"), nil),
        ("XB", .see(group: "nro"), "not a member of group nro"),
        ("OBS1", .see(group: "nro"), "not a member"),
        ("OBS1", .see(group: "all"), nil),
        ("XA", .see(group: "nowhere"), "there is no group nowhere"),
        ("XA", .issue(group: "nro"), nil),
        ("XB", .issue(group: "nro"), "not a member"),
        ("OBS1", .issue(group: "all"), nil),
        ("XA", .revise(bulletin: bulletin, group: "nro"), nil),
        ("XC", .revise(bulletin: bulletin, group: "nro"), "only its author may update or cancel it"),
        ("RN", .revise(bulletin: bulletin, group: "nro"), "only its author"),
        ("XA", .revise(bulletin: bulletin, group: "all"), "is in group nro, not all"),
        ("XC", .acknowledge(bulletin: bulletin, group: "nro"), nil),
        ("RN", .acknowledge(bulletin: bulletin, group: "nro"), nil),
        ("XA", .acknowledge(bulletin: bulletin, group: "nro"), "does not acknowledge its own"),
        ("XC", .acknowledge(bulletin: bulletin, group: "all"), "in its own group nro"),
        ("XB", .acknowledge(bulletin: bulletin, group: "nro"), "not a member"),
        ("XA", .propose(group: "nro"), nil),
        ("RN", .propose(group: "nro"), "national members propose"),
        ("OBS1", .propose(group: "all"), "cannot propose there"),
        ("XB", .propose(group: "nro"), "cannot propose there"),
        ("XA", .vote(group: "nro"), nil),
        ("XC", .vote(group: "all"), nil),
        ("RN", .vote(group: "nro"), "national members vote"),
        ("OBS1", .vote(group: "all"), "not a voting member of all"),
        ("XB", .vote(group: "nro"), "not a voting member of nro"),
        ("RN", .decide(group: "nro"), nil),
        ("RN", .decide(group: "all"), nil),
        ("RS", .decide(group: "sro"), nil),
        ("RS", .decide(group: "all"), "not the convener of all (RN is)"),
        ("XA", .decide(group: "nro"), "not the convener"),
    ]

    @Test(arguments: 0..<table.count) func theRuleAnswersAsTheTableSays(row: Int) {
        let (node, act, refusal) = Self.table[row]
        let verdict = Self.permissions.verdict(node, act)
        if let refusal {
            guard case .refused(let reason) = verdict else {
                Issue.record("\(node) may \(act), but the table says no (\(refusal))")
                return
            }
            #expect(reason.description.contains(refusal), "\(node) \(act): \(reason)")
            #expect(!Self.permissions.permits(node, act))
        } else {
            #expect(verdict == .permitted, "\(node) \(act): \(verdict)")
        }
    }

    /// What a proposal may say: tabled by a voting member, no laxer than its group, with the
    /// group's time to deliberate before a deadline within a year.
    @Test func aProposalMayOnlyBeStricterAndMustLeaveTimeToDeliberate() throws {
        let network = try FictionalNetwork.make(
            nationals: 2, relays: 1, now: Date(), policy: .twoThirds, deliberationMinutes: 60)
        let permissions = Permissions(charter: network.charter)
        let hour: Int64 = 3_600_000
        func proposal(
            _ policy: Tocsin_V1_DecisionPolicy = .unspecified, quorum: UInt32 = 0, deadline: Int64
        )
            -> Tocsin_V1_Proposal
        {
            .with {
                $0.policy = policy
                $0.quorumPercent = quorum
                $0.deadlineMs = deadline
            }
        }
        func verdict(_ proposal: Tocsin_V1_Proposal, by node: String = "XA", at time: Int64 = 10 * hour) -> String {
            permissions.tabling(proposal, by: node, authorTimeMs: time, in: "nro").description
        }
        #expect(verdict(proposal(deadline: 11 * hour)) == "permitted")
        #expect(verdict(proposal(.twoThirds, quorum: 60, deadline: 11 * hour)) == "permitted", "as strict, more quorum")
        #expect(verdict(proposal(.silence, deadline: 11 * hour)).contains("may make that stricter, not silence"))
        #expect(verdict(proposal(.majority, deadline: 11 * hour)).contains("not majority"))
        // Consensus is not stricter than two-thirds: abstentions adopt by consensus.
        #expect(verdict(proposal(.consensus, deadline: 11 * hour)).contains("not consensus"))
        #expect(verdict(proposal(.twoThirds, quorum: 101, deadline: 11 * hour)).contains("quorum_percent"))
        #expect(verdict(proposal(.twoThirds, quorum: 49, deadline: 11 * hour)).contains("from 50 to 100"))
        #expect(verdict(proposal(deadline: 10 * hour + 59 * 60_000)).contains("at least 60 minutes"))
        #expect(verdict(proposal(deadline: 9 * hour)).contains("must fall after"))
        #expect(verdict(proposal(deadline: Int64.max)).contains("within 366 days"))
        #expect(verdict(proposal(deadline: 11 * hour), at: -5).contains("must fall after"))
        #expect(verdict(proposal(deadline: 11 * hour), by: "RN").contains("national members propose"))
    }

    /// The layers ask the one rule: the tally's voters and the book's revisions are the table's.
    @Test func theTallyAndTheBookApplyTheSameRules() throws {
        let charter = Self.permissions.charter
        let rules = Tally.Rules(proposal: Tocsin_V1_Proposal(), group: charter.group("all")!, charter: charter)
        #expect(rules.votingMembers == ["XA", "XB", "XC", "XD"])
        #expect(rules.votingMembers == Self.permissions.votingMembers(of: "all"))

        // An alert by XA, then updates of it written by each node of nro, in nro and in all:
        // the book accepts exactly those the policy permits.
        var book = ConsultationBook()
        let alert = try BulletinDraft(headline: "Exercise", severity: "minor", country: "XA").entry(authorTimeMs: 1)
        book.add(reference: Self.bulletin, leafHash: MerkleHash.leaf(alert), bytes: alert)
        var expectedRefused: [EntryReference] = []
        for (position, (author, group)) in [("XA", "nro"), ("XC", "nro"), ("RN", "nro"), ("XA", "all")].enumerated() {
            var update = BulletinDraft(headline: "Exercise", severity: "severe", country: "XA")
            update.messageType = "update"
            update.references = [Self.bulletin.description]
            let entry = try update.entry(authorTimeMs: 2, references: [(Self.bulletin, MerkleHash.leaf(alert))])
            let reference = EntryReference(group: group, author: author, index: UInt64(position + 1))
            book.add(reference: reference, leafHash: MerkleHash.leaf(entry), bytes: entry)
            if !Self.permissions.permits(author, .revise(bulletin: Self.bulletin, group: group)) {
                expectedRefused.append(reference)
            }
        }
        let state = try #require(book.state(of: Self.bulletin))
        #expect(Set(state.refused) == Set(expectedRefused))
        #expect(state.latest?.reference.author == "XA")
        #expect(expectedRefused.count == 3)
    }
}
