import Foundation
import TocsinCore
import TocsinCrypto

/// Entries into two consultation machines (the convener RN's and the member XA's): genuine
/// entries that reference each other (a bulletin, its acknowledgement and update, a proposal,
/// votes, a decision), the same with a byte changed, or raw bytes at any reference; ticks at
/// any time; standings and verdicts asked for. Nothing a log can hold may make a node fail.
enum ConsultationFuzzing {
    struct Template {
        let reference: EntryReference
        let bytes: [UInt8]
    }

    /// Entries of nro that name each other by leaf hash.
    static let templates: [Template] = {
        var templates: [Template] = []
        func add(_ group: String, _ author: String, _ index: UInt64, _ bytes: [UInt8]) -> (EntryReference, SHA256Digest)
        {
            let reference = EntryReference(group: group, author: author, index: index)
            templates.append(Template(reference: reference, bytes: bytes))
            return (reference, MerkleHash.leaf(bytes))
        }
        let draft = BulletinDraft(headline: "Exercise: unrest in XC", severity: "moderate", country: "XC")
        let bulletin = add("nro", "XC", 0, (try? draft.entry(authorTimeMs: 1_000)) ?? [])
        _ = add(
            "nro", "XA", 0,
            ConsultationEntries.acknowledgement(
                of: bulletin.0, leafHash: bulletin.1, level: .received, authorTimeMs: 1_500))
        var proposal = Tocsin_V1_Proposal()
        proposal.title = "A fact-finding mission"
        proposal.action = .factFindingMission
        proposal.deadlineMs = 100_000
        proposal.bulletins = [ConsultationBook.message(bulletin.0, leafHash: bulletin.1)]
        let tabled = add("nro", "XC", 1, ConsultationEntries.proposal(proposal, authorTimeMs: 2_000))
        let endorse = add(
            "nro", "XA", 1,
            (try? ConsultationEntries.vote(
                on: tabled.0, leafHash: tabled.1, position: .endorse, statement: "", authorTimeMs: 3_000)) ?? [])
        _ = add(
            "nro", "XC", 2,
            (try? ConsultationEntries.vote(
                on: tabled.0, leafHash: tabled.1, position: .object, statement: "no", authorTimeMs: 4_000)) ?? [])
        var decision = Tocsin_V1_Decision()
        decision.proposal = ConsultationBook.message(tabled.0, leafHash: tabled.1)
        decision.outcome = .adopted
        decision.closedMs = 50_000
        decision.votes = [
            .with {
                $0.vote = ConsultationBook.message(endorse.0, leafHash: endorse.1)
                $0.position = .endorse
                $0.witnessedCheckpoint = FuzzFixture.shared.cosigned[0].note.formatted
            }
        ]
        _ = add("nro", "RN", 0, ConsultationEntries.decision(decision, authorTimeMs: 60_000))
        let update = BulletinChanges(severity: "extreme")
        if let current = try? draft.bulletin(),
            let revised = try? update.update(of: current, original: bulletin, now: Date(timeIntervalSince1970: 5)),
            let bytes = try? BulletinDraft.entry(revised, authorTimeMs: 5_000)
        {
            _ = add("nro", "XC", 3, bytes)
        }
        return templates
    }()

    /// Witnessing as the input says: a timestamp for some entries, never a root (audits wait).
    final class Ledger: ConsultationLedger {
        var timestamps: [EntryReference: UInt64] = [:]

        func witnessing(of index: UInt64, in origin: FeedOrigin, by witness: String) -> Witnessing? {
            let reference = EntryReference(group: origin.group, author: origin.author, index: index)
            guard let timestamp = timestamps[reference] else { return nil }
            return Witnessing(timestamp: timestamp, checkpoint: FuzzFixture.shared.cosigned[0])
        }

        func root(of origin: FeedOrigin, size: UInt64) -> SHA256Digest? { nil }
    }

    static func run(_ bytes: [UInt8]) {
        let fixture = FuzzFixture.shared
        var input = FuzzInput(bytes)
        var machines = ["RN", "XA"].map { id in
            ConsultationMachine(
                configuration: .init(nodeID: id, network: fixture.network.networkID, charter: fixture.network.charter))
        }
        let ledger = Ledger()
        let groups = ["nro", "sro", "all", "x"]
        let authors = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1", ""]

        func store(_ reference: EntryReference, _ bytes: [UInt8]) {
            _ = try? EntryDecoder.decode(bytes)
            _ = EntrySummary(bytes: bytes)
            for index in machines.indices {
                machines[index].stored(reference: reference, leafHash: MerkleHash.leaf(bytes), bytes: bytes)
            }
        }
        func time() -> Int64 { Int64(bitPattern: input.uint64()) }

        var steps = 0
        while !input.isAtEnd, steps < 48 {
            steps += 1
            switch input.byte() % 7 {
            case 0:
                let template = templates[Int(input.byte()) % templates.count]
                store(template.reference, template.bytes)
            case 1:
                let template = templates[Int(input.byte()) % templates.count]
                var bytes = template.bytes
                guard !bytes.isEmpty else { continue }
                bytes[input.uint16() % bytes.count] = input.byte()
                store(template.reference, bytes)
            case 2:
                let reference = EntryReference(
                    group: groups[Int(input.byte()) % groups.count], author: authors[Int(input.byte()) % authors.count],
                    index: input.uint64() >> UInt64(input.byte() % 64))
                store(reference, input.take(input.uint16() % 2048))
            case 3:
                let template = templates[Int(input.byte()) % templates.count]
                ledger.timestamps[template.reference] = input.uint64() >> UInt64(input.byte() % 64)
            case 4:
                let now = time()
                for index in machines.indices {
                    for action in machines[index].tick(nowMs: now, ledger: ledger) {
                        if case .append(let group, _, let purpose) = action {
                            _ = machines[index].appendFailed(purpose, reason: "fuzzing: \(group)")
                        }
                    }
                }
            case 5:
                let now = time()
                for machine in machines {
                    for template in templates {
                        _ = machine.standing(of: template.reference, nowMs: now, ledger: ledger)
                        _ = machine.verdicts(on: template.reference)
                        _ = machine.voteVerdict(on: template.reference)
                    }
                }
            default:
                for index in machines.indices { machines[index].compact() }
            }
        }
    }
}
