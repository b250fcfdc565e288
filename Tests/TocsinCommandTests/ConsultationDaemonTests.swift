import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

/// A whole consultation over real `tocsind` processes, with the hostile cases: a vote by a
/// non-member, a decision by a non-convener, a convener's decision that leaves out a
/// witnessed vote, an update to someone else's bulletin.
@Suite(.serialized) struct ConsultationDaemonTests {
    typealias Daemons = DaemonTests.Daemons

    static func data(_ directory: URL, _ id: String) -> URL { directory.appendingPathComponent("\(id)/data") }

    /// Runs `tocsin` against node `id`; `--json` output parsed.
    static func json(_ directory: URL, _ id: String, _ arguments: String...) throws -> Any? {
        let result = try Commands.tocsin(arguments + ["--json", "--data-dir", data(directory, id).path])
        guard result.status == 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }

    /// Appends `entries` to `author`'s feed in `group` directly in its database (daemon stopped),
    /// as a node that misbehaves would.
    static func inject(_ directory: URL, author: String, group: String, _ entries: [[UInt8]]) throws -> UInt64 {
        let store = try FeedStore.open(directory: data(directory, author))
        let key = try KeyFile.read(from: directory.appendingPathComponent("\(author)/node.key").path)
        let origin = try FeedOrigin(network: store.networkID, group: group, author: author)
        var feed = FeedAuthor(
            origin: origin, key: key, frontier: try store.head(of: origin)?.frontier ?? MerkleFrontier())
        let first = feed.frontier.size
        try store.append(feed.append(entries), now: Date())
        return first
    }

    /// The reference and leaf hash of an entry as `id` holds it.
    static func held(_ directory: URL, _ id: String, _ reference: String) throws -> (EntryReference, SHA256Digest) {
        let store = try FeedStore.open(directory: data(directory, id))
        let parsed = try EntryReference(parsing: reference)
        let origin = try FeedOrigin(network: store.networkID, group: parsed.group, author: parsed.author)
        let entry = try #require(try store.entry(origin: origin, index: parsed.index))
        return (parsed, entry.leafHash)
    }

    static func proposal(_ directory: URL, _ id: String, _ reference: String) -> [String: Any]? {
        (try? json(directory, id, "proposal", "show", reference)) as? [String: Any]
    }

    static func decisions(_ directory: URL, _ id: String, _ reference: String) -> [[String: Any]] {
        ((proposal(directory, id, reference)?["summary"] as? [String: Any])?["decisions"] as? [[String: Any]]) ?? []
    }

    @Test func aWholeConsultationWithHostileParticipants() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        let devnet = try Commands.tocsin(
            "devnet", directory.path, "--nationals", "4", "--relays", "2", "--observers", "1", "--base-port",
            "\(DaemonTests.freePorts(7))")
        #expect(devnet.status == 0, "\(devnet.errorOutput)")
        // nro = RN (convener), XA, XC; sro = RS, XB, XD; all = everyone, convened by RN; majority.
        let daemons = Daemons(directory: directory)
        defer { _ = daemons.stopAll() }
        let everyone = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1"]
        for id in everyone { try daemons.start(id) }
        func eventually(_ what: String, timeout: TimeInterval = 60, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition() { return true }
                usleep(100_000)
            }
            return condition()
        }
        #expect(
            eventually("admin sockets") {
                everyone.allSatisfy {
                    FileManager.default.fileExists(
                        atPath: Self.data(directory, $0).appendingPathComponent("admin.sock").path)
                }
            })

        // A bulletin with CAP fields and risk factors; every member acknowledges receipt.
        let issued = try Commands.tocsin(
            "bulletin", "issue", "--group", "nro", "--headline", "Exercise: militias forming in XA", "--severity",
            "severe", "--urgency", "expected", "--certainty", "likely", "--status", "exercise", "--country", "XA",
            "--risk-factor", "8.3", "--risk-factor", "10", "--area", "Eastern valleys of XA", "--source",
            "Field office (fictional)", "--action", "Monitor", "--data-dir", Self.data(directory, "XA").path)
        #expect(issued.status == 0, "\(issued.errorOutput)")
        let bulletin = issued.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bulletin == "nro/XA/0")
        func acknowledged(_ member: String, _ key: String) -> Bool {
            let detail = (try? Self.json(directory, "XA", "bulletin", "show", bulletin)) as? [String: Any]
            let members = detail?["members"] as? [[String: Any]] ?? []
            return members.contains { $0["member"] as? String == member && $0[key] != nil }
        }
        #expect(eventually("receipts") { acknowledged("RN", "received_ms") && acknowledged("XC", "received_ms") })
        let detail = try #require(try Self.json(directory, "XC", "bulletin", "show", bulletin) as? [String: Any])
        #expect(detail["risk_factors"] as? [String] == ["8.3", "10"])
        #expect(detail["not_acknowledged"] as? [String] == [])

        // Only its author may update or cancel a bulletin.
        let foreign = try Commands.tocsin(
            "bulletin", "update", bulletin, "--severity", "minor", "--data-dir", Self.data(directory, "XC").path)
        #expect(foreign.status != 0)
        #expect(foreign.errorOutput.contains("only its author"), "\(foreign.errorOutput)")
        let update = try Commands.tocsin(
            "bulletin", "update", bulletin, "--severity", "extreme", "--data-dir", Self.data(directory, "XA").path)
        #expect(update.status == 0, "\(update.errorOutput)")
        #expect(
            eventually("the update at XC") {
                let list = (try? Self.json(directory, "XC", "bulletin", "list")) as? [[String: Any]] ?? []
                return list.first?["severity"] as? String == "extreme" && list.first?["state"] as? String == "updated"
            })
        // CAP 1.2: the bulletin as an alert valid against the OASIS schema, exported at another member…
        let alertFile = scratch.url.appendingPathComponent("alert.xml")
        let exported = try Commands.tocsin(
            "cap", "export", bulletin, "--out", alertFile.path, "--data-dir", Self.data(directory, "XC").path)
        #expect(exported.status == 0, "\(exported.errorOutput)")
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/cap/CAP-v1.2.xsd")
        let valid = try ExternalCommand.onPath("xmllint", ["--noout", "--schema", schema.path, alertFile.path]).run()
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
                of: "<identifier>\(field("identifier"))</identifier>", with: "<identifier>other-software-1</identifier>"
            )
            .replacingOccurrences(
                of: "</restriction>",
                with:
                    "</restriction>\n  <references>\(field("sender")),\(field("identifier")),\(field("sent"))</references>"
            )
            .replacingOccurrences(of: "<severity>Severe</severity>", with: "<severity>Moderate</severity>")
        let updateFile = scratch.url.appendingPathComponent("update.xml")
        try Data(updateXML.utf8).write(to: updateFile)
        let notAuthor = try Commands.tocsin(
            "cap", "import", updateFile.path, "--group", "nro", "--data-dir", Self.data(directory, "XC").path)
        #expect(notAuthor.status != 0)
        #expect(notAuthor.errorOutput.contains("only its author"), "\(notAuthor.errorOutput)")
        let imported = try Commands.tocsin(
            "cap", "import", updateFile.path, "--group", "nro", "--data-dir", Self.data(directory, "XA").path)
        #expect(imported.status == 0, "\(imported.errorOutput)")
        #expect(
            eventually("the imported update at XC") {
                let list = (try? Self.json(directory, "XC", "bulletin", "list")) as? [[String: Any]] ?? []
                return list.first?["severity"] as? String == "moderate"
                    && list.first?["latest"] as? String
                        == imported.output.trimmingCharacters(in: .whitespacesAndNewlines)
            })

        let acted = try Commands.tocsin("ack", bulletin, "--acted", "--data-dir", Self.data(directory, "XC").path)
        #expect(acted.status == 0, "\(acted.errorOutput)")
        #expect(eventually("XC's acted-on") { acknowledged("XC", "acted_on_ms") })

        // Bad input from the operator: refused with the field named, nothing written.
        func ownSize(_ id: String, _ group: String) throws -> UInt64 {
            let store = try FeedStore.open(directory: Self.data(directory, id))
            return try store.head(of: FeedOrigin(network: store.networkID, group: group, author: id))?.size ?? 0
        }
        let sizeBefore = try ownSize("XA", "nro")
        let badSeverity = try Commands.tocsin(
            "bulletin", "issue", "--group", "nro", "--headline", "x", "--severity", "grave", "--country", "XA",
            "--data-dir", Self.data(directory, "XA").path)
        #expect(badSeverity.status != 0)
        #expect(badSeverity.errorOutput.contains("severity: must be one of extreme"), "\(badSeverity.errorOutput)")
        let badFactor = try Commands.tocsin(
            "bulletin", "issue", "--group", "nro", "--headline", "x", "--severity", "minor", "--country", "XA",
            "--risk-factor", "15", "--data-dir", Self.data(directory, "XA").path)
        #expect(badFactor.errorOutput.contains("risk_factors: must be factors 1–14"), "\(badFactor.errorOutput)")
        let garbageFile = scratch.url.appendingPathComponent("garbage.json")
        try Data("{ not json".utf8).write(to: garbageFile)
        let garbage = try Commands.tocsin(
            "bulletin", "issue", "--group", "nro", "--file", garbageFile.path, "--data-dir",
            Self.data(directory, "XA").path)
        #expect(garbage.status != 0)
        let draftAlert = scratch.url.appendingPathComponent("draft.xml")
        try Data(
            (try String(contentsOf: alertFile, encoding: .utf8)).replacingOccurrences(
                of: "<status>Actual</status>", with: "<status>Draft</status>"
            ).replacingOccurrences(of: "<status>Exercise</status>", with: "<status>Draft</status>").utf8
        ).write(to: draftAlert)
        let draftImport = try Commands.tocsin(
            "cap", "import", draftAlert.path, "--group", "nro", "--data-dir", Self.data(directory, "XA").path)
        #expect(draftImport.status != 0)
        #expect(draftImport.errorOutput.contains("status Draft"), "\(draftImport.errorOutput)")
        let notCAP = try Commands.tocsin(
            "cap", "import", garbageFile.path, "--group", "nro", "--data-dir", Self.data(directory, "XA").path)
        #expect(notCAP.errorOutput.contains("not a CAP 1.2 alert"), "\(notCAP.errorOutput)")
        #expect(try ownSize("XA", "nro") == sizeBefore)

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
        let fromFile = try Commands.tocsin(
            "bulletin", "issue", "--group", "nro", "--file", jsonFile.path, "--status", "exercise", "--data-dir",
            Self.data(directory, "XC").path)
        #expect(fromFile.status == 0, "\(fromFile.errorOutput)")
        let fileBulletin = fromFile.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let fileDetail = try #require(
            try Self.json(directory, "XC", "bulletin", "show", fileBulletin) as? [String: Any])
        #expect(fileDetail["areas"] as? [String] == ["Capital of XC; ISO3166-1=XC; circle 1.2,2.2 5"])
        #expect((fileDetail["summary"] as? [String: Any])?["status"] as? String == "exercise")
        let cancel = try Commands.tocsin(
            "bulletin", "cancel", fileBulletin, "--reason", "Exercise over", "--data-dir",
            Self.data(directory, "XC").path)
        #expect(cancel.status == 0, "\(cancel.errorOutput)")
        #expect(
            eventually("the cancel at XA") {
                let list = (try? Self.json(directory, "XA", "bulletin", "list")) as? [[String: Any]] ?? []
                return list.contains {
                    $0["reference"] as? String == fileBulletin && $0["state"] as? String == "cancelled"
                }
            })

        // A network-wide proposal (voting members XA, XB, XC, XD; majority; convener RN).
        let opened = try Commands.tocsin(
            "proposal", "open", "--group", "all", "--title", "Regional consultation on XA", "--action",
            "regional-consultation", "--policy", "majority", "--deadline", "10m", "--priority", "high", "--data-dir",
            Self.data(directory, "XB").path)
        #expect(opened.status == 0, "\(opened.errorOutput)")
        let proposal = opened.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            eventually("the proposal everywhere") {
                everyone.allSatisfy { Self.proposal(directory, $0, proposal) != nil }
            })
        // The observer may not vote through its node …
        let observerVote = try Commands.tocsin(
            "vote", proposal, "--endorse", "--data-dir", Self.data(directory, "OBS1").path)
        #expect(observerVote.status != 0)
        #expect(observerVote.errorOutput.contains("not a voting member"), "\(observerVote.errorOutput)")
        // … so it writes the vote into its own log behind its node's back: replicated, never counted.
        #expect(daemons.stop("OBS1") == 0)
        let (proposalReference, proposalHash) = try Self.held(directory, "OBS1", proposal)
        let sneaked = try Self.inject(
            directory, author: "OBS1", group: "all",
            [
                try ConsultationEntries.vote(
                    on: proposalReference, leafHash: proposalHash, position: .endorse, statement: "",
                    authorTimeMs: Int64(Date().timeIntervalSince1970 * 1000))
            ])
        try daemons.start("OBS1")
        func votes(_ id: String) -> [[String: Any]] {
            Self.proposal(directory, id, proposal)?["votes"] as? [[String: Any]] ?? []
        }
        #expect(eventually("the observer's vote at RN") { votes("RN").contains { $0["voter"] as? String == "OBS1" } })
        for voter in ["XA", "XC", "XD"] {
            let vote = try Commands.tocsin(
                "vote", proposal, "--endorse", "--statement", "Yes", "--data-dir", Self.data(directory, voter).path)
            #expect(vote.status == 0, "\(voter): \(vote.errorOutput)")
        }
        #expect(
            eventually("the decision, verified at every member") {
                everyone.allSatisfy { id in Self.decisions(directory, id, proposal).first?["holds"] as? Bool == true }
            })
        let decision = try #require(Self.decisions(directory, "XB", proposal).first)
        #expect(decision["author"] as? String == "RN")
        #expect(decision["outcome"] as? String == "adopted")
        let counted = decision["counted"] as? [String] ?? []
        #expect(counted.count == 3)
        #expect(!counted.contains("all/OBS1/\(sneaked)"))
        #expect(votes("XA").contains { $0["voter"] as? String == "OBS1" && $0["counted"] as? Bool == false })

        // A member writes a decision of its own: every node flags it.
        #expect(daemons.stop("XD") == 0)
        var forged = Tocsin_V1_Decision()
        forged.proposal = ConsultationBook.message(proposalReference, leafHash: proposalHash)
        forged.outcome = .rejected
        forged.closedMs = Int64(Date().timeIntervalSince1970 * 1000)
        let forgedIndex = try Self.inject(
            directory, author: "XD", group: "all",
            [ConsultationEntries.decision(forged, authorTimeMs: Int64(Date().timeIntervalSince1970 * 1000) + 1)])
        try daemons.start("XD")
        #expect(
            eventually("the forged decision flagged at XA") {
                Self.decisions(directory, "XA", proposal).contains {
                    $0["reference"] as? String == "all/XD/\(forgedIndex)" && $0["holds"] as? Bool == false
                        && ($0["findings"] as? [String] ?? []).contains { $0.contains("not by the group's convener") }
                }
            })
        let listing = try Commands.tocsin("proposal", "list", "--data-dir", Self.data(directory, "XA").path)
        #expect(listing.output.contains("FLAGGED DECISION"), "\(listing.output)")

        // The convener leaves out a witnessed vote: flagged too.
        let second = try Commands.tocsin(
            "proposal", "open", "--group", "nro", "--title", "Public statement on XA", "--action", "public-statement",
            "--deadline", "10m", "--data-dir", Self.data(directory, "XC").path)
        #expect(second.status == 0, "\(second.errorOutput)")
        let secondProposal = second.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(eventually("the second proposal at XA") { Self.proposal(directory, "XA", secondProposal) != nil })
        let endorsed = try Commands.tocsin(
            "vote", secondProposal, "--endorse", "--data-dir", Self.data(directory, "XA").path)
        #expect(endorsed.status == 0, "\(endorsed.errorOutput)")
        #expect(
            eventually("RN witnessing XA's vote") {
                (Self.proposal(directory, "RN", secondProposal)?["votes"] as? [[String: Any]] ?? []).contains {
                    $0["voter"] as? String == "XA" && $0["witnessed_ms"] != nil
                }
            })
        #expect(daemons.stop("RN") == 0)
        let (secondReference, secondHash) = try Self.held(directory, "RN", secondProposal)
        var partial = Tocsin_V1_Decision()
        partial.proposal = ConsultationBook.message(secondReference, leafHash: secondHash)
        partial.outcome = .rejected
        partial.closedMs = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try Self.inject(
            directory, author: "RN", group: "nro",
            [ConsultationEntries.decision(partial, authorTimeMs: Int64(Date().timeIntervalSince1970 * 1000) + 1)])
        try daemons.start("RN")
        #expect(
            eventually("the partial decision flagged at XC") {
                Self.decisions(directory, "XC", secondProposal).contains {
                    $0["author"] as? String == "RN" && $0["holds"] as? Bool == false
                        && ($0["findings"] as? [String] ?? []).contains { $0.contains("leaves out") }
                }
            }, "\(Self.decisions(directory, "XC", secondProposal))")

        // Under the silence procedure nobody objects: the convener decides at the deadline.
        let silent = try Commands.tocsin(
            "proposal", "open", "--group", "nro", "--title", "Joint statement of concern", "--action",
            "public-statement", "--policy", "silence", "--deadline", "3s", "--data-dir",
            Self.data(directory, "XA").path)
        #expect(silent.status == 0, "\(silent.errorOutput)")
        let silentProposal = silent.output.trimmingCharacters(in: .whitespacesAndNewlines)
        // Open proposals first, by priority then deadline; decided ones after.
        let order = ((try? Self.json(directory, "XA", "proposal", "list")) as? [[String: Any]] ?? []).compactMap {
            $0["reference"] as? String
        }
        #expect(order.first == silentProposal || order.first == secondProposal, "\(order)")
        #expect(order.last == proposal, "the decided proposal comes last: \(order)")
        #expect(Self.decisions(directory, "XC", silentProposal).isEmpty)
        #expect(
            eventually("the decision at the deadline, verified at XC") {
                Self.decisions(directory, "XC", silentProposal).contains {
                    $0["author"] as? String == "RN" && $0["outcome"] as? String == "adopted"
                        && $0["holds"] as? Bool == true
                }
            }, "\(Self.decisions(directory, "XC", silentProposal))")
        let closed = try #require(Self.decisions(directory, "XC", silentProposal).first)
        let silentSummary = try #require(Self.proposal(directory, "XC", silentProposal)?["summary"] as? [String: Any])
        #expect(
            (closed["closed_ms"] as? NSNumber)?.int64Value == (silentSummary["deadline_ms"] as? NSNumber)?.int64Value)

        // Every node stops cleanly and its log verifies.
        let statuses = daemons.stopAll()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
        for id in everyone {
            let verify = try Commands.tocsin("verify", "--data-dir", Self.data(directory, id).path)
            #expect(verify.status == 0, "\(id): \(verify.output)")
        }
    }
}

/// The README's first command: `tocsin demo` runs a whole consultation and cleans up.
@Suite(.serialized) struct DemoTests {
    @Test func theDemoRunsAConsultationVerifiesEveryLogAndCleansUp() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let folder = scratch.url.appendingPathComponent("demo")
        let demo = try Commands.tocsin("demo", "--directory", folder.path)
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
        let status = try Commands.tocsin("status", "--data-dir", folder.appendingPathComponent("XA/data").path)
        #expect(status.status != 0)
    }
}
