import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

/// A whole consultation over real `tocsind` processes, with the hostile cases: a vote by a
/// non-member, a decision by a non-convener, a convener's decision that leaves out a
/// witnessed vote, an update to someone else's bulletin. State is read through the CLI's
/// `--json`, decoded into the admin API's shared models.
@Suite(.serialized) struct ConsultationDaemonTests {
    /// Runs `tocsin ARGUMENTS --json --node <id>` and decodes its answer (nil: it failed).
    static func json<Answer: Decodable>(
        _ type: Answer.Type, _ daemons: NodeProcesses, _ id: String, _ arguments: String...
    ) async -> Answer? {
        guard
            let result = try? await Commands.tocsin(
                arguments + ["--json", "--node", daemons.directory.appendingPathComponent(id).path]),
            result.status == 0
        else { return nil }
        return try? AdminJSON.decode(type, from: Data(result.output.utf8))
    }

    /// The reference and leaf hash of an entry as `id` holds it.
    static func held(
        _ daemons: NodeProcesses, _ id: String, _ reference: String
    ) throws -> (EntryReference, SHA256Digest) {
        let store = try FeedStore.open(directory: daemons.data(id))
        let parsed = try EntryReference(parsing: reference)
        let origin = try FeedOrigin(network: store.networkID, group: parsed.group, author: parsed.author)
        let entry = try #require(try store.entry(origin: origin, index: parsed.index))
        return (parsed, entry.leafHash)
    }

    static func proposal(_ daemons: NodeProcesses, _ id: String, _ reference: String) async -> ProposalDetail? {
        await json(ProposalDetail.self, daemons, id, "proposal", "show", reference)
    }

    static func decisions(
        _ daemons: NodeProcesses, _ id: String, _ reference: String
    ) async -> [ProposalSummary.Decision] {
        await proposal(daemons, id, reference)?.summary.decisions ?? []
    }

    static func bulletins(_ daemons: NodeProcesses, _ id: String) async -> [BulletinSummary] {
        await json([BulletinSummary].self, daemons, id, "bulletin", "list") ?? []
    }

    /// Whether `condition` holds at every node of `ids`.
    static func everywhere(_ ids: [String], _ condition: (String) async -> Bool) async -> Bool {
        for id in ids where !(await condition(id)) { return false }
        return true
    }

    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func aWholeConsultationWithHostileParticipants() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        let devnet = try await Commands.tocsin(
            "devnet", directory.path, "--nationals", "4", "--relays", "2", "--observers", "1", "--base-port",
            "\(DaemonTests.freePorts(7))")
        #expect(devnet.status == 0, "\(devnet.errorOutput)")
        // nro = RN (convener), XA, XC; sro = RS, XB, XD; all = everyone, convened by RN; majority.
        try await NodeProcesses.testing(directory) { daemons in
            let everyone = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1"]
            try daemons.start(everyone)
            try await Blocking.run { try daemons.waitUntilServing(everyone) }
            let wait = DaemonTests.eventually(60, daemons)
            func node(_ id: String) -> String { daemons.directory.appendingPathComponent(id).path }

            // A bulletin with CAP fields and risk factors; every member acknowledges receipt.
            let issued = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "Exercise: militias forming in XA", "--severity",
                "severe", "--urgency", "expected", "--certainty", "likely", "--status", "exercise", "--country", "XA",
                "--risk-factor", "8.3", "--risk-factor", "10", "--area", "Eastern valleys of XA", "--source",
                "Field office (fictional)", "--action", "Monitor", "--expires", "2099-01-01T00:00:00Z", "--node",
                node("XA"))
            #expect(issued.status == 0, "\(issued.errorOutput)")
            let bulletin = issued.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(bulletin == "nro/XA/0")
            func acknowledged(
                _ member: String, _ level: KeyPath<BulletinDetail.MemberAcknowledgement, Int64?>
            ) async -> Bool {
                let detail = await Self.json(BulletinDetail.self, daemons, "XA", "bulletin", "show", bulletin)
                return detail?.members.contains { $0.member == member && $0[keyPath: level] != nil } == true
            }
            try await wait.holds("receipts") {
                let relay = await acknowledged("RN", \.receivedMs)
                let member = await acknowledged("XC", \.receivedMs)
                return relay && member
            }
            let detail = try #require(await Self.json(BulletinDetail.self, daemons, "XC", "bulletin", "show", bulletin))
            #expect(detail.bulletin.riskFactors == ["8.3", "10"])
            #expect(detail.notAcknowledged == [])

            // Only its author may update or cancel a bulletin; an update keeps every field not given.
            let foreign = try await Commands.tocsin(
                "bulletin", "update", bulletin, "--severity", "minor", "--node", node("XC"))
            #expect(foreign.status != 0)
            #expect(foreign.errorOutput.contains("only its author"), "\(foreign.errorOutput)")
            let update = try await Commands.tocsin(
                "bulletin", "update", bulletin, "--severity", "extreme", "--node", node("XA"))
            #expect(update.status == 0, "\(update.errorOutput)")
            try await wait.holds("the update at XC") {
                let first = await Self.bulletins(daemons, "XC").first
                return first?.severity == "extreme" && first?.state == "updated"
            }
            let updated = try #require(
                await Self.json(BulletinDetail.self, daemons, "XC", "bulletin", "show", bulletin))
            var expected = detail.bulletin
            expected.severity = "extreme"
            expected.messageType = "update"
            expected.references = [bulletin]
            #expect(updated.bulletin == expected, "every other field kept: \(updated.bulletin)")
            #expect(updated.bulletin.areas?.map(\.description) == ["Eastern valleys of XA"])
            #expect(updated.bulletin.sources?.map(\.name) == ["Field office (fictional)"])
            #expect(updated.bulletin.recommendedActions == ["Monitor"])
            #expect(updated.bulletin.expires == "2099-01-01T00:00:00Z")

            // CAP 1.2: the bulletin as an alert valid against the OASIS schema, exported at another member…
            let alertFile = scratch.url.appendingPathComponent("alert.xml")
            let exported = try await Commands.tocsin(
                "cap", "export", bulletin, "--out", alertFile.path, "--node", node("XC"))
            #expect(exported.status == 0, "\(exported.errorOutput)")
            let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Docs/cap/CAP-v1.2.xsd")
            let xmllint = ExternalCommand.onPath("xmllint", ["--noout", "--schema", schema.path, alertFile.path])
            let valid = try await Blocking.run { try xmllint.run() }
            #expect(valid.status == 0, "\(valid.errorOutput)")
            // … and an update of it, as other software would write one, imported at its author only.
            let xml = try String(contentsOf: alertFile, encoding: .utf8)
            func field(_ name: String) -> String {
                guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>") else { return "" }
                return String(xml[open.upperBound..<close.lowerBound])
            }
            let updateXML =
                xml
                .replacingOccurrences(of: "<msgType>Alert</msgType>", with: "<msgType>Update</msgType>")
                .replacingOccurrences(
                    of: "<identifier>\(field("identifier"))</identifier>",
                    with: "<identifier>other-software-1</identifier>"
                )
                .replacingOccurrences(
                    of: "</restriction>",
                    with:
                        "</restriction>\n  <references>\(field("sender")),\(field("identifier")),\(field("sent"))</references>"
                )
                .replacingOccurrences(of: "<severity>Severe</severity>", with: "<severity>Moderate</severity>")
            let updateFile = scratch.url.appendingPathComponent("update.xml")
            try Data(updateXML.utf8).write(to: updateFile)
            let notAuthor = try await Commands.tocsin(
                "cap", "import", updateFile.path, "--group", "nro", "--node", node("XC"))
            #expect(notAuthor.status != 0)
            #expect(notAuthor.errorOutput.contains("only its author"), "\(notAuthor.errorOutput)")
            let imported = try await Commands.tocsin(
                "cap", "import", updateFile.path, "--group", "nro", "--node", node("XA"))
            #expect(imported.status == 0, "\(imported.errorOutput)")
            try await wait.holds("the imported update at XC") {
                let first = await Self.bulletins(daemons, "XC").first
                return first?.severity == "moderate"
                    && first?.latest == imported.output.trimmingCharacters(in: .whitespacesAndNewlines)
            }

            let acted = try await Commands.tocsin("ack", bulletin, "--acted", "--node", node("XC"))
            #expect(acted.status == 0, "\(acted.errorOutput)")
            try await wait.holds("XC's acted-on") { await acknowledged("XC", \.actedOnMs) }

            // Bad input from the operator: refused with the field named, nothing written.
            func ownSize(_ id: String, _ group: String) -> UInt64 { daemons.size(id, group: group, author: id) }
            let sizeBefore = ownSize("XA", "nro")
            let badSeverity = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "x", "--severity", "grave", "--country", "XA",
                "--node", node("XA"))
            #expect(badSeverity.status != 0)
            #expect(badSeverity.errorOutput.contains("severity: must be one of extreme"), "\(badSeverity.errorOutput)")
            let badFactor = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "x", "--severity", "minor", "--country", "XA",
                "--risk-factor", "15", "--node", node("XA"))
            #expect(badFactor.errorOutput.contains("risk_factors: must be factors 1–14"), "\(badFactor.errorOutput)")
            let garbageFile = scratch.url.appendingPathComponent("garbage.json")
            try Data("{ not json".utf8).write(to: garbageFile)
            // The node's folder serves as --data-dir too.
            let garbage = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--file", garbageFile.path, "--data-dir", node("XA"))
            #expect(garbage.status != 0)
            let draftAlert = scratch.url.appendingPathComponent("draft.xml")
            try Data(
                (try String(contentsOf: alertFile, encoding: .utf8)).replacingOccurrences(
                    of: "<status>Actual</status>", with: "<status>Draft</status>"
                ).replacingOccurrences(of: "<status>Exercise</status>", with: "<status>Draft</status>").utf8
            ).write(to: draftAlert)
            let draftImport = try await Commands.tocsin(
                "cap", "import", draftAlert.path, "--group", "nro", "--node", node("XA"))
            #expect(draftImport.status != 0)
            #expect(draftImport.errorOutput.contains("status Draft"), "\(draftImport.errorOutput)")
            let notCAP = try await Commands.tocsin(
                "cap", "import", garbageFile.path, "--group", "nro", "--node", node("XA"))
            #expect(notCAP.errorOutput.contains("not a CAP 1.2 alert"), "\(notCAP.errorOutput)")
            #expect(ownSize("XA", "nro") == sizeBefore)

            // A bulletin written as JSON, then cancelled by its author.
            let jsonFile = scratch.url.appendingPathComponent("bulletin.json")
            try Data(
                """
                {"headline": "Exercise: curfew announced in XC", "severity": "moderate", "country": "XC",
                 "areas": [{"description": "Capital of XC", "circles": ["1.2,2.2 5"],
                            "geocodes": [{"name": "ISO3166-1", "value": "XC"}]}],
                 "risk_factors": ["4"], "sources": [{"name": "Press (fictional)", "uri": "https://example.org/x"}]}
                """.utf8
            ).write(to: jsonFile)
            let fromFile = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--file", jsonFile.path, "--status", "exercise", "--node",
                node("XC"))
            #expect(fromFile.status == 0, "\(fromFile.errorOutput)")
            let fileBulletin = fromFile.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let fileDetail = try #require(
                await Self.json(BulletinDetail.self, daemons, "XC", "bulletin", "show", fileBulletin))
            #expect(
                fileDetail.bulletin.areas == [
                    .init(
                        description: "Capital of XC", geocodes: [.init(name: "ISO3166-1", value: "XC")],
                        circles: ["1.2,2.2 5"])
                ])
            #expect(fileDetail.bulletin.sources == [.init(name: "Press (fictional)", uri: "https://example.org/x")])
            #expect(fileDetail.summary.status == "exercise")
            let shownText = try await Commands.tocsin("bulletin", "show", fileBulletin, "--node", node("XC"))
            #expect(shownText.output.contains("Capital of XC; ISO3166-1=XC; circle 1.2,2.2 5"), "\(shownText.output)")
            let cancel = try await Commands.tocsin(
                "bulletin", "cancel", fileBulletin, "--reason", "Exercise over", "--node", node("XC"))
            #expect(cancel.status == 0, "\(cancel.errorOutput)")
            try await wait.holds("the cancel at XA") {
                await Self.bulletins(daemons, "XA").contains { $0.reference == fileBulletin && $0.state == "cancelled" }
            }

            // A network-wide proposal (voting members XA, XB, XC, XD; majority; convener RN).
            let opened = try await Commands.tocsin(
                "proposal", "open", "--group", "all", "--title", "Regional consultation on XA", "--action",
                "regional-consultation", "--policy", "majority", "--deadline", "10m", "--priority", "high", "--node",
                node("XB"))
            #expect(opened.status == 0, "\(opened.errorOutput)")
            let proposal = opened.output.trimmingCharacters(in: .whitespacesAndNewlines)
            try await wait.holds("the proposal everywhere") {
                await Self.everywhere(everyone) { await Self.proposal(daemons, $0, proposal) != nil }
            }
            // The observer may not vote through its node …
            let observerVote = try await Commands.tocsin("vote", proposal, "--endorse", "--node", node("OBS1"))
            #expect(observerVote.status != 0)
            #expect(observerVote.errorOutput.contains("not a voting member"), "\(observerVote.errorOutput)")
            // … so it writes the vote into its own log behind its node's back: replicated, never counted.
            #expect(await daemons.stopped("OBS1") == 0)
            let (proposalReference, proposalHash) = try Self.held(daemons, "OBS1", proposal)
            let sneaked = try daemons.inject(
                author: "OBS1", group: "all",
                [
                    try ConsultationEntries.vote(
                        on: proposalReference, leafHash: proposalHash, position: .endorse, statement: "",
                        authorTimeMs: Self.nowMs)
                ])
            try daemons.start("OBS1")
            func votes(_ id: String) async -> [ProposalDetail.Vote] {
                await Self.proposal(daemons, id, proposal)?.votes ?? []
            }
            try await wait.holds("the observer's vote at RN") { await votes("RN").contains { $0.voter == "OBS1" } }
            for voter in ["XA", "XC", "XD"] {
                let vote = try await Commands.tocsin(
                    "vote", proposal, "--endorse", "--statement", "Yes", "--node", node(voter))
                #expect(vote.status == 0, "\(voter): \(vote.errorOutput)")
            }
            try await wait.holds("the decision, verified at every member") {
                await Self.everywhere(everyone) { await Self.decisions(daemons, $0, proposal).first?.holds == true }
            }
            let decision = try #require(await Self.decisions(daemons, "XB", proposal).first)
            #expect(decision.author == "RN")
            #expect(decision.outcome == "adopted")
            #expect(decision.counted.count == 3)
            #expect(!decision.counted.contains("all/OBS1/\(sneaked)"))
            #expect(await votes("XA").contains { $0.voter == "OBS1" && !$0.counted })
            // The proposal is decided: a vote now is refused, not written.
            let late = try await Commands.tocsin("vote", proposal, "--object", "--node", node("XB"))
            #expect(late.status != 0)
            #expect(late.errorOutput.contains("a vote now would not count"), "\(late.errorOutput)")

            // A member writes a decision of its own: every node flags it.
            #expect(await daemons.stopped("XD") == 0)
            var forged = Tocsin_V1_Decision()
            forged.proposal = ConsultationBook.message(proposalReference, leafHash: proposalHash)
            forged.outcome = .rejected
            forged.closedMs = Self.nowMs
            let forgedIndex = try daemons.inject(
                author: "XD", group: "all", [ConsultationEntries.decision(forged, authorTimeMs: Self.nowMs + 1)])
            try daemons.start("XD")
            try await wait.holds("the forged decision flagged at XA") {
                await Self.decisions(daemons, "XA", proposal).contains {
                    $0.reference == "all/XD/\(forgedIndex)" && $0.holds == false
                        && $0.findings.contains { $0.contains("not by the group's convener") }
                }
            }
            let listing = try await Commands.tocsin("proposal", "list", "--node", node("XA"))
            #expect(listing.output.contains("FLAGGED DECISION"), "\(listing.output)")

            // The convener leaves out a witnessed vote: flagged too.
            let second = try await Commands.tocsin(
                "proposal", "open", "--group", "nro", "--title", "Public statement on XA", "--action",
                "public-statement",
                "--deadline", "10m", "--node", node("XC"))
            #expect(second.status == 0, "\(second.errorOutput)")
            let secondProposal = second.output.trimmingCharacters(in: .whitespacesAndNewlines)
            try await wait.holds("the second proposal at XA") {
                await Self.proposal(daemons, "XA", secondProposal) != nil
            }
            let endorsed = try await Commands.tocsin("vote", secondProposal, "--endorse", "--node", node("XA"))
            #expect(endorsed.status == 0, "\(endorsed.errorOutput)")
            try await wait.holds("RN witnessing XA's vote") {
                await Self.proposal(daemons, "RN", secondProposal)?.votes.contains {
                    $0.voter == "XA" && $0.witnessedMs != nil
                }
                    == true
            }
            #expect(await daemons.stopped("RN") == 0)
            let (secondReference, secondHash) = try Self.held(daemons, "RN", secondProposal)
            var partial = Tocsin_V1_Decision()
            partial.proposal = ConsultationBook.message(secondReference, leafHash: secondHash)
            partial.outcome = .rejected
            partial.closedMs = Self.nowMs
            try daemons.inject(
                author: "RN", group: "nro", [ConsultationEntries.decision(partial, authorTimeMs: Self.nowMs + 1)])
            try daemons.start("RN")
            try await wait.holds("the partial decision flagged at XC") {
                await Self.decisions(daemons, "XC", secondProposal).contains {
                    $0.author == "RN" && $0.holds == false && $0.findings.contains { $0.contains("leaves out") }
                }
            }

            // A proposal may not make nro's policy (majority) laxer, nor trade it for consensus
            // (which abstentions adopt): both are refused, naming the policy.
            for policy in ["silence", "consensus"] {
                let laxer = try await Commands.tocsin(
                    "proposal", "open", "--group", "nro", "--title", "Joint statement of concern", "--action",
                    "public-statement", "--policy", policy, "--deadline", "3s", "--node", node("XA"))
                #expect(laxer.status != 0)
                #expect(
                    laxer.errorOutput.contains("a proposal may make that stricter, not \(policy)"),
                    "\(laxer.errorOutput)")
            }
            // Under two-thirds nobody takes part: the convener decides at the deadline, lapsed.
            let silent = try await Commands.tocsin(
                "proposal", "open", "--group", "nro", "--title", "Joint statement of concern", "--action",
                "public-statement", "--policy", "two-thirds", "--deadline", "3s", "--node", node("XA"))
            #expect(silent.status == 0, "\(silent.errorOutput)")
            let silentProposal = silent.output.trimmingCharacters(in: .whitespacesAndNewlines)
            // Open proposals first, by priority then deadline; decided ones after.
            let order = (await Self.json([ProposalSummary].self, daemons, "XA", "proposal", "list") ?? []).map(
                \.reference)
            #expect(order.first == silentProposal || order.first == secondProposal, "\(order)")
            #expect(order.last == proposal, "the decided proposal comes last: \(order)")
            #expect(await Self.decisions(daemons, "XC", silentProposal).isEmpty)
            try await wait.holds("the decision at the deadline, verified at XC") {
                await Self.decisions(daemons, "XC", silentProposal).contains {
                    $0.author == "RN" && $0.outcome == "lapsed" && $0.holds == true
                }
            }
            let closed = try #require(await Self.decisions(daemons, "XC", silentProposal).first)
            let silentSummary = try #require(await Self.proposal(daemons, "XC", silentProposal)?.summary)
            #expect(closed.closedMs == silentSummary.deadlineMs)
            // No deliberation time in this charter: voting closed at the deadline written.
            #expect(silentSummary.closesMs == silentSummary.deadlineMs)
            #expect(silentSummary.state == "lapsed")

            // Every node stops cleanly and its log verifies.
            let statuses = await daemons.allStopped()
            #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
            for id in everyone {
                let verify = try await Commands.tocsin("verify", "--node", node(id))
                #expect(verify.status == 0, "\(id): \(verify.output)")
            }
        }
    }
}

/// The README's first command: `tocsin demo` runs a whole consultation and cleans up.
@Suite(.serialized) struct DemoTests {
    @Test func theDemoRunsAConsultationVerifiesEveryLogAndCleansUp() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let folder = scratch.url.appendingPathComponent("demo")
        let demo = try await Commands.tocsin("demo", "--directory", folder.path)
        #expect(demo.status == 0, "\(demo.output)\(demo.errorOutput)")
        for step in [
            "XA issued bulletin nro/XA/0", "acknowledged receipt", "hold no copy of it",
            "XC proposed", "recorded decision", "adopted", "the decision follows from the votes and the charter",
            "all hold", "identical on every node",
        ] {
            #expect(demo.output.contains(step), "missing: \(step)\n\(demo.output)")
        }
        #expect(!demo.output.contains("FLAGGED"))
        // Every daemon was stopped: no admin socket answers any more.
        let status = try await Commands.tocsin("status", "--data-dir", folder.appendingPathComponent("XA/data").path)
        #expect(status.status != 0)
    }
}
