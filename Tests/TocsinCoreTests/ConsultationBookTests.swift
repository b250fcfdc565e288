import Foundation
import Testing
import TocsinCrypto
import TocsinDevelopment

@testable import TocsinCore

/// Bulletins and what refers to them: revisions only by their author, acknowledgements and
/// votes only when they name the entry with its leaf hash, in its group; and drafts that
/// name the faulty field.
struct ConsultationBookTests {
    static func add(_ book: inout ConsultationBook, _ reference: String, _ bytes: [UInt8]) -> SHA256Digest {
        let leaf = MerkleHash.leaf(bytes)
        book.add(reference: try! EntryReference(parsing: reference), leafHash: leaf, bytes: bytes)
        return leaf
    }

    static func bulletin(
        _ headline: String, type: String = "alert", references: [(String, SHA256Digest)] = []
    )
        -> [UInt8]
    {
        var draft = BulletinDraft(headline: headline, severity: "severe", country: "XA")
        draft.messageType = type
        draft.references = references.isEmpty ? nil : references.map(\.0)
        return try! draft.entry(
            authorTimeMs: 1_800_000_000_000,
            references: references.map { (try! EntryReference(parsing: $0.0), $0.1) })
    }

    @Test func onlyTheAuthorRevisesABulletinAndACancelIsFinal() throws {
        var book = ConsultationBook()
        let original = Self.add(&book, "nro/XA/0", Self.bulletin("Rising tension"))
        _ = Self.add(
            &book, "nro/XC/0", Self.bulletin("Forged update", type: "update", references: [("nro/XA/0", original)]))
        _ = Self.add(&book, "nro/XA/1", Self.bulletin("Worse", type: "update", references: [("nro/XA/0", original)]))
        _ = Self.add(
            &book, "nro/XA/2", Self.bulletin("Wrong hash", type: "update", references: [("nro/XA/0", SHA256.hash([1]))])
        )
        var state = try #require(book.state(of: EntryReference(parsing: "nro/XA/0")))
        #expect(state.latest?.reference.description == "nro/XA/1")
        #expect(state.refused.map(\.description).sorted() == ["nro/XA/2", "nro/XC/0"])
        _ = Self.add(
            &book, "nro/XA/3", Self.bulletin("Cancelled", type: "cancel", references: [("nro/XA/0", original)]))
        _ = Self.add(
            &book, "nro/XA/4", Self.bulletin("After cancel", type: "update", references: [("nro/XA/0", original)]))
        state = try #require(book.state(of: EntryReference(parsing: "nro/XA/0")))
        #expect(state.isCancelled)
        #expect(state.latest?.reference.description == "nro/XA/3")
        #expect(book.alerts.map(\.reference.description) == ["nro/XA/0"])
    }

    /// A page of bulletins is the first of the whole list, found without sorting them all.
    @Test(arguments: 0..<3)
    func theNewestAlertsAreTheFirstOfAllAlertsInOrder(seed: UInt64) throws {
        var random = SeededGenerator(seed: 0xA1E7 &+ seed)
        var book = ConsultationBook()
        for index in 0..<600 {
            var entry = Tocsin_V1_Entry()
            entry.kind = .bulletin
            // Few distinct times: the order among bulletins of one time is by reference.
            entry.authorTimeMs = Int64.random(in: 0...40, using: &random)
            entry.bulletin.messageType = Int.random(in: 0..<5, using: &random) == 0 ? .update : .alert
            let author = ["XA", "XB", "XC"].randomElement(using: &random)!
            book.add(
                reference: try EntryReference(parsing: "nro/\(author)/\(index)"),
                leafHash: MerkleHash.leaf([UInt8(truncatingIfNeeded: index)]), entry: entry)
        }
        let all = book.alerts.map(\.reference)
        #expect(all.count > 400)
        for limit in [0, 1, 2, 7, 50, 256, 257, 600, 1_000] {
            #expect(book.newestAlerts(limit: limit).map(\.reference) == Array(all.prefix(limit)), "limit \(limit)")
        }
        #expect(book.newestAlerts(limit: -3).isEmpty)
    }

    @Test func acknowledgementsCountOnlyWithTheRightHashInTheBulletinsGroup() throws {
        var book = ConsultationBook()
        let reference = try EntryReference(parsing: "nro/XA/0")
        let leaf = Self.add(&book, "nro/XA/0", Self.bulletin("Rising tension"))
        func acknowledge(_ at: String, _ hash: SHA256Digest, _ level: Tocsin_V1_AcknowledgementLevel, time: Int64) {
            _ = Self.add(
                &book, at,
                ConsultationEntries.acknowledgement(of: reference, leafHash: hash, level: level, authorTimeMs: time))
        }
        acknowledge("nro/XC/0", leaf, .received, time: 10)
        acknowledge("nro/XC/1", leaf, .received, time: 20)  // a second receipt keeps the first time
        acknowledge("nro/XC/2", leaf, .actedOn, time: 30)
        acknowledge("nro/XE/0", SHA256.hash([9]), .received, time: 10)  // another entry at that position
        acknowledge("all/XG/0", leaf, .received, time: 10)  // in another group
        let acknowledged = book.acknowledgements(of: reference)
        #expect(acknowledged.keys.sorted() == ["XC"])
        #expect(acknowledged["XC"]?.receivedMs == 10)
        #expect(acknowledged["XC"]?.readMs == nil)
        #expect(acknowledged["XC"]?.actedOnMs == 30)
        #expect(book.acknowledgedReceipt(of: reference, by: "XC"))
        #expect(!book.acknowledgedReceipt(of: reference, by: "XE"))
        // An acknowledgement arriving before its bulletin counts once the bulletin is held.
        var early = ConsultationBook()
        _ = Self.add(
            &early, "nro/XC/0",
            ConsultationEntries.acknowledgement(of: reference, leafHash: leaf, level: .received, authorTimeMs: 5))
        #expect(!early.acknowledgedReceipt(of: reference, by: "XC"))
        _ = Self.add(&early, "nro/XA/0", Self.bulletin("Rising tension"))
        #expect(early.acknowledgedReceipt(of: reference, by: "XC"))
    }

    @Test func votesCountOnlyWhenTheyNameTheProposalExactly() throws {
        var book = ConsultationBook()
        let proposal = try EntryReference(parsing: "nro/XC/0")
        let draft = ConsultationEntries.ProposalDraft(
            title: "Mission", action: "fact-finding-mission", policy: "two-thirds", deadline: "1h")
        let leaf = Self.add(
            &book, "nro/XC/0",
            ConsultationEntries.proposal(
                try draft.proposal(group: "nro", bulletins: [], nowMs: 1000), authorTimeMs: 1000))
        _ = Self.add(
            &book, "nro/XA/0",
            try ConsultationEntries.vote(
                on: proposal, leafHash: leaf, position: .endorse, statement: "", authorTimeMs: 2))
        _ = Self.add(
            &book, "nro/XE/0",
            try ConsultationEntries.vote(
                on: proposal, leafHash: SHA256.hash([7]), position: .object, statement: "", authorTimeMs: 2))
        #expect(book.votes(on: proposal).map(\.reference.description) == ["nro/XA/0"])
        #expect(book.proposals[proposal]?.payload.deadlineMs == Int64(3_601_000))
    }

    @Test func draftsNameTheFaultyFieldAndWhatItMayBe() {
        func fault(_ change: (inout BulletinDraft) -> Void) -> String {
            var draft = BulletinDraft(headline: "Rising tension", severity: "severe", country: "XA")
            change(&draft)
            do {
                _ = try draft.bulletin()
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(fault { _ in } == "accepted")
        #expect(fault { $0.severity = "grave" }.hasPrefix("severity: must be one of extreme, minor"))
        #expect(fault { $0.country = "xa" }.hasPrefix("country:"))
        #expect(fault { $0.riskFactors = ["15"] }.hasPrefix("risk_factors:"))
        #expect(fault { $0.riskFactors = ["8.0"] }.hasPrefix("risk_factors:"))
        #expect(fault { $0.riskFactors = ["8.3", "14", "1.12"] } == "accepted")
        #expect(
            fault { $0.areas = [.init(description: "Valley", polygons: ["1,2 3,4 5,6"])] }.hasPrefix(
                "areas[0].polygons"))
        #expect(fault { $0.areas = [.init(description: "Valley", circles: ["1,2"])] }.hasPrefix("areas[0].circles"))
        #expect(fault { $0.areas = [.init(description: " ")] }.hasPrefix("areas[0].description"))
        #expect(fault { $0.language = "english!" }.hasPrefix("language:"))
        #expect(fault { $0.expires = "tomorrow" }.hasPrefix("expires:"))
        #expect(fault { $0.expires = "2001-01-01T00:00:00Z" }.hasPrefix("expires: must be in the future"))
        #expect(fault { $0.messageType = "update" }.hasPrefix("references:"))
        #expect(fault { $0.messageType = "alarm" }.hasPrefix("message_type:"))
        #expect(fault { $0.status = "draft" }.hasPrefix("status: must be one of actual, exercise, test"))
        #expect(fault { $0.headline = String(repeating: "x", count: 201) }.hasPrefix("headline:"))
        // Proposals too.
        let proposal = ConsultationEntries.ProposalDraft(title: "Mission", action: "invasion", deadline: "1h")
        #expect(
            throws: ConsultationError.invalid(
                field: "action", reason: "one of \(ConsultationTerms.actions.keys.sorted().joined(separator: ", "))")
        ) {
            try proposal.proposal(group: "nro", bulletins: [], nowMs: 0)
        }
        let past = ConsultationEntries.ProposalDraft(
            title: "Mission", action: "other", otherAction: "Envoy", deadline: "2000-01-01T00:00:00Z")
        #expect(throws: ConsultationError.self) {
            try past.proposal(group: "nro", bulletins: [], nowMs: 1_800_000_000_000)
        }
        #expect(ConsultationEntries.time("90s", nowMs: 0) == 90_000)
        #expect(ConsultationEntries.time("7d", nowMs: 0) == 604_800_000)
        #expect(ConsultationEntries.time("soon", nowMs: 0) == nil)
    }

    /// Authentic entries that make no sense (a peer's node or operator misbehaving) are kept in
    /// the log but change nothing in the book.
    @Test func malformedOrMeaninglessEntriesChangeNothing() throws {
        var book = ConsultationBook()
        let leaf = Self.add(&book, "nro/XA/0", Self.bulletin("Rising tension"))
        let reference = try EntryReference(parsing: "nro/XA/0")
        for garbage in [[UInt8](), [0xff, 0x00, 0x13], Array(repeating: 0x0a, count: 300_000)] {
            _ = Self.add(&book, "nro/XE/9", garbage)
        }
        // An acknowledgement with no level, a vote with no position, a decision on nothing.
        _ = Self.add(
            &book, "nro/XE/0",
            ConsultationEntries.acknowledgement(of: reference, leafHash: leaf, level: .unspecified, authorTimeMs: 1))
        let proposal = ConsultationEntries.proposal(
            try ConsultationEntries.ProposalDraft(title: "Mission", action: "good-offices", deadline: "1h")
                .proposal(group: "nro", bulletins: [], nowMs: 0), authorTimeMs: 0)
        let proposalLeaf = Self.add(&book, "nro/XC/0", proposal)
        _ = Self.add(
            &book, "nro/XE/1",
            try ConsultationEntries.vote(
                on: EntryReference(parsing: "nro/XC/0"), leafHash: proposalLeaf, position: .unspecified,
                statement: "", authorTimeMs: 1))
        _ = Self.add(&book, "nro/RN/0", ConsultationEntries.decision(Tocsin_V1_Decision(), authorTimeMs: 1))
        #expect(book.bulletins.count == 1)
        #expect(book.acknowledgements(of: reference)["XE"]?.receivedMs == nil)
        #expect(!book.acknowledgedReceipt(of: reference, by: "XE"))
        // The vote is held, but its position maps to nothing the tally counts.
        let proposalReference = try EntryReference(parsing: "nro/XC/0")
        #expect(book.votes(on: proposalReference).count == 1)
        #expect(book.votes(on: proposalReference).allSatisfy { ConsultationTerms.position($0.payload.position) == nil })
        #expect(book.decisions(on: proposalReference).isEmpty)
    }
}

/// Proposals across charter versions: one naming a version a later one has replaced is judged
/// by when its convener witnessed it, not by its own time, which its author writes; one naming
/// a version not held yet waits for it.
@Suite struct ProposalVersionTests {
    @Test func aProposalBackdatedToAnOlderCharterIsVoidOnceItsWitnessingShowsIt() throws {
        let network = CharterChainTests.network
        let change = CharterChainTests.nowMs
        let second = network.charter.amended(
            version: 2, groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members, convener: "XC") : $0 } })
        let chain = try network.amendment(second, after: network.genesisChain, previous: nil, takesEffectMs: change)
            .verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let ledger = MemoryLedger(network: network)
        var machine = ConsultationMachine(
            configuration: .init(nodeID: "RN", network: network.networkID, charter: second, chain: chain))
        let origin = try ledger.origin("nro", "XA")
        var leafHashes: [EntryReference: SHA256Digest] = [:]
        func propose(writtenAt authorTimeMs: Int64, witnessedAt seconds: UInt64) throws -> EntryReference {
            let proposal = Tocsin_V1_Proposal.with {
                $0.title = "Exercise: good offices"
                $0.action = .goodOffices
                $0.deadlineMs = authorTimeMs + 86_400_000
                $0.charterVersion = 1
            }
            let bytes = ConsultationEntries.proposal(proposal, authorTimeMs: authorTimeMs)
            let (reference, leafHash) = try ledger.append(bytes, by: "XA", in: "nro")
            ledger.held[origin] = reference.index + 1
            try ledger.cosign(origin, size: reference.index + 1, by: "RN", at: seconds)
            machine.stored(reference: reference, leafHash: leafHash, bytes: bytes)
            leafHashes[reference] = leafHash
            return reference
        }
        let skew = ConsultationMachine.charterVersionSkewMs
        // Written and witnessed under version 1: judged under it (RN convenes).
        let honest = try propose(writtenAt: change - 60_000, witnessedAt: UInt64((change - 30_000) / 1000))
        // Dated before the change, witnessed by RN long after it: void.
        let backdated = try propose(writtenAt: change - 60_000, witnessedAt: UInt64((change + skew + 60_000) / 1000))
        let now = change + skew + 120_000
        #expect(machine.standing(of: honest, nowMs: now, ledger: ledger) != nil)
        #expect(machine.closingMs(of: honest, ledger: ledger) != nil)
        #expect(machine.standing(of: backdated, nowMs: now, ledger: ledger) == nil)
        #expect(machine.closingMs(of: backdated, ledger: ledger) == nil)

        // A decision on it anyway, by version 1's convener, citing that witnessing: flagged,
        // never left unjudged.
        let witnessed = try #require(ledger.feeds[origin]?.checkpoints[backdated.index + 1])
        let decision = Tocsin_V1_Decision.with {
            $0.proposal = ConsultationBook.message(backdated, leafHash: leafHashes[backdated]!)
            $0.outcome = .adopted
            $0.closedMs = now - 1_000
            $0.proposalWitnessedCheckpoint = witnessed.note.formatted
        }
        let bytes = ConsultationEntries.decision(decision, authorTimeMs: now)
        let (decisionReference, decisionLeaf) = try ledger.append(bytes, by: "RN", in: "nro")
        ledger.held[try ledger.origin("nro", "RN")] = decisionReference.index + 1
        machine.stored(reference: decisionReference, leafHash: decisionLeaf, bytes: bytes)
        let judgementsBefore = machine.judgements
        _ = machine.tick(nowMs: now, ledger: ledger)
        let findings = try #require(machine.verdicts[decisionReference])
        #expect(findings.contains { $0.text.contains("void") }, "\(findings)")
        // The verdict was reached by a tick, no entry read: what follows the consultation (the
        // console's live pages) is told by the count of judgements, which a tick with nothing
        // new leaves alone.
        #expect(machine.judgements != judgementsBefore)
        let judgementsAfter = machine.judgements
        _ = machine.tick(nowMs: now + 1_000, ledger: ledger)
        #expect(machine.judgements == judgementsAfter)
    }

    @Test func aProposalNamingAVersionNotYetHeldIsJudgedOnceItIs() throws {
        let network = CharterChainTests.network
        let change = CharterChainTests.nowMs
        let second = network.charter.amended(version: 2)
        let chain = try network.amendment(second, after: network.genesisChain, previous: nil, takesEffectMs: change)
            .verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let ledger = MemoryLedger(network: network)
        var machine = ConsultationMachine(
            configuration: .init(
                nodeID: "RN", network: network.networkID, charter: network.charter, chain: network.genesisChain))
        let proposal = Tocsin_V1_Proposal.with {
            $0.title = "Exercise: peer review"
            $0.action = .peerReview
            $0.deadlineMs = change + 86_400_000
            $0.charterVersion = 2
        }
        let bytes = ConsultationEntries.proposal(proposal, authorTimeMs: change + 1_000)
        let (reference, leafHash) = try ledger.append(bytes, by: "XA", in: "nro")
        machine.stored(reference: reference, leafHash: leafHash, bytes: bytes)
        #expect(machine.book.proposals[reference] == nil)
        machine.adopt(second, chain: chain)
        #expect(machine.book.proposals[reference] != nil)
    }

    @Test func aBulletinIsJudgedUnderTheVersionInForceAtItsOwnTimeBeforeAndAfterARestart() throws {
        let network = CharterChainTests.network
        let change = CharterChainTests.nowMs
        // Version 2 removes XB from the network.
        let second = network.charter.amended(
            version: 2, nodes: { $0.filter { $0.id != "XB" } },
            groups: { $0.map { $0.with(members: $0.members.filter { $0 != "XB" }) } })
        let chain = try network.amendment(second, after: network.genesisChain, previous: nil, takesEffectMs: change)
            .verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let ledger = MemoryLedger(network: network)
        let before = SampleEntries.bulletin(number: 1, country: "XB", authorTimeMs: change - 60_000)
        let after = SampleEntries.bulletin(number: 2, country: "XB", authorTimeMs: change + 60_000)
        let (first, firstHash) = try ledger.append(before, by: "XB", in: "sro")
        let (second2, secondHash) = try ledger.append(after, by: "XB", in: "sro")
        for charter in [network.charter, second] {
            // Running under version 1 when they arrive, or restarted under version 2: the same.
            var machine = ConsultationMachine(
                configuration: .init(nodeID: "RS", network: network.networkID, charter: charter, chain: chain))
            machine.stored(reference: first, leafHash: firstHash, bytes: before)
            machine.stored(reference: second2, leafHash: secondHash, bytes: after)
            #expect(machine.book.bulletins[first] != nil, "under version \(charter.version)")
            #expect(machine.book.bulletins[second2] == nil, "under version \(charter.version)")
        }
    }
}
