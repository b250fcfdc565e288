import Foundation
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// The log as a test holds it in memory: every feed's entries with a signed checkpoint after
/// each append, and the cosignatures witnesses add to them. Answers the consultation
/// machine's questions as a node's store would.
final class MemoryLedger: ConsultationLedger {
    struct Feed {
        var author: FeedAuthor
        var entries: [[UInt8]] = []
        /// The checkpoint at each size, with the cosignatures added so far.
        var checkpoints: [UInt64: SignedCheckpoint] = [:]
        /// Checkpoints with cosignatures that exist but never reach the node under test.
        var unseen: [UInt64: SignedCheckpoint] = [:]
    }

    let network: FictionalNetwork
    private(set) var feeds: [FeedOrigin: Feed] = [:]
    /// How much of each feed has been delivered to the node: what lies beyond has no root and
    /// no witnessing yet, as far as the node can tell.
    var held: [FeedOrigin: UInt64] = [:]

    init(network: FictionalNetwork) {
        self.network = network
    }

    func origin(_ group: String, _ author: String) throws -> FeedOrigin {
        try FeedOrigin(network: network.networkID, group: group, author: author)
    }

    /// Appends one entry to `author`'s feed in `group`, with a checkpoint signed by the author.
    func append(_ entry: [UInt8], by author: String, in group: String) throws -> (EntryReference, SHA256Digest) {
        let origin = try origin(group, author)
        var feed = feeds[origin] ?? Feed(author: FeedAuthor(origin: origin, key: network.member(author)!.key))
        let batch = try feed.author.append([entry])
        feed.entries.append(entry)
        feed.checkpoints[batch.checkpoint.checkpoint.size] = batch.checkpoint
        feeds[origin] = feed
        return (EntryReference(group: group, author: author, index: batch.firstIndex), batch.leafHashes[0])
    }

    /// `witness` cosigns the checkpoint of `origin` at `size`, at `timestamp` (POSIX seconds).
    /// With `seen` false, the cosigned checkpoint never reaches the node under test.
    func cosign(_ origin: FeedOrigin, size: UInt64, by witness: String, at timestamp: UInt64, seen: Bool = true) throws
    {
        guard
            let checkpoint = seen
                ? feeds[origin]?.checkpoints[size] : feeds[origin]?.unseen[size] ?? feeds[origin]?.checkpoints[size]
        else {
            throw DataDrivenError(file: "", line: 0, reason: "no checkpoint of \(origin.shortName) at size \(size)")
        }
        let cosignature = try Cosignature.sign(
            checkpoint.checkpoint, witnessName: WitnessName.of(node: witness, network: network.networkID),
            key: network.member(witness)!.key, timestamp: timestamp)
        if seen {
            feeds[origin]!.checkpoints[size] = checkpoint.adding(cosignature)
        } else {
            feeds[origin]!.unseen[size] = checkpoint.adding(cosignature)
        }
    }

    func entry(_ reference: EntryReference) throws -> [UInt8]? {
        let origin = try origin(reference.group, reference.author)
        guard let entries = feeds[origin]?.entries, reference.index < entries.count else { return nil }
        return entries[Int(reference.index)]
    }

    func witnessing(of index: UInt64, in origin: FeedOrigin, by witness: String) -> Witnessing? {
        witnessing(of: index, in: origin, by: witness, upTo: held[origin, default: 0])
    }

    /// The witnessing as a node holding `limit` entries of the feed sees it (the author of a
    /// decision, say, who may hold more than the node under test).
    func witnessing(
        of index: UInt64, in origin: FeedOrigin, by witness: String, upTo limit: UInt64, unseen: Bool = false
    ) -> Witnessing? {
        var best: Witnessing?
        let checkpoints =
            Array((feeds[origin]?.checkpoints ?? [:]).values)
            + (unseen ? Array((feeds[origin]?.unseen ?? [:]).values) : [])
        for checkpoint in checkpoints where checkpoint.checkpoint.size > index && checkpoint.checkpoint.size <= limit {
            for cosignature in checkpoint.cosignatures where cosignature.witnessName == witness {
                if best == nil || cosignature.timestamp < best!.timestamp {
                    best = Witnessing(timestamp: cosignature.timestamp, checkpoint: checkpoint)
                }
            }
        }
        return best
    }

    func root(of origin: FeedOrigin, size: UInt64) -> SHA256Digest? {
        guard let entries = feeds[origin]?.entries, size <= entries.count, size <= held[origin, default: 0] else {
            return nil
        }
        return MerkleTree(entries: Array(entries.prefix(Int(size)))).root
    }
}

/// Runs a consultation transcript (`testdata/consultation/*.txt`) against one node's
/// `ConsultationMachine`: entries written by anyone, cosignatures, ticks of time; the machine's
/// actions printed. The node carries its appends out at once (appending to its own feed and
/// reading them back), unless the tick says they fail.
///
/// Commands (times in milliseconds since 1970, cosignature times in POSIX seconds):
/// - `network [policy=majority]`: nro = RN (convener), XA, XC; sro = RS, XB, XD; all = every
///   node (convener RN), OBS1 included.
/// - `node ID [grace=MS]`: the node whose machine runs.
/// - `bulletin AUTHOR GROUP at=MS [headline="…"]`; `update AUTHOR REF at=MS [severity=…]`;
///   `cancel AUTHOR REF at=MS`; `acknowledge AUTHOR REF level=read|acted-on at=MS`;
///   `propose AUTHOR GROUP deadline=MS at=MS [policy=…]`; `vote AUTHOR REF endorse|object|abstain at=MS`;
///   `decide AUTHOR REF outcome=… closed=MS at=MS [counts=REF,REF]`: an entry written, replicated
///   and stored by the node (prints its reference).
/// - `cosign GROUP/AUTHOR size=N by=WITNESS at=S [seen=no]`: a witness's cosignature arrives
///   (`seen=no`: it exists, and a decision may cite it, but this checkpoint never reaches the
///   node under test).
/// - `decide … [proposal-witnessed=none]`: the decision cites the convener's first witnessing
///   of the proposal as `proposal_witnessed_checkpoint`, unless `none`.
/// - `network [policy=P] [deliberation=MINUTES]`: the fictional network every group of which
///   decides by P and gives MINUTES between a proposal and its deadline.
/// - `replay`: the node (just made with `node`) reads the whole log of its groups, as at start.
/// - Any write takes `delivered=no`: the entry is in the network but has not reached the node
///   (nor has anything after it in that feed); `deliver GROUP/AUTHOR` brings them.
/// - `tick at=MS [fail="reason"]`: the machine's actions, then what reporting each append gives.
/// - `standing REF at=MS`, `verdicts REF`: what the node reports (the standing with when
///   voting closes).
final class ConsultationTranscript {
    var network: FictionalNetwork!
    var ledger: MemoryLedger!
    var machine: ConsultationMachine!
    /// Cached across transcripts: keys and certificates take a moment to make.
    nonisolated(unsafe) static var networks: [String: FictionalNetwork] = [:]

    func run(_ test: DataDriven.Case) throws -> String {
        func argument(_ name: String) throws -> String {
            guard let value = test.arguments[name] else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(test.command) needs \(name)=")
            }
            return value
        }
        func time(_ name: String = "at") throws -> Int64 {
            guard let value = Int64(try argument(name)) else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(name) must be a number")
            }
            return value
        }
        func positional(_ index: Int) throws -> String {
            guard index < test.positional.count else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(test.command) needs more arguments")
            }
            return test.positional[index]
        }
        func reference(_ index: Int) throws -> EntryReference { try EntryReference(parsing: try positional(index)) }
        let deliver = test.arguments["delivered"] != "no"

        switch test.command {
        case "network":
            let policy = Charter.Policy(rawValue: test.arguments["policy"] ?? "majority")!
            let deliberation = Int(test.arguments["deliberation"] ?? "0")!
            let key = "\(policy.rawValue)/\(deliberation)"
            if Self.networks[key] == nil {
                Self.networks[key] = try FictionalNetwork.make(
                    nationals: 4, relays: 2, observers: 1, now: Date(), policy: policy,
                    deliberationMinutes: deliberation)
            }
            network = Self.networks[key]!
            ledger = MemoryLedger(network: network)
            return network.charter.groups.map {
                "\($0.id): \($0.members.joined(separator: " ")); convener \($0.convener); \($0.policy.rawValue)"
                    + ($0.deliberationMinutes > 0 ? "; \($0.deliberationMinutes) minutes to deliberate" : "")
            }.joined(separator: "\n")
        case "node":
            // `dossiers=proving`: a referral's dossier proves the decision and the proposal it
            // carries (the transcript's stand-in for a dossier is those two entries), as a
            // verified dossier would; `dossiers=refusing`: every dossier fails to verify.
            var check: ConsultationMachine.ReferralDossierCheck?
            switch test.arguments["dossiers"] {
            case "proving": check = Self.provingDossierCheck
            case "refusing": check = { _, _, _ in .failure(.init("its checkpoint is not signed by RN")) }
            case "newer":
                // Dossiers made under version 2 of the charter, which the node holds only
                // after `amend`.
                check = { dossier, decision, chain in
                    guard let chain, chain.latest.version >= 2 else {
                        return .failure(.init("it names charter version 2, which is not one this node holds"))
                    }
                    return Self.provingDossierCheck(dossier, decision, chain)
                }
            default: check = nil
            }
            machine = ConsultationMachine(
                configuration: .init(
                    nodeID: try positional(0), network: network.networkID, charter: network.charter,
                    deadlineGraceMs: Int64(test.arguments["grace"] ?? "2000")!, referralDossierCheck: check))
            return "ok"
        case "bulletin":
            var draft = BulletinDraft(
                headline: test.arguments["headline"] ?? "Exercise: warning signs", severity: "severe",
                country: test.arguments["country"] ?? "XA")
            draft.status = "exercise"
            return try write(
                try draft.entry(authorTimeMs: try time()), by: try positional(0), in: try positional(1),
                deliver: deliver)
        case "update", "cancel":
            let target = try reference(1)
            guard let bytes = try ledger.entry(target),
                case .bulletin(let original) = try EntryDecoder.decode(bytes).payload
            else { throw DataDrivenError(file: "", line: test.line, reason: "\(target) is not a bulletin") }
            let held = (target, MerkleHash.leaf(bytes))
            let now = Date(timeIntervalSince1970: Double(try time()) / 1000)
            let revision =
                test.command == "update"
                ? try BulletinChanges(severity: test.arguments["severity"] ?? "extreme").update(
                    of: original, original: held, now: now)
                : try BulletinChanges.cancel(of: original, original: held, reason: nil)
            return try write(
                try BulletinDraft.entry(revision, authorTimeMs: try time()), by: try positional(0), in: target.group,
                deliver: deliver)
        case "acknowledge":
            let target = try reference(1)
            guard let bytes = try ledger.entry(target) else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(target) is not held")
            }
            let level = try ConsultationTerms.value(try argument("level"), in: ConsultationTerms.levels, field: "level")
            return try write(
                ConsultationEntries.acknowledgement(
                    of: target, leafHash: MerkleHash.leaf(bytes), level: level, authorTimeMs: try time()),
                by: try positional(0), in: target.group, deliver: deliver)
        case "propose":
            var proposal = Tocsin_V1_Proposal()
            proposal.title = "A fact-finding mission"
            proposal.action = .factFindingMission
            if let action = test.arguments["action"] {
                proposal.action = try ConsultationTerms.value(action, in: ConsultationTerms.actions, field: "action")
            }
            proposal.deadlineMs = try time("deadline")
            if let policy = test.arguments["policy"] {
                proposal.policy = try ConsultationTerms.value(policy, in: ConsultationTerms.policies, field: "policy")
            }
            return try write(
                ConsultationEntries.proposal(proposal, authorTimeMs: try time()), by: try positional(0),
                in: try positional(1), deliver: deliver)
        case "vote":
            let target = try reference(1)
            guard let bytes = try ledger.entry(target) else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(target) is not held")
            }
            let position = try ConsultationTerms.value(
                try positional(2), in: ConsultationTerms.positions, field: "position")
            return try write(
                try ConsultationEntries.vote(
                    on: target, leafHash: MerkleHash.leaf(bytes), position: position, statement: "",
                    authorTimeMs: try time()), by: try positional(0), in: target.group, deliver: deliver)
        case "decide":
            let target = try reference(1)
            guard let bytes = try ledger.entry(target) else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(target) is not held")
            }
            var decision = Tocsin_V1_Decision()
            decision.proposal = ConsultationBook.message(target, leafHash: MerkleHash.leaf(bytes))
            decision.outcome = try ConsultationTerms.value(
                try argument("outcome"), in: ConsultationTerms.outcomes, field: "outcome")
            decision.closedMs = try time("closed")
            let author = try positional(0)
            // The convener cites its first witnessing of the proposal, unless told not to.
            if test.arguments["proposal-witnessed"] != "none" {
                decision.proposalWitnessedCheckpoint =
                    ledger.witnessing(
                        of: target.index, in: try ledger.origin(target.group, target.author),
                        by: WitnessName.of(node: author, network: network.networkID), upTo: .max, unseen: true)?
                    .checkpoint.note.formatted ?? ""
            }
            for text in (test.arguments["counts"] ?? "").split(separator: ",") {
                let vote = try EntryReference(parsing: String(text))
                guard let voteBytes = try ledger.entry(vote),
                    case .vote(let message) = try EntryDecoder.decode(voteBytes).payload
                else { throw DataDrivenError(file: "", line: test.line, reason: "\(vote) is not a vote") }
                // The convener writes from its own log, which holds the whole feed.
                let witnessing = ledger.witnessing(
                    of: vote.index, in: try ledger.origin(vote.group, vote.author),
                    by: WitnessName.of(node: author, network: network.networkID), upTo: .max, unseen: true)
                decision.votes.append(
                    .with {
                        $0.vote = ConsultationBook.message(vote, leafHash: MerkleHash.leaf(voteBytes))
                        $0.position = message.position
                        $0.witnessedCheckpoint = witnessing?.checkpoint.note.formatted ?? ""
                    })
            }
            return try write(
                ConsultationEntries.decision(decision, authorTimeMs: try time()), by: author, in: target.group,
                deliver: deliver)
        case "refer":
            // `refer AUTHOR DECISION in=GROUP observers=A,B`: a referral written by hand.
            let target = try reference(1)
            guard let bytes = try ledger.entry(target) else {
                throw DataDrivenError(file: "", line: test.line, reason: "\(target) is not held")
            }
            return try write(
                ConsultationEntries.referral(
                    of: target, leafHash: MerkleHash.leaf(bytes),
                    observers: (test.arguments["observers"] ?? "").split(separator: ",").map(String.init),
                    dossier: try dossier(of: target), authorTimeMs: try time()),
                by: try positional(0), in: test.arguments["in"] ?? target.group, deliver: deliver)
        case "referrals":
            let held = machine.book.referrals[try reference(0)] ?? []
            guard !held.isEmpty else { return "no referral" }
            return held.map { referral in
                guard let findings = machine.referralVerdicts[referral.reference] else {
                    return "\(referral.reference): not judged yet"
                }
                return findings.isEmpty
                    ? "\(referral.reference): counts"
                    : "\(referral.reference): does not count\n" + findings.map { "  \($0)" }.joined(separator: "\n")
            }.joined(separator: "\n")
        case "deliver":
            // `deliver GROUP/AUTHOR`: the entries of that feed written with `delivered=no` reach
            // the node.
            let feed = try positional(0).split(separator: "/").map(String.init)
            guard feed.count == 2 else {
                throw DataDrivenError(file: "", line: test.line, reason: "deliver GROUP/AUTHOR")
            }
            let origin = try ledger.origin(feed[0], feed[1])
            let entries = ledger.feeds[origin]?.entries ?? []
            let from = Int(ledger.held[origin, default: 0])
            for index in from..<entries.count {
                machine.stored(
                    reference: EntryReference(group: origin.group, author: origin.author, index: UInt64(index)),
                    leafHash: MerkleHash.leaf(entries[index]), bytes: entries[index])
            }
            ledger.held[origin] = UInt64(entries.count)
            return "delivered \(entries.count - from) entries"
        case "amend":
            // The authority's amendment to version 2 (the same groups), taking effect `at`.
            let second = network.charter.amended(version: 2)
            let signedAt = Date(timeIntervalSince1970: Double(try time() - 1_000) / 1000)
            let chain = try network.amendment(
                second, after: network.genesisChain, previous: nil, takesEffectMs: try time(), now: signedAt
            ).verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
            machine.adopt(chain.latest.charter, chain: chain)
            return "version \(chain.latest.version)"
        case "replay":
            // A node starting on a store that holds the whole log (of the groups it may see).
            let permissions = Permissions(charter: network.charter)
            var count = 0
            for (origin, feed) in ledger.feeds.sorted(by: { $0.key < $1.key })
            where permissions.permits(machine.configuration.nodeID, .see(group: origin.group)) {
                for (index, entry) in feed.entries.enumerated() {
                    machine.stored(
                        reference: EntryReference(group: origin.group, author: origin.author, index: UInt64(index)),
                        leafHash: MerkleHash.leaf(entry), bytes: entry)
                    count += 1
                }
                ledger.held[origin] = UInt64(feed.entries.count)
            }
            return "read \(count) entries"
        case "cosign":
            let feed = try positional(0).split(separator: "/").map(String.init)
            guard feed.count == 2, let size = UInt64(try argument("size")), let at = UInt64(try argument("at")) else {
                throw DataDrivenError(file: "", line: test.line, reason: "cosign GROUP/AUTHOR size=N by=ID at=S")
            }
            try ledger.cosign(
                try ledger.origin(feed[0], feed[1]), size: size, by: try argument("by"), at: at,
                seen: test.arguments["seen"] != "no")
            return "ok"
        case "tick":
            let now = try time()
            var output: [String] = []
            for action in machine.tick(nowMs: now, ledger: ledger) {
                output += try carryOut(action, failing: test.arguments["fail"])
            }
            return output.isEmpty ? "ok" : output.joined(separator: "\n")
        case "standing":
            guard let standing = machine.standing(of: try reference(0), nowMs: try time(), ledger: ledger) else {
                return "no proposal (none held, or void)"
            }
            let closes = machine.closingMs(of: try reference(0), ledger: ledger)
            return [
                "closes: \(closes.map(String.init) ?? "not known (the convener has not witnessed it)")",
                "\(standing.outcome?.rawValue ?? "open")\(standing.isFinal ? " (final)" : ""): \(standing.explanation)",
                "counted: \(standing.counted.isEmpty ? "none" : standing.counted.map { "\($0.reference) \($0.position.rawValue)" }.joined(separator: ", "))",
            ].joined(separator: "\n")
        case "verdicts":
            let verdicts = machine.verdicts(on: try reference(0))
            guard !verdicts.isEmpty else { return "no decision" }
            return verdicts.map { decision, findings in
                guard let findings else { return "\(decision): not judged yet" }
                return findings.isEmpty
                    ? "\(decision): holds"
                    : "\(decision): flagged\n" + findings.map { "  \($0.text)" }.joined(separator: "\n")
            }.joined(separator: "\n")
        default:
            throw DataDrivenError(file: "", line: test.line, reason: "unknown command \(test.command)")
        }
    }

    /// Writes an entry to `author`'s feed and, unless `deliver` is false, delivers it (and
    /// everything before it) to the node; prints its reference.
    func write(_ entry: [UInt8], by author: String, in group: String, deliver: Bool = true) throws -> String {
        let (reference, leafHash) = try ledger.append(entry, by: author, in: group)
        let origin = try ledger.origin(group, author)
        if deliver && ledger.held[origin, default: 0] == reference.index {
            machine.stored(reference: reference, leafHash: leafHash, bytes: entry)
            ledger.held[origin] = reference.index + 1
        }
        return reference.description + (deliver ? "" : " (not delivered)")
    }

    /// The transcript's stand-in for a decision's dossier: the decision's entry and its
    /// proposal's, as an `Entries` message (what `provingDossierCheck` reads back).
    func dossier(of decision: EntryReference) throws -> [UInt8] {
        guard let bytes = try ledger.entry(decision) else { return [] }
        var carried = Tocsin_V1_Entries()
        carried.origin = decision.description
        carried.entries = [Data(bytes)]
        if case .decision(let payload) = try? EntryDecoder.decode(bytes).payload,
            let proposal = try ledger.entry(ConsultationBook.reference(payload.proposal))
        {
            carried.entries.append(Data(proposal))
        }
        return try carried.serializedBytes()
    }

    /// Reads the stand-in back as a verified dossier would prove it: the decision holds.
    static let provingDossierCheck: ConsultationMachine.ReferralDossierCheck = { dossier, decision, _ in
        guard let carried = try? Tocsin_V1_Entries(serializedBytes: dossier), carried.entries.count == 2,
            let decisionEntry = try? EntryDecoder.decode(Array(carried.entries[0])),
            case .decision(let payload) = decisionEntry.payload,
            let proposalEntry = try? EntryDecoder.decode(Array(carried.entries[1])),
            case .proposal(let proposal) = proposalEntry.payload
        else { return .failure(.init("not a dossier of \(decision)")) }
        return .success(
            .init(
                decision: .init(
                    reference: decision, leafHash: MerkleHash.leaf(Array(carried.entries[0])),
                    authorTimeMs: decisionEntry.authorTimeMs, payload: payload),
                proposal: .init(
                    reference: ConsultationBook.reference(payload.proposal),
                    leafHash: MerkleHash.leaf(Array(carried.entries[1])), authorTimeMs: proposalEntry.authorTimeMs,
                    payload: proposal),
                holds: true))
    }

    /// What the node does with one action, printed.
    func carryOut(_ action: ConsultationMachine.Action, failing reason: String?) throws -> [String] {
        switch action {
        case .log(let line):
            return ["log \(line)"]
        case .refer(let decision, let leafHash, let group, let observers):
            // The node would export the dossier here; the transcript's stands for it.
            let entry = try ConsultationEntries.referral(
                of: decision, leafHash: leafHash, observers: observers, dossier: try dossier(of: decision),
                authorTimeMs: 0)
            return try carryOut(
                .append(group: group, entries: [entry], purpose: .refer(decision: decision)), failing: reason)
        case .append(let group, let entries, let purpose):
            if let reason {
                return ["append \(group): \(entries.map(Self.describe).joined(separator: "; ")) — refused: \(reason)"]
                    + machine.appendFailed(purpose, reason: reason).flatMap { try! carryOut($0, failing: nil) }
            }
            var lines: [String] = []
            var first: EntryReference?
            for entry in entries {
                let written = try write(entry, by: machine.configuration.nodeID, in: group)
                if first == nil { first = try EntryReference(parsing: written) }
                lines.append("append \(written): \(Self.describe(entry))")
            }
            for action in machine.appended(purpose, first: first!) { lines += try carryOut(action, failing: nil) }
            return lines
        }
    }

    /// An entry in a line.
    static func describe(_ bytes: [UInt8]) -> String {
        guard let entry = try? EntryDecoder.decode(bytes) else { return "malformed" }
        switch entry.payload {
        case .acknowledgement(let acknowledgement):
            return
                "acknowledgement \(EntrySummary.name(of: acknowledgement.level)) of \(ConsultationBook.reference(acknowledgement.bulletin))"
        case .decision(let decision):
            let counted = decision.votes.map { vote -> String in
                let witnessed =
                    (try? SignedCheckpoint(parsing: Array(vote.witnessedCheckpoint.utf8)))
                    .map { " (witnessed at size \($0.checkpoint.size))" } ?? " (no witness checkpoint)"
                return "\(ConsultationBook.reference(vote.vote)) \(EntrySummary.name(of: vote.position))\(witnessed)"
            }
            let deliberation =
                (try? SignedCheckpoint(parsing: Array(decision.proposalWitnessedCheckpoint.utf8)))
                .map { " (proposal witnessed at size \($0.checkpoint.size))" } ?? ""
            return
                "decision on \(ConsultationBook.reference(decision.proposal))\(deliberation): \(EntrySummary.name(of: decision.outcome)), closed at \(decision.closedMs); counts \(counted.isEmpty ? "none" : counted.joined(separator: ", ")); \"\(decision.statement)\""
        default:
            return EntrySummary(entry).text
        }
    }
}
