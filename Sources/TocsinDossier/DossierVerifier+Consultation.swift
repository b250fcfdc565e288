import TocsinCore
import TocsinCrypto

extension DossierVerifier {
    // MARK: - Step 6: completeness

    mutating func checkCompleteness() {
        for subject in verification.manifest?.subjects ?? [] {
            guard let reference = try? EntryReference(parsing: subject), entries[reference] != nil else {
                verification.fail(
                    "manifest.json", "the subject \(subject) is not an entry of the dossier that verifies")
                return
            }
        }
        var failed = false
        for reference in referencesInPathOrder {
            let (bytes, _, path) = entries[reference]!
            guard let entry = try? EntryDecoder.decode(bytes) else { continue }
            var needed: [Tocsin_V1_EntryReference] = []
            switch entry.payload {
            case .decision(let decision): needed = [decision.proposal] + decision.votes.map(\.vote)
            case .proposal(let proposal): needed = proposal.bulletins
            case .acknowledgement(let acknowledgement): needed = [acknowledgement.bulletin]
            case .bulletin(let bulletin): needed = bulletin.references
            case .referral(let referral): needed = [referral.decision]
            default: break
            }
            for target in needed {
                let named = ConsultationBook.reference(target)
                guard let held = entries[named], held.leafHash.bytes == Array(target.leafHash) else {
                    verification.fail(
                        path,
                        "\(entry.payloadName) \(reference) names \(named), which the dossier does not hold (with that leaf hash)"
                    )
                    failed = true
                    break
                }
            }
        }
        if !failed { verification.pass("dossier", "every entry an entry of the dossier names is in it") }
    }

    // MARK: - Step 7: the consultation

    mutating func checkConsultation() {
        guard let chain, var story = verification.story else { return }
        // A referral's dossier is verified as a dossier, one level down (PROTOCOL.md §11, step 7).
        var check: ConsultationMachine.ReferralDossierCheck?
        if followReferrals {
            check = { @Sendable [network] dossier, decision, chain in
                DossierVerifier.referredDecision(in: dossier, decision: decision, network: network, chain: chain)
            }
        }
        var machine = ConsultationMachine(
            configuration: .init(
                nodeID: "-", network: network, charter: chain.latest.charter, chain: chain, referralDossierCheck: check)
        )
        // Feed by feed in the path order of their files, each in index order (PROTOCOL.md §11,
        // step 7): "the first stored" means the first in this order.
        let feedOrder = entries.keys.sorted {
            let (left, right) = ("\($0.group)/\($0.author)", "\($1.group)/\($1.author)")
            return left == right
                ? $0.index < $1.index : Array(left.utf8).lexicographicallyPrecedes(Array(right.utf8))
        }
        for reference in feedOrder {
            let (bytes, leafHash, _) = entries[reference]!
            machine.stored(reference: reference, leafHash: leafHash, bytes: bytes)
        }
        let nowMs = Int64.max / 2
        _ = machine.tick(nowMs: nowMs, ledger: ledger)

        for reference in referencesInPathOrder {
            let (bytes, _, path) = entries[reference]!
            guard let entry = try? EntryDecoder.decode(bytes) else { continue }
            switch entry.payload {
            // A bulletin is told only when its author may issue it, and what it revises only
            // when the revision is permitted (the book keeps the rest apart, as every node does).
            case .bulletin(let bulletin) where machine.book.bulletins[reference] != nil:
                let original = machine.book.original(of: reference)
                let refused = machine.book.state(of: original)?.refused.contains(reference) == true
                story.bulletins.append(
                    DossierStory.Bulletin(
                        reference: reference.description, messageType: EntrySummary.name(of: bulletin.messageType),
                        author: reference.author, group: reference.group, headline: bulletin.headline,
                        country: bulletin.situation.country, severity: EntrySummary.name(of: bulletin.severity),
                        urgency: EntrySummary.name(of: bulletin.urgency),
                        certainty: EntrySummary.name(of: bulletin.certainty), description: bulletin.description_p,
                        revises: refused ? [] : bulletin.references.map { ConsultationBook.reference($0).description }))
            case .decision(let decision):
                let proposal = ConsultationBook.reference(decision.proposal)
                let convener = machine.group(of: proposal)?.convener
                guard let findings = machine.verdicts[reference] else {
                    verification.fail(
                        path,
                        "decision \(reference) decides \(proposal), which is void or not judged: it decides nothing")
                    continue
                }
                if convener == reference.author, !findings.isEmpty {
                    verification.fail(
                        path,
                        "decision \(reference) does not hold: \(findings.map(\.text).joined(separator: "; "))")
                } else if findings.isEmpty {
                    verification.pass(path, "decision \(reference) holds: it follows from the votes and the charter")
                } else {
                    verification.pass(
                        path,
                        "decision \(reference) by \(reference.author), not the convener, is flagged and decides nothing"
                    )
                }
            case .referral(let referral):
                guard let findings = machine.referralVerdicts[reference] else {
                    verification.fail(path, "referral \(reference) cannot be judged: its decision is not judged")
                    continue
                }
                // Only the convener's referral must count: anyone may write one that does not,
                // and a dossier may show it, as it shows a decision by someone else.
                let decision = ConsultationBook.reference(referral.decision)
                let byConvener =
                    machine.heldDecision(decision).flatMap {
                        machine.group(of: ConsultationBook.reference($0.payload.proposal))?.convener
                    } == reference.author
                let alreadyReferred =
                    machine.book.referrals[decision]?.prefix { $0.reference != reference }.contains {
                        machine.referralVerdicts[$0.reference]?.isEmpty == true
                    } == true
                if findings.isEmpty {
                    verification.pass(path, "referral \(reference) counts: its decision holds and its dossier verifies")
                } else if byConvener && !alreadyReferred {
                    verification.fail(path, "referral \(reference) does not count: \(findings.joined(separator: "; "))")
                } else {
                    verification.pass(
                        path,
                        "referral \(reference) does not count (\(findings.joined(separator: "; "))), and refers nothing"
                    )
                }
                story.referrals.append(
                    DossierStory.Referral(
                        reference: reference.description,
                        decision: ConsultationBook.reference(referral.decision).description,
                        observers: referral.observers, receipts: [], findings: findings))
            default:
                break
            }
        }
        let referralReceipts = receipts(named: Set(story.referrals.map(\.reference)))
        story.referrals = story.referrals.map { referral in
            DossierStory.Referral(
                reference: referral.reference, decision: referral.decision, observers: referral.observers,
                receipts: referralReceipts.filter {
                    $0.target == referral.reference && referral.observers.contains($0.member)
                },
                findings: referral.findings)
        }
        story.bulletins.sort {
            (evidence[$0.reference]?.authorTimeMs ?? 0, $0.reference) < (
                evidence[$1.reference]?.authorTimeMs ?? 0, $1.reference
            )
        }
        story.receipts = receipts(named: Set(story.bulletins.map(\.reference)))
        story.proposals = machine.book.proposals.keys.sorted().compactMap { proposalStory($0, machine: machine) }
        for proposal in story.proposals {
            guard let tally = proposal.tally else { continue }
            verification.pass(
                "entries/\(proposal.reference).json",
                "tally of \(proposal.reference) under charter version \(tally.charterVersion) (\(tally.policy)): \(tally.endorsements) endorse, \(tally.objections) object, \(tally.abstentions) abstain of \(tally.votingMembers.count) voting members: \(tally.outcome ?? "open")"
            )
        }
        story.evidence = evidence
        verification.story = story
    }

    /// The entries that verified, in the byte order of their files' paths: the order in which
    /// checks name the first element that fails.
    var referencesInPathOrder: [EntryReference] {
        entries.keys.sorted { Array(entries[$0]!.path.utf8).lexicographicallyPrecedes(Array(entries[$1]!.path.utf8)) }
    }

    /// Each member's first acknowledgement of each level of the bulletins `named`.
    func receipts(named: Set<String>) -> [DossierStory.Receipt] {
        var levels: [String: [String: [DossierStory.Receipt.Level]]] = [:]
        for reference in entries.keys.sorted() {
            guard let entry = try? EntryDecoder.decode(entries[reference]!.bytes),
                case .acknowledgement(let acknowledgement) = entry.payload
            else { continue }
            let targetReference = ConsultationBook.reference(acknowledgement.bulletin)
            let target = targetReference.description
            // Counted as every node counts it: in the target's group, not by its author, naming
            // the entry held with its leaf hash.
            guard named.contains(target), acknowledgement.level != .unspecified,
                Permissions.acknowledgement(by: reference.author, in: reference.group, of: targetReference)
                    == .permitted,
                entries[targetReference]?.leafHash.bytes == Array(acknowledgement.bulletin.leafHash)
            else { continue }
            let level = EntrySummary.name(of: acknowledgement.level)
            var held = levels[target, default: [:]][reference.author, default: []]
            guard !held.contains(where: { $0.level == level }) else { continue }
            held.append(
                DossierStory.Receipt.Level(
                    level: level, reference: reference.description, authorTimeMs: entry.authorTimeMs))
            levels[target, default: [:]][reference.author] = held
        }
        let order = ["received", "read", "acted-on"]
        return levels.keys.sorted().flatMap { target in
            levels[target]!.keys.sorted().map { member in
                DossierStory.Receipt(
                    target: target, member: member,
                    levels: levels[target]![member]!.sorted {
                        (order.firstIndex(of: $0.level) ?? 3) < (order.firstIndex(of: $1.level) ?? 3)
                    })
            }
        }
    }

    func proposalStory(_ reference: EntryReference, machine: ConsultationMachine) -> DossierStory.Proposal? {
        guard let held = machine.book.proposals[reference], let charter = machine.charter(of: reference),
            let group = charter.group(reference.group)
        else { return nil }
        let proposal = held.payload
        let standing = machine.standing(of: reference, nowMs: Int64.max / 2, ledger: ledger)
        let counted = Set(standing?.counted.map(\.reference) ?? [])
        let convenerWitness = WitnessName.of(node: group.convener, network: network)
        func convenerTime(_ entry: EntryReference) -> Int64? {
            guard let origin = try? FeedOrigin(network: network, group: entry.group, author: entry.author) else {
                return nil
            }
            return ledger.witnessing(of: entry.index, in: origin, by: convenerWitness)?.milliseconds
        }
        let votes = machine.book.votes(on: reference).filter { $0.leafHash == entries[$0.reference]?.leafHash }.map {
            DossierStory.Vote(
                reference: $0.reference.description, voter: $0.reference.author,
                position: EntrySummary.name(of: $0.payload.position), statement: $0.payload.statement,
                convenerWitnessedMs: convenerTime($0.reference), counted: counted.contains($0.reference))
        }
        let decisions = machine.book.decisions(on: reference).compactMap { item -> DossierStory.Decision? in
            guard let findings = machine.verdicts[item.reference] else { return nil }
            return DossierStory.Decision(
                reference: item.reference.description, author: item.reference.author,
                outcome: EntrySummary.name(of: item.payload.outcome), closedMs: item.payload.closedMs,
                statement: item.payload.statement, findings: findings.map(\.text),
                byConvener: item.reference.author == group.convener)
        }
        let rules = Tally.Rules(proposal: proposal, group: group, charter: charter)
        let tally = standing.map {
            DossierStory.Tally(
                charterVersion: charter.version, policy: rules.policy.rawValue, quorumPercent: rules.quorumPercent,
                votingMembers: rules.votingMembers.sorted(), endorsements: $0.endorsements, objections: $0.objections,
                abstentions: $0.abstentions, outcome: $0.outcome?.rawValue, explanation: $0.explanation)
        }
        return DossierStory.Proposal(
            reference: reference.description, proposer: reference.author, title: proposal.title,
            action: EntrySummary.name(of: proposal.action), rationale: proposal.rationale,
            deadlineMs: proposal.deadlineMs, convener: group.convener, convenerWitnessedMs: convenerTime(reference),
            votes: votes, tally: tally, decisions: decisions)
    }
}

extension Tocsin_V1_Entry {
    /// The payload's kind, in words (`decision`).
    var payloadName: String { EntrySummary(self).kind }
}
