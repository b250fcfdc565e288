import Foundation
import TocsinAdmin
import TocsinCore

/// The admin API's request bodies, decoded strictly as the daemon decodes them (the first
/// byte picks the route), then turned into the entries they would write, with every field
/// checked: a request can be refused, never make the node fail.
enum AdminRequestFuzzing {
    /// A bulletin with most fields set (a seed).
    static var sampleDraft: BulletinDraft {
        var draft = BulletinDraft(
            headline: "Exercise: militias forming in the eastern valleys of XA", severity: "severe", country: "XA",
            description: "Armed groups recruiting along ethnic lines (fictional).", urgency: "expected",
            certainty: "likely", status: "exercise", language: "fr")
        draft.areas = [
            .init(
                description: "Eastern valleys", geocodes: [.init(name: "ISO3166-2", value: "XA-EV")],
                polygons: ["1.0,2.0 1.0,3.0 2.0,3.0 1.0,2.0"], circles: ["1.5,2.5 10"])
        ]
        draft.riskFactors = ["7", "8.3", "10"]
        draft.sources = [.init(name: "Field office (fictional)", uri: "https://example.org/report")]
        draft.recommendedActions = ["Deploy observers"]
        draft.expires = "2027-01-01T00:00:00Z"
        return draft
    }

    static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let route = input.byte() % 6
        let body = Data(input.rest())
        let nowMs: Int64 = 1_800_000_000_000
        let bulletin = (EntryReference(group: "nro", author: "XA", index: 0), MerkleHash.leaf([1, 2, 3]))
        switch route {
        case 0:
            guard let request = try? AdminJSON.decodeRequest(BulletinRequest.self, from: body, what: "a bulletin")
            else { return }
            _ = try? request.draft.entry(authorTimeMs: nowMs, references: [bulletin])
            _ = request.draft.references.map { $0.map { try? EntryReference(parsing: $0) } }
        case 1:
            guard
                let changes = try? AdminJSON.decodeRequest(BulletinChanges.self, from: body, what: "fields to change"),
                let current = try? BulletinDraft(headline: "Exercise", severity: "minor", country: "XA").bulletin()
            else { return }
            _ = changes.applied(to: BulletinDraft(bulletin: current))
            _ = try? changes.update(of: current, original: bulletin, now: Date(timeIntervalSince1970: 1_800_000_000))
        case 2:
            guard let request = try? AdminJSON.decodeRequest(ProposalRequest.self, from: body, what: "a proposal")
            else { return }
            _ = try? request.draft.proposal(group: request.group, bulletins: [bulletin], nowMs: nowMs)
            _ = try? FeedOrigin(network: FuzzFixture.shared.network.networkID, group: request.group, author: "XA")
        case 3:
            guard let request = try? AdminJSON.decodeRequest(VoteRequest.self, from: body, what: "a vote") else {
                return
            }
            _ = try? EntryReference(parsing: request.proposal)
            if let position = try? ConsultationTerms.value(
                request.position, in: ConsultationTerms.positions, field: "position")
            {
                _ = try? ConsultationEntries.vote(
                    on: bulletin.0, leafHash: bulletin.1, position: position, statement: request.statement ?? "",
                    authorTimeMs: nowMs)
            }
        case 4:
            guard
                let request = try? AdminJSON.decodeRequest(
                    AcknowledgementRequest.self, from: body, what: "an acknowledgement")
            else { return }
            _ = try? EntryReference(parsing: request.bulletin)
            _ = try? ConsultationTerms.value(request.level, in: ConsultationTerms.levels, field: "level")
        default:
            guard let request = try? AdminJSON.decodeRequest(CancelRequest.self, from: body, what: "a cancel"),
                let current = try? BulletinDraft(headline: "Exercise", severity: "minor", country: "XA").bulletin()
            else { return }
            _ = try? BulletinChanges.cancel(of: current, original: bulletin, reason: request.reason)
        }
    }
}
