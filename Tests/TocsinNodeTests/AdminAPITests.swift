import Foundation
import Logging
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNode
import TocsinStore

/// Every route of the admin API, in-process through the real server and the shared client:
/// what each answers, and each kind of failure with its HTTP status.
///
/// The network: nro = RN (convener), XA, XC; sro = RS, XB; all = everyone, OBS1 included.
@Suite(.serialized) struct AdminAPITests {
    static let day: Int64 = 86_400_000

    /// A node XA holding a bulletin and a proposal by XC (delivered as replication would), and
    /// an old proposal whose deadline has passed.
    struct Fixture {
        let network: FictionalNetwork
        let directory: URL
        let node: AdminNode
        let foreignBulletin: EntryReference
        let proposal: EntryReference
        let closedProposal: EntryReference
        /// A proposal by XB in the network-wide group.
        let networkWideProposal: EntryReference

        static func make(id: String = "XA", trustLocalLog: Bool = true) async throws -> Fixture {
            let network = try FictionalNetwork.make(nationals: 3, relays: 2, observers: 1, now: Date())
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tocsin-admin-\(UUID().uuidString)")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var references: [EntryReference] = []
            let node = try await AdminNode(
                id, of: network, in: directory, trustLocalLog: trustLocalLog, readinessTimeout: .milliseconds(300)
            ) { store in
                let networkWide = ConsultationEntries.proposal(
                    try ConsultationEntries.ProposalDraft(title: "Good offices", action: "good-offices", deadline: "1h")
                        .proposal(group: "all", bulletins: [], nowMs: now),
                    authorTimeMs: now)
                references.append(try AdminNode.deliver([networkWide], by: "XB", in: "all", of: network, to: store))
                // What a member of nro holds of it.
                guard network.charter.group("nro")!.members.contains(id) else { return }
                let bulletin = try BulletinDraft(
                    headline: "Exercise: unrest in XC", severity: "moderate", country: "XC"
                )
                .entry(authorTimeMs: now - 5000)
                let delivered = try AdminNode.deliver([bulletin], by: "XC", in: "nro", of: network, to: store)
                let leafHash = MerkleHash.leaf(bulletin)
                func proposal(deadline: Int64, at time: Int64) throws -> [UInt8] {
                    var message = try ConsultationEntries.ProposalDraft(
                        title: "A fact-finding mission to XC", action: "fact-finding-mission", deadline: "1d"
                    ).proposal(group: "nro", bulletins: [(delivered, leafHash)], nowMs: time)
                    message.deadlineMs = deadline
                    return ConsultationEntries.proposal(message, authorTimeMs: time)
                }
                let open = try AdminNode.deliver(
                    [try proposal(deadline: now + day, at: now - 4000)], by: "XC", in: "nro", of: network, to: store)
                let closedEntry = try proposal(deadline: now - 1000, at: now - 3 * day)
                let closed = try AdminNode.deliver([closedEntry], by: "XC", in: "nro", of: network, to: store)
                // The convener's decision on it, with no vote: what closes it for good.
                let rules = Tally.Rules(
                    proposal: try Tocsin_V1_Entry(serializedBytes: closedEntry).proposal,
                    group: network.charter.group("nro")!, charter: network.charter)
                let closing = try #require(Tally.closing(rules: rules, votes: [], nowMs: now, graceMs: 0))
                var decision = Tocsin_V1_Decision()
                decision.proposal = ConsultationBook.message(closed, leafHash: MerkleHash.leaf(closedEntry))
                decision.outcome = ConsultationTerms.outcome(closing.outcome)
                decision.closedMs = closing.closedMs
                decision.statement = closing.explanation
                _ = try AdminNode.deliver(
                    [ConsultationEntries.decision(decision, authorTimeMs: now - 500)], by: "RN", in: "nro",
                    of: network, to: store)
                references += [delivered, open, closed]
            }
            let nro = references.count == 4
            if nro && trustLocalLog {
                // The node acknowledges receipt of XC's bulletin by itself, at nro/<id>/0.
                let bulletin = references[1].description
                try await Eventually(timeout: 10).holds("\(id)'s receipt of \(bulletin)") {
                    let detail = try await node.call { try $0.bulletin(bulletin) }
                    return detail.members.first { $0.member == id }?.receivedMs != nil
                }
            }
            return Fixture(
                network: network, directory: directory, node: node,
                foreignBulletin: nro ? references[1] : references[0], proposal: nro ? references[2] : references[0],
                closedProposal: nro ? references[3] : references[0], networkWideProposal: references[0])
        }

        func finish() async {
            await node.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Every field a bulletin can carry.
    static var fullDraft: BulletinDraft {
        var draft = BulletinDraft(
            headline: "Exercise: militias forming in the eastern valleys of XA", severity: "severe", country: "XA",
            description: "Armed groups recruiting along ethnic lines (fictional).", urgency: "expected",
            certainty: "likely", status: "exercise", language: "fr")
        draft.areas = [
            .init(
                description: "Eastern valleys", geocodes: [.init(name: "ISO3166-2", value: "XA-EV")],
                polygons: ["1.0,2.0 1.0,3.0 2.0,3.0 1.0,2.0"], circles: ["1.5,2.5 10"]),
            .init(description: "Capital district", circles: ["0.5,0.5 3.5"]),
        ]
        draft.riskFactors = ["7", "8.3", "8.5", "10"]
        draft.sources = [
            .init(name: "Field office (fictional)", uri: "https://example.org/report", description: "Weekly report"),
            .init(name: "Press monitoring"),
        ]
        draft.recommendedActions = ["Monitor broadcasts", "Prepare a fact-finding mission"]
        draft.expires = "2099-12-31T00:00:00Z"
        return draft
    }

    @Test func anUpdateOfOneFieldKeepsEveryOtherFieldOfTheBulletin() async throws {
        let fixture = try await Fixture.make()
        let node = fixture.node
        let issued = try await node.call { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        let before = try await node.call { try $0.bulletin(issued.reference) }
        let update = try await node.call { try $0.update(issued.reference, BulletinChanges(severity: "extreme")) }
        let after = try await node.call { try $0.bulletin(issued.reference) }
        await fixture.finish()

        #expect(before.bulletin.severity == "severe")
        #expect(after.bulletin.severity == "extreme")
        #expect(after.summary.latest == update.reference)
        #expect(after.summary.state == "updated")
        #expect(after.revisions == [update.reference])
        // Field by field: nothing else changed.
        let (old, new) = (before.bulletin, after.bulletin)
        #expect(new.headline == old.headline)
        #expect(new.country == old.country)
        #expect(new.description == old.description)
        #expect(new.urgency == old.urgency)
        #expect(new.certainty == old.certainty)
        #expect(new.status == old.status)
        #expect(new.language == old.language)
        #expect(new.areas == old.areas)
        #expect(new.areas?.first?.polygons == ["1.0,2.0 1.0,3.0 2.0,3.0 1.0,2.0"])
        #expect(new.areas?.first?.geocodes == [.init(name: "ISO3166-2", value: "XA-EV")])
        #expect(new.riskFactors == old.riskFactors)
        #expect(new.riskFactors == ["7", "8.3", "8.5", "10"])
        #expect(new.sources == old.sources)
        #expect(new.recommendedActions == old.recommendedActions)
        #expect(new.expires == old.expires)
        #expect(new.expires == "2099-12-31T00:00:00Z")
        // And as a whole: the update is the original with its severity changed.
        var expected = old
        expected.severity = "extreme"
        expected.messageType = "update"
        expected.references = [issued.reference]
        #expect(new == expected)
    }

    @Test func eachRouteAnswersWhatItHolds() async throws {
        let fixture = try await Fixture.make()
        let node = fixture.node
        let status = try await node.call { try $0.status() }
        #expect(status.nodeID == "XA")
        #expect(status.groups == ["nro", "all"])
        #expect(status.feeds == 4, "XC's, XB's and RN's feeds, and XA's own with its receipt")
        #expect(status.entries == 6)
        #expect(try await node.call { try $0.peers() } == [])
        let feeds = try await node.call { try $0.feeds() }
        let network = fixture.network.networkID.shortHex
        #expect(
            Set(feeds.map(\.origin)) == Set(["all/XB", "nro/XA", "nro/XC", "nro/RN"].map { "tocsin/\(network)/\($0)" }))
        #expect(feeds.first { $0.author == "XC" }?.size == 3)

        let issued = try await node.call { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        #expect(issued.reference == "nro/XA/1", "XA acknowledged XC's bulletin first, at nro/XA/0")
        let entries = try await node.call { try $0.entries(group: "nro", author: "XA") }
        #expect(entries.map(\.kind) == ["acknowledgement", "bulletin"])
        let list = try await node.call { try $0.bulletins() }
        #expect(list.map(\.reference) == [issued.reference, fixture.foreignBulletin.description])
        #expect(list.first?.acknowledgements.members == 2)
        let cap = try await node.call { try $0.capExport(issued.reference) }
        #expect(cap.xml.contains("<headline>Exercise: militias forming in the eastern valleys of XA</headline>"))

        let read = try await node.call {
            try $0.acknowledge(AcknowledgementRequest(bulletin: fixture.foreignBulletin.description, level: "read"))
        }
        let detail = try await node.call { try $0.bulletin(fixture.foreignBulletin.description) }
        #expect(detail.members.first { $0.member == "XA" }?.readMs != nil)
        #expect(detail.members.first { $0.member == "XA" }?.receivedMs != nil)
        #expect(read.reference == "nro/XA/2")

        let cancelled = try await node.call { try $0.cancel(issued.reference, reason: "Exercise over") }
        let afterCancel = try await node.call { try $0.bulletin(issued.reference) }
        #expect(afterCancel.summary.state == "cancelled")
        #expect(afterCancel.summary.latest == cancelled.reference)
        #expect(afterCancel.bulletin.description == "Exercise over")
        #expect(afterCancel.bulletin.areas == Self.fullDraft.areas)

        let opened = try await node.call {
            try $0.propose(
                ProposalRequest(
                    group: "nro",
                    draft: .init(
                        title: "Public statement", action: "public-statement", priority: "urgent", deadline: "2h",
                        bulletins: [fixture.foreignBulletin.description])))
        }
        let vote = try await node.call {
            try $0.vote(VoteRequest(proposal: fixture.proposal.description, position: "endorse", statement: "Yes"))
        }
        let proposals = try await node.call { try $0.proposals() }
        #expect(
            proposals.map(\.reference) == [
                opened.reference, fixture.networkWideProposal.description, fixture.proposal.description,
                fixture.closedProposal.description,
            ], "undecided ones by priority, then deadline; decided ones last")
        let shown = try await node.call { try $0.proposal(fixture.proposal.description) }
        #expect(shown.votes.map(\.reference) == [vote.reference])
        #expect(shown.votes.first?.statement == "Yes")
        #expect(shown.votes.first?.counted == false, "not witnessed by the convener")
        #expect(shown.bulletins == [fixture.foreignBulletin.description])
        #expect(try await node.call { try $0.forks() } == [])
        await fixture.finish()
    }

    @Test func failuresAnswerWithTheirStatusAndNameTheField() async throws {
        let fixture = try await Fixture.make()
        let node = fixture.node
        let foreign = fixture.foreignBulletin.description

        // 400: what cannot be read.
        let garbage = try await node.exchange("POST", "/v1/bulletins", body: "{ not json")
        #expect(garbage.status == 400)
        #expect(try AdminJSON.decode(AdminFailure.self, from: garbage.body).error.contains("JSON bulletin"))
        #expect(try await node.exchange("GET", "/v1/bulletins/nro/XA/twelve").status == 400)
        #expect(try await node.exchange("GET", "/v1/bulletins?limit=0").status == 400)
        #expect(try await node.exchange("GET", "/v1/entries?limit=99999999999999999999").status == 400)
        #expect(try await node.exchange("GET", "/v1/entries?from=-1").status == 400)
        let missingField = try await node.exchange("POST", "/v1/votes", body: #"{"position": "endorse"}"#)
        #expect(missingField.status == 400)
        #expect(try AdminJSON.decode(AdminFailure.self, from: missingField.body).error.contains("proposal: missing"))

        // 403: what the charter does not permit.
        let notAuthor = await node.failure { try $0.update(foreign, BulletinChanges(severity: "minor")) }
        #expect(notAuthor?.status == 403)
        #expect(notAuthor?.description.contains("only its author") == true, "\(String(describing: notAuthor))")
        var elsewhere = Self.fullDraft
        elsewhere.country = "XB"
        let sroDraft = elsewhere
        let notMember = await node.failure { try $0.issue(BulletinRequest(group: "sro", draft: sroDraft)) }
        #expect(notMember?.status == 403)
        let proposeElsewhere = await node.failure {
            try $0.propose(
                ProposalRequest(group: "sro", draft: .init(title: "x", action: "good-offices", deadline: "1h")))
        }
        #expect(proposeElsewhere?.status == 403)

        // 404: what is not held.
        #expect(await node.failure { try $0.bulletin("nro/XA/99") }?.status == 404)
        #expect(await node.failure { try $0.proposal("nro/XC/99") }?.status == 404)
        #expect(await node.failure { try $0.update("nro/XA/99", BulletinChanges(severity: "minor")) }?.status == 404)

        // 409: what contradicts the log.
        let closed = await node.failure {
            try $0.vote(VoteRequest(proposal: fixture.closedProposal.description, position: "endorse"))
        }
        #expect(closed?.status == 409)
        #expect(closed?.description.contains("was decided by nro/RN/0") == true, "\(String(describing: closed))")
        let issued = try await node.call { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        _ = try await node.call { try $0.cancel(issued.reference) }
        let afterCancel = await node.failure { try $0.update(issued.reference, BulletinChanges(severity: "minor")) }
        #expect(afterCancel?.status == 409)

        // 422: a field's value, named.
        var badSeverity = Self.fullDraft
        badSeverity.severity = "grave"
        let severityDraft = badSeverity
        let severity = await node.failure { try $0.issue(BulletinRequest(group: "nro", draft: severityDraft)) }
        #expect(severity?.status == 422)
        #expect(severity?.field == "severity")
        #expect(severity?.description.contains("severity: must be one of extreme") == true)
        var badFactor = Self.fullDraft
        badFactor.riskFactors = ["15"]
        let factorDraft = badFactor
        let factor = await node.failure { try $0.issue(BulletinRequest(group: "nro", draft: factorDraft)) }
        #expect(factor?.field == "risk_factors")
        let position = await node.failure {
            try $0.vote(VoteRequest(proposal: fixture.proposal.description, position: "maybe"))
        }
        #expect(position?.status == 422)
        #expect(position?.field == "position")
        let unknownBulletin = await node.failure {
            try $0.acknowledge(AcknowledgementRequest(bulletin: "nro/XC/77", level: "read"))
        }
        #expect(unknownBulletin?.status == 422)
        #expect(unknownBulletin?.field == "bulletin")
        let notAProposal = await node.failure { try $0.vote(VoteRequest(proposal: foreign, position: "endorse")) }
        #expect(notAProposal?.field == "proposal")

        // 503: the store fails; nothing is written, the node says so and that it will resume.
        let heldBefore = try fixture.node.store.head(
            of: FeedOrigin(network: fixture.network.networkID, group: "nro", author: "XA"))?.size
        try node.breakStore()
        let broken = await node.failure { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        #expect(broken?.status == 503)
        #expect(broken?.description.contains("the disk refuses writes") == true, "\(String(describing: broken))")
        #expect(broken?.description.contains("resumes by itself") == true)
        let heldAfter = try fixture.node.store.head(
            of: FeedOrigin(network: fixture.network.networkID, group: "nro", author: "XA"))?.size
        #expect(heldAfter == heldBefore)
        await fixture.finish()
    }

    @Test func anUpdateNamingNoKnownFieldIsRefusedAndWritesNothing() async throws {
        let fixture = try await Fixture.make()
        let node = fixture.node
        let issued = try await node.call { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        let path = "/v1/bulletins/\(issued.reference)/update"
        let misspelt = try await node.exchange("POST", path, body: #"{"severety": "minor"}"#)
        #expect(misspelt.status == 422)
        #expect(try AdminJSON.decode(AdminFailure.self, from: misspelt.body).field == "severety")
        let nested = try await node.exchange("POST", path, body: #"{"areas": [{"descripton": "North"}]}"#)
        #expect(nested.status == 422 || nested.status == 400, "\(String(decoding: nested.body, as: UTF8.self))")
        #expect(try await node.exchange("POST", path, body: "{}").status == 400)
        let unknownOnIssue = try await node.exchange(
            "POST", "/v1/bulletins",
            body: #"{"group": "nro", "headline": "x", "severity": "minor", "country": "XA", "risk_factor": ["8"]}"#)
        #expect(try AdminJSON.decode(AdminFailure.self, from: unknownOnIssue.body).field == "risk_factor")
        #expect(try await node.call { try $0.bulletin(issued.reference) }.revisions == [])
        await fixture.finish()
    }

    @Test func revisionsOfOneBulletinAreWrittenOneAtATimeAndNoneIsLost() async throws {
        let fixture = try await Fixture.make()
        let node = fixture.node
        let issued = try await node.call { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        let reference = issued.reference
        // Two operators change different fields at the same moment, a third cancels.
        let changes = [BulletinChanges(severity: "extreme"), BulletinChanges(headline: "Exercise: militias disarmed")]
        let outcomes = await withTaskGroup(of: (Int, Result<Created, AdminClientError>).self) { group in
            for (index, change) in changes.enumerated() {
                group.addTask {
                    do { return (index, .success(try await node.call { try $0.update(reference, change) })) } catch let
                        error as AdminClientError
                    { return (index, .failure(error)) } catch { return (index, .failure(.malformedAnswer("\(error)"))) }
                }
            }
            var outcomes: [Int: Result<Created, AdminClientError>] = [:]
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        let after = try await node.call { try $0.bulletin(reference) }
        var written = 0
        for (index, outcome) in outcomes {
            switch outcome {
            case .success:
                written += 1
                // What a successful update changed is in the bulletin as it stands now.
                if index == 0 { #expect(after.bulletin.severity == "extreme") }
                if index == 1 { #expect(after.bulletin.headline == "Exercise: militias disarmed") }
            case .failure(let error):
                #expect(error.status == 409, "\(error)")
                #expect(error.description.contains("being written"), "\(error)")
            }
        }
        #expect(written >= 1)
        #expect(after.revisions.count == written)
        #expect(after.bulletin.areas == Self.fullDraft.areas)
        // A cancel, then an update: the update is refused, and nothing is written.
        _ = try await node.call { try $0.cancel(reference, reason: "Exercise over") }
        let late = await node.failure { try $0.update(reference, BulletinChanges(severity: "minor")) }
        #expect(late?.status == 409)
        #expect(late?.description.contains("it changes no more") == true)
        #expect(try await node.call { try $0.bulletin(reference) }.revisions.count == written + 1)
        await fixture.finish()
    }

    @Test func appendsInFlightWhenTheStoreFailsAreRefusedAndTheFeedGoesOnWhereItWas() async throws {
        let fixture = try await Fixture.make()
        let node = fixture.node
        let origin = try FeedOrigin(network: fixture.network.networkID, group: "nro", author: "XA")
        let before = try node.store.head(of: origin)?.size ?? 0
        try node.breakStore()
        let failures = await withTaskGroup(of: Int?.self) { group in
            for number in 0..<4 {
                group.addTask {
                    var draft = Self.fullDraft
                    draft.headline = "Exercise: report \(number)"
                    let request = BulletinRequest(group: "nro", draft: draft)
                    return await node.failure { try $0.issue(request) }?.status
                }
            }
            var statuses: [Int?] = []
            for await status in group { statuses.append(status) }
            return statuses
        }
        #expect(failures == [503, 503, 503, 503], "every append signed on a failed write fails too")
        #expect(try node.store.head(of: origin)?.size ?? 0 == before)
        // The node says what is wrong, refuses appends at once meanwhile, and reads go on.
        let status = try await node.call { try $0.status() }
        #expect(status.storeProblem?.reason.contains("the disk refuses writes") == true)
        #expect(
            await node.failure { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }?.status == 503)
        #expect(try await node.call { try $0.feeds() }.isEmpty == false)
        try node.repairStore()
        try await Eventually(timeout: 10).holds("the node writes again") {
            try await node.call { try $0.status() }.storeProblem == nil
        }
        let next = try await node.call { try $0.issue(BulletinRequest(group: "nro", draft: Self.fullDraft)) }
        #expect(next.reference == "nro/XA/\(before)", "signed from the store again, not from the failed batches")
        #expect(try node.store.audit().holds)
        await fixture.finish()
    }

    @Test func anAdminSocketPathThatIsAFileOrAFolderIsNeverRemoved() async throws {
        let fixture = try await Fixture.make()
        let folder = fixture.directory.appendingPathComponent("not-a-socket")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("precious.txt")
        try Data("keep me".utf8).write(to: file)
        for path in [folder.path, file.path] {
            #expect(throws: AdminSocketError.self) {
                _ = try AdminAPI.application(
                    runtime: fixture.node.runtime, consultation: fixture.node.consultation, socketPath: path,
                    logger: Logger(label: "test"))
            }
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == "keep me")
        await fixture.finish()
    }

    @Test func anObserverMayNotVoteAndANodeThatHeardNoPeerAnswersNotReady() async throws {
        // OBS1 is in `all` only: it holds nothing of nro, and no vote of its counts anywhere.
        let observer = try await Fixture.make(id: "OBS1")
        let proposal = observer.networkWideProposal
        #expect(try await observer.node.call { try $0.proposal(proposal.description) }.summary.author == "XB")
        let refused = await observer.node.failure {
            try $0.vote(VoteRequest(proposal: proposal.description, position: "endorse"))
        }
        #expect(refused?.status == 403)
        #expect(refused?.description.contains("not a voting member") == true)
        await observer.finish()

        // Without trust-local-log and without a peer, the restore guard holds: 503, retry later.
        let alone = try await Fixture.make(trustLocalLog: false)
        let response = try await alone.node.exchange(
            "POST", "/v1/bulletins",
            body: String(
                decoding: try AdminJSON.encode(BulletinRequest(group: "nro", draft: Self.fullDraft)), as: UTF8.self))
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "5")
        #expect(try AdminJSON.decode(AdminFailure.self, from: response.body).error.contains("no peer sharing nro"))
        await alone.finish()
    }
}
