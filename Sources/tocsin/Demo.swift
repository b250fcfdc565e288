import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore
import TocsinDevelopment
import TocsinDossier
import TocsinNode
import TocsinStore

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a whole local network and a regional consultation on it, narrated.",
        discussion: """
            Writes a temporary network with `tocsin devnet` (its own authority, charter, keys and \
            databases): national focal points of fictional states XA–XH in two fictional regional \
            organisations, each organisation's relay as convener, and an observer. Starts every \
            node as a `tocsind` process over mutual TLS on loopback, then: a bulletin is issued \
            and acknowledged by each member; a proposal is opened under a two-thirds policy; the \
            members vote; the convener records the decision; every node verifies it; the \
            decision's dossier is exported and verified offline; every node's log is verified and \
            the heads compared. Cleans up unless --keep.
            """)

    @Flag(help: "Leave the network running and print how to point tocsin at each node.")
    var keep = false

    @Option(help: "Where to write the network (default: a new temporary folder).")
    var directory: String?

    func run() throws {
        let started = Date()
        let folder = URL(
            fileURLWithPath: directory
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-demo-\(getpid())").path)
        let network = try FictionalNetwork.make(
            nationals: 8, relays: 2, observers: 1, now: Date(), name: "Fictional Regional Early Warning Network",
            policy: .twoThirds)
        let nodes = try DevelopmentNetwork.write(
            network, to: folder, basePort: try DevelopmentNetwork.freeBasePort(count: network.members.count),
            antiEntropySeconds: 5)
        let say = Narrator(started: started)
        say("wrote a network of \(nodes.count) nodes in \(folder.path)")
        for group in network.charter.groups {
            say(
                "  group \(group.id) (\(group.name)): \(group.members.joined(separator: ", ")); convener \(group.convener)"
            )
        }

        // Each node is a process of its own: tocsind when it is built next to this command,
        // else this command itself (`swift run tocsin demo` builds tocsin alone).
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let daemons = NodeProcesses(directory: folder, programsIn: me.deletingLastPathComponent())
        var finished = false
        defer {
            if !finished || !keep {
                daemons.stopAll()
                if !keep && directory == nil { try? FileManager.default.removeItem(at: folder) }
            }
        }
        let ids = nodes.map(\.id)
        try daemons.start(ids)
        say("started \(nodes.count) tocsind processes over mutual TLS on loopback; waiting for their sessions")
        try daemons.waitUntilServing(ids)
        try daemons.waitUntilConnected(ids)
        say("every node is connected to its relays")
        let eventually = Eventually(timeout: 30, abandon: { try daemons.checkRunning() })
        func node(_ id: String) -> AdminClient { daemons.client(id) }

        // 1. A bulletin, and its arrival and acknowledgement at each member.
        let region = network.charter.group("nro")!
        var draft = BulletinDraft(
            headline: "Exercise: hate speech against a minority in XA rising", severity: "severe", country: "XA",
            description: "Broadcasts calling for exclusion of a minority in the northern districts (fictional).",
            urgency: "expected", certainty: "likely", status: "exercise")
        draft.riskFactors = ["8.3", "9.1", "10"]
        draft.areas = [.init(description: "Northern districts of XA")]
        draft.recommendedActions = ["Monitor broadcasts", "Prepare a fact-finding mission"]
        let bulletin = try node("XA").issue(BulletinRequest(group: "nro", draft: draft)).reference
        let members = region.members.filter { $0 != "XA" }
        say("XA issued bulletin \(bulletin) to nro (\(members.joined(separator: ", ")))")
        let receipts = try eventually.blockingValue("every member of nro to acknowledge receipt") {
            () -> BulletinDetail? in
            let detail = try node("XA").bulletin(bulletin)
            return detail.members.allSatisfy { $0.receivedMs != nil } ? detail : nil
        }
        for member in receipts.members {
            say(
                "  \(member.member) stored it and acknowledged receipt \((member.receivedMs ?? 0).subtractingReportingOverflow(receipts.summary.issuedMs).partialValue) ms after issue"
            )
        }
        let outside = try ["RS", "XB", "OBS1"].filter { try node($0).bulletins().isEmpty }
        say("  outside nro, \(outside.joined(separator: ", ")) hold no copy of it (confidential to the group)")
        _ = try node("XC").acknowledge(AcknowledgementRequest(bulletin: bulletin, level: "read"))
        _ = try node("XE").acknowledge(AcknowledgementRequest(bulletin: bulletin, level: "acted-on"))
        say("XC's operator marked it read; XE's operator marked it acted on")

        // 2. A proposal under a two-thirds policy, and the votes.
        let proposal = try node("XC").propose(
            ProposalRequest(
                group: "nro",
                draft: .init(
                    title: "Send a regional fact-finding mission to the northern districts of XA",
                    action: "fact-finding-mission",
                    rationale: "Early warning signs under risk factors 8, 9 and 10 (exercise).", priority: "urgent",
                    policy: "two-thirds", deadline: "10m", bulletins: [bulletin]))
        ).reference
        let voting = region.members.filter { network.charter.node($0)?.role == .national }
        say(
            "XC proposed \(proposal): a fact-finding mission, two-thirds of \(voting.count) voting members (\(voting.joined(separator: ", "))), deadline in 10 minutes"
        )
        for (voter, position, statement) in [
            ("XA", "endorse", "XA welcomes the mission"), ("XE", "object", "Premature"),
            ("XC", "endorse", ""), ("XG", "endorse", "The signs are clear"),
        ] {
            _ = try eventually.blockingValue("\(voter) to receive the proposal") { try node(voter).proposal(proposal) }
            let vote = try node(voter).vote(VoteRequest(proposal: proposal, position: position, statement: statement))
            say("  \(voter) votes \(position) (\(vote.reference))")
            // Each vote is witnessed by the convener before the next, so the story reads in order.
            try eventually.blockingHolds("RN to witness the vote") {
                try node("RN").proposal(proposal).votes.contains {
                    $0.reference == vote.reference && $0.witnessedMs != nil
                }
            }
        }

        // 3. The decision, recorded by the convener and verified everywhere.
        let decision = try eventually.blockingValue("the convener's decision") {
            try node("RN").proposal(proposal).summary.decisions.first
        }
        say(
            "RN, the convener, recorded decision \(decision.reference): \(decision.outcome) (counted \(decision.counted.joined(separator: ", ")))"
        )
        for id in region.members {
            let verdict = try eventually.blockingValue("\(id) to verify the decision") { () -> String? in
                guard let judged = try node(id).proposal(proposal).summary.decisions.first, let holds = judged.holds
                else { return nil }
                return holds
                    ? "recomputed the tally: the decision follows from the votes and the charter"
                    : "FLAGGED: \(judged.findings.joined(separator: "; "))"
            }
            say("  \(id) \(verdict)")
        }

        // 3b. The record taken out of the network: a dossier anyone can verify offline.
        let dossierFile = folder.appendingPathComponent("decision-dossier.tar")
        let decisionReference = try EntryReference(parsing: decision.reference)
        let dossier = try eventually.blockingValue("the decision's dossier, every entry witnessed") { () -> [UInt8]? in
            let store = try FeedStore.open(directory: daemons.dataDirectory("RN"))
            let (archive, unwitnessed) = try DossierExporter(store: store).export(
                subjects: [decisionReference], exportedBy: "RN", nowMs: Int64(Date().timeIntervalSince1970 * 1000))
            return unwitnessed.isEmpty ? archive : nil
        }
        try Data(dossier).write(to: dossierFile)
        let verification = DossierVerifier.verify(dossier)
        let tally = verification.story?.proposals.first { $0.reference == proposal }?.tally
        say(
            "exported the decision's dossier (\(verification.story?.evidence.count ?? 0) entries with their proofs, the charter, a report in English and French)\(keep || directory != nil ? " to \(dossierFile.path)" : ""); verified offline: \(verification.isVerified ? "holds" : "DOES NOT VERIFY: \(verification.firstFailure?.text ?? "")")\(tally.map { ", tally \($0.endorsements) for, \($0.objections) against, \($0.abstentions) abstaining: \($0.outcome ?? "open")" } ?? "")"
        )
        guard verification.isVerified else { throw CommandFailure("the decision's dossier does not verify") }

        // 4. Every log verified, heads identical.
        if keep {
            finished = true
            say("the network keeps running. Point tocsin at a node with --node (or export TOCSIN_NODE=<folder>):")
            for node in nodes {
                let nodeFolder = node.configuration.deletingLastPathComponent().path
                print("  tocsin status --node \(shellWord(nodeFolder))    # \(node.id), \(node.role.rawValue)")
            }
            print(
                "  for example: export TOCSIN_NODE=\(shellWord(folder.appendingPathComponent("XA").path)); tocsin bulletin list"
            )
            let pids = daemons.processIdentifiers.values.sorted().map(String.init).joined(separator: " ")
            print("stop it with: kill \(pids)")
            return
        }
        try waitForIdenticalHeads(network: network, daemons: daemons, ids: ids)
        let statuses = daemons.stopAll()
        say(
            "stopped every node gracefully\(statuses.values.allSatisfy { $0 == 0 } ? "" : " (exit statuses \(statuses))")"
        )
        var failures: [String] = []
        var heads: [String: Set<String>] = [:]
        for node in nodes {
            let store = try FeedStore.open(directory: node.dataDirectory)
            let audit = try store.audit()
            if !audit.holds { failures.append("\(node.id): \(audit)") }
            for head in try store.heads() {
                heads[head.origin.description, default: []].insert("\(head.size):\(head.root.hex)")
            }
        }
        let diverging = heads.filter { $0.value.count > 1 }.keys.sorted()
        say(
            "verified every node's log (\(nodes.count) databases): \(failures.isEmpty ? "all hold" : failures.joined(separator: "; "))"
        )
        say(
            "compared heads: \(heads.count) feeds, \(diverging.isEmpty ? "identical on every node that holds them" : "DIVERGING: \(diverging)")"
        )
        finished = true
        guard failures.isEmpty, diverging.isEmpty else { throw CommandFailure("the demo network did not converge") }
        say("done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// Waits until every node reports the same head for every feed it holds, and holds every
    /// feed of the groups it may see.
    func waitForIdenticalHeads(network: FictionalNetwork, daemons: NodeProcesses, ids: [String]) throws {
        let permissions = Permissions(charter: network.charter)
        try Eventually(timeout: 30, abandon: { try daemons.checkRunning() }).blockingHolds(
            "identical heads on every node"
        ) {
            var heads: [String: Set<String>] = [:]
            var holders: [String: Int] = [:]
            for id in ids {
                for feed in try daemons.client(id).feeds() {
                    heads[feed.origin, default: []].insert("\(feed.size):\(feed.root)")
                    holders[feed.origin, default: 0] += 1
                }
            }
            return heads.keys.allSatisfy { origin in
                guard let parsed = try? FeedOrigin(parsing: origin) else { return false }
                let expected = ids.filter { permissions.permits($0, .see(group: parsed.group)) }.count
                return heads[origin]!.count == 1 && holders[origin] == expected
            }
        }
    }
}

/// `tocsin demo-node --config node.toml`: what `tocsind` does, for the demo's processes.
struct DemoNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-node", abstract: "Run a node as tocsind does (used by tocsin demo).", shouldDisplay: false)

    @Option(help: "The node's configuration file (node.toml).")
    var config: String

    func run() async throws {
        try await NodeDaemon.run(configPath: config)
    }
}

/// Prints each step with the time since the demo started.
struct Narrator {
    let started: Date

    func callAsFunction(_ text: String) {
        print(String(format: "[%6.2f s] ", Date().timeIntervalSince(started)) + text)
        fflush(nil)
    }
}
