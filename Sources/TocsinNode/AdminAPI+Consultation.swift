import Foundation
import Hummingbird
import TocsinCore
import TocsinCrypto
import TocsinStore

/// The consultation part of the admin API.
///
/// | method | path | answer |
/// | --- | --- | --- |
/// | GET | /v1/bulletins | bulletins (alerts) newest first, with state and acknowledgement counts |
/// | GET | /v1/bulletins/{group}/{author}/{index} | one bulletin, its revisions, who acknowledged what and when |
/// | GET | /v1/bulletins/{group}/{author}/{index}/cap | `{"reference", "xml"}`: that bulletin entry (alert, update or cancel) as a CAP 1.2 alert |
/// | POST | /v1/bulletins | issue, update or cancel: `{"group", …BulletinDraft fields}` → `{"reference"}` |
/// | POST | /v1/acknowledgements | `{"bulletin": REF, "level": "read" \| "acted-on"}` → `{"reference"}` |
/// | GET | /v1/proposals | open proposals by priority then deadline, then closed ones, with standing |
/// | GET | /v1/proposals/{group}/{author}/{index} | one proposal, its votes, standing, decisions and findings |
/// | POST | /v1/proposals | `{"group", …ProposalDraft fields}` → `{"reference"}` |
/// | POST | /v1/votes | `{"proposal": REF, "position", "statement"?}` → `{"reference"}` |
extension AdminAPI {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    struct GroupField: Decodable { let group: String? }
    struct AcknowledgeRequest: Decodable {
        let bulletin: String
        let level: String
    }
    struct VoteRequest: Decodable {
        let proposal: String
        let position: String
        let statement: String?
    }

    struct Created: Encodable { let reference: String }

    struct AcknowledgementCounts: Encodable {
        let received: Int
        let read: Int
        let actedOn: Int
        let members: Int
    }

    struct BulletinReport: Encodable {
        let reference: String
        let author: String
        let group: String
        let headline: String
        let severity: String
        let urgency: String
        let certainty: String
        let status: String
        let country: String
        let state: String
        let issuedMs: Int64
        let latest: String?
        let acknowledgements: AcknowledgementCounts
    }

    struct MemberAcknowledgement: Encodable {
        let member: String
        let receivedMs: Int64?
        let readMs: Int64?
        let actedOnMs: Int64?
    }

    struct BulletinDetail: Encodable {
        let summary: BulletinReport
        let description: String
        let areas: [String]
        let riskFactors: [String]
        let sources: [String]
        let recommendedActions: [String]
        let language: String
        let expiresMs: Int64?
        let revisions: [String]
        let refusedRevisions: [String]
        let members: [MemberAcknowledgement]
        let notAcknowledged: [String]
    }

    struct StandingReport: Encodable {
        let outcome: String?
        let final: Bool
        let endorsements: Int
        let objections: Int
        let abstentions: Int
        let votingMembers: Int
        let notVoted: [String]
        let explanation: String
    }

    struct DecisionReport: Encodable {
        let reference: String
        let author: String
        let outcome: String
        let closedMs: Int64
        let counted: [String]
        let holds: Bool?
        let findings: [String]
    }

    struct VoteReport: Encodable {
        let reference: String
        let voter: String
        let position: String
        let statement: String
        let witnessedMs: Int64?
        let counted: Bool
    }

    struct ProposalReport: Encodable {
        let reference: String
        let group: String
        let author: String
        let title: String
        let action: String
        let priority: String
        let policy: String
        let deadlineMs: Int64
        let state: String
        let standing: StandingReport
        let decisions: [DecisionReport]
    }

    struct ProposalDetail: Encodable {
        let summary: ProposalReport
        let rationale: String
        let bulletins: [String]
        let votes: [VoteReport]
    }

    static func failure(_ text: String, _ status: HTTPResponse.Status) -> Response {
        json(Failure(error: text), status: status)
    }

    static func body(_ request: Request) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        return Data(buffer.readableBytesView)
    }

    /// A held entry named by `text` (`<group>/<author>/<index>`), decoded.
    static func held(_ text: String, runtime: NodeRuntime) throws -> (EntryReference, SHA256Digest, Tocsin_V1_Entry) {
        let reference = try EntryReference(parsing: text)
        let origin = try FeedOrigin(network: runtime.store.networkID, group: reference.group, author: reference.author)
        guard let stored = try runtime.store.entry(origin: origin, index: reference.index) else {
            throw ConsultationError.refused("\(reference) is not held by this node")
        }
        return (reference, stored.leafHash, try EntryDecoder.decode(stored.bytes))
    }

    /// The reference named by a route's `:group/:author/:index`.
    static func reference(in context: BasicRequestContext) -> EntryReference? {
        let parameters = context.parameters
        return try? EntryReference(
            parsing:
                "\(parameters.get("group") ?? "")/\(parameters.get("author") ?? "")/\(parameters.get("index") ?? "")")
    }

    static func addConsultationRoutes(
        to router: Router<BasicRequestContext>, runtime: NodeRuntime, consultation: Consultation
    ) {
        router.get("/v1/bulletins") { request, _ -> Response in
            let limit = min(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100, 10_000)
            let views = consultation.read { book in book.alerts.prefix(limit).map { view($0.reference, book: book) } }
            return json(views.compactMap { $0.flatMap { bulletinReport($0, runtime: runtime) } })
        }
        router.get("/v1/bulletins/:group/:author/:index") { _, context -> Response in
            guard let reference = reference(in: context) else {
                return failure("not a reference <group>/<author>/<index>", .badRequest)
            }
            let detail = consultation.read { book in view(reference, book: book) }.flatMap {
                bulletinDetail($0, runtime: runtime)
            }
            return detail.map { json($0) } ?? failure("no bulletin \(reference) is held here", .notFound)
        }
        router.get("/v1/bulletins/:group/:author/:index/cap") { _, context -> Response in
            guard let reference = reference(in: context) else {
                return failure("not a reference <group>/<author>/<index>", .badRequest)
            }
            let found = consultation.read { book -> (ConsultationBook.BulletinMark, [EntryReference: Int64])? in
                guard let mark = book.bulletins[reference] else { return nil }
                let referenced = Dictionary(
                    mark.targets.compactMap { target in
                        book.bulletins[target.reference].map { (target.reference, $0.authorTimeMs) }
                    }, uniquingKeysWith: { first, _ in first })
                return (mark, referenced)
            }
            let xml = found.flatMap { mark, referenced in
                payload(of: mark.reference, runtime: runtime).map { bulletin in
                    CAPAlert(
                        bulletin: bulletin, reference: reference, network: runtime.store.networkID,
                        authorTimeMs: mark.authorTimeMs,
                        senderName: runtime.signedCharter.charter.node(reference.author)?.name ?? reference.author,
                        referenced: referenced
                    ).xml()
                }
            }
            guard let xml else { return failure("no bulletin \(reference) is held here", .notFound) }
            return json(["reference": reference.description, "xml": xml])
        }
        router.post("/v1/bulletins") { request, _ -> Response in
            do {
                let data = try await body(request)
                let group = try decoder.decode(GroupField.self, from: data).group
                let draft = try decoder.decode(BulletinDraft.self, from: data)
                var resolved: [(EntryReference, SHA256Digest)] = []
                for text in draft.references ?? [] {
                    let (reference, leafHash, entry) = try held(text, runtime: runtime)
                    guard case .bulletin = entry.payload else {
                        throw ConsultationError.refused("\(reference) is not a bulletin")
                    }
                    guard reference.author == runtime.nodeID else {
                        throw ConsultationError.refused(
                            "\(reference) was issued by \(reference.author): only its author may update or cancel it")
                    }
                    guard group == nil || group == reference.group else {
                        throw ConsultationError.refused("\(reference) is in group \(reference.group), not \(group!)")
                    }
                    resolved.append((reference, leafHash))
                }
                guard let target = group ?? resolved.first?.0.group else {
                    return failure("group: must name the group the bulletin is for", .badRequest)
                }
                let entry = try draft.entry(authorTimeMs: nowMs(), references: resolved)
                let batch = try await runtime.appendWhenReady(group: target, entries: [entry])
                return json(
                    Created(reference: "\(target)/\(runtime.nodeID)/\(batch.firstIndex)"), status: .created)
            } catch let error as DecodingError {
                return failure("the body must be a JSON bulletin: \(describe(error))", .badRequest)
            } catch {
                return failure("\(error)", .unprocessableContent)
            }
        }
        router.post("/v1/acknowledgements") { request, _ -> Response in
            do {
                let ask = try decoder.decode(AcknowledgeRequest.self, from: try await body(request))
                let level = try ConsultationTerms.value(ask.level, in: ConsultationTerms.levels, field: "level")
                let (reference, leafHash, entry) = try held(ask.bulletin, runtime: runtime)
                guard case .bulletin = entry.payload else {
                    throw ConsultationError.refused("\(reference) is not a bulletin")
                }
                let bytes = ConsultationEntries.acknowledgement(
                    of: reference, leafHash: leafHash, level: level, authorTimeMs: nowMs())
                let batch = try await runtime.appendWhenReady(group: reference.group, entries: [bytes])
                return json(
                    Created(reference: "\(reference.group)/\(runtime.nodeID)/\(batch.firstIndex)"), status: .created)
            } catch let error as DecodingError {
                return failure("the body must be {\"bulletin\", \"level\"}: \(describe(error))", .badRequest)
            } catch {
                return failure("\(error)", .unprocessableContent)
            }
        }
        router.get("/v1/proposals") { _, _ -> Response in
            let references = consultation.read { Array($0.proposals.keys) }
            let reports = references.compactMap { proposalReport($0, runtime: runtime, consultation: consultation) }
            func rank(_ report: ProposalReport) -> ProposalRank {
                ProposalRank(
                    isOpen: report.state == "open", priority: ConsultationTerms.priorities[report.priority] ?? .normal,
                    deadlineMs: report.deadlineMs, reference: report.reference)
            }
            return json(reports.sorted { rank($0) < rank($1) })
        }
        router.get("/v1/proposals/:group/:author/:index") { _, context -> Response in
            guard let reference = reference(in: context) else {
                return failure("not a reference <group>/<author>/<index>", .badRequest)
            }
            guard let detail = proposalDetail(reference, runtime: runtime, consultation: consultation) else {
                return failure("no proposal \(reference) is held here", .notFound)
            }
            return json(detail)
        }
        router.post("/v1/proposals") { request, _ -> Response in
            do {
                let data = try await body(request)
                guard let group = try decoder.decode(GroupField.self, from: data).group else {
                    return failure("group: must name the group that decides", .badRequest)
                }
                guard runtime.signedCharter.charter.group(group)?.members.contains(runtime.nodeID) == true else {
                    throw ConsultationError.refused(
                        "\(runtime.nodeID) is not a member of \(group): it cannot propose there")
                }
                let draft = try decoder.decode(ConsultationEntries.ProposalDraft.self, from: data)
                var resolved: [(EntryReference, SHA256Digest)] = []
                for text in draft.bulletins ?? [] {
                    let (reference, leafHash, entry) = try held(text, runtime: runtime)
                    guard case .bulletin = entry.payload, reference.group == group else {
                        throw ConsultationError.refused("\(reference) is not a bulletin of group \(group)")
                    }
                    resolved.append((reference, leafHash))
                }
                let now = nowMs()
                let proposal = try draft.proposal(bulletins: resolved, nowMs: now)
                let batch = try await runtime.appendWhenReady(
                    group: group, entries: [ConsultationEntries.proposal(proposal, authorTimeMs: now)])
                return json(Created(reference: "\(group)/\(runtime.nodeID)/\(batch.firstIndex)"), status: .created)
            } catch let error as DecodingError {
                return failure("the body must be a JSON proposal: \(describe(error))", .badRequest)
            } catch {
                return failure("\(error)", .unprocessableContent)
            }
        }
        router.post("/v1/votes") { request, _ -> Response in
            do {
                let ask = try decoder.decode(VoteRequest.self, from: try await body(request))
                let position = try ConsultationTerms.value(
                    ask.position, in: ConsultationTerms.positions, field: "position")
                let (reference, leafHash, entry) = try held(ask.proposal, runtime: runtime)
                guard case .proposal = entry.payload else {
                    throw ConsultationError.refused("\(reference) is not a proposal")
                }
                let charter = runtime.signedCharter.charter
                guard charter.node(runtime.nodeID)?.role == .national,
                    charter.group(reference.group)?.members.contains(runtime.nodeID) == true
                else {
                    throw ConsultationError.refused(
                        "\(runtime.nodeID) is not a voting member of \(reference.group) (national members vote)")
                }
                let bytes = try ConsultationEntries.vote(
                    on: reference, leafHash: leafHash, position: position, statement: ask.statement ?? "",
                    authorTimeMs: nowMs())
                let batch = try await runtime.appendWhenReady(group: reference.group, entries: [bytes])
                return json(
                    Created(reference: "\(reference.group)/\(runtime.nodeID)/\(batch.firstIndex)"), status: .created)
            } catch let error as DecodingError {
                return failure(
                    "the body must be {\"proposal\", \"position\", \"statement\"?}: \(describe(error))", .badRequest)
            } catch {
                return failure("\(error)", .unprocessableContent)
            }
        }
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    // MARK: - Reports

    /// What the book knows of one bulletin, taken out of the consultation queue.
    struct BulletinView {
        let mark: ConsultationBook.BulletinMark
        let state: ConsultationBook.BulletinState
        let acknowledgements: [String: ConsultationBook.AcknowledgementTimes]
        let revisions: [EntryReference]
    }

    static func view(_ reference: EntryReference, book: ConsultationBook) -> BulletinView? {
        guard let mark = book.bulletins[reference], let state = book.state(of: reference) else { return nil }
        return BulletinView(
            mark: mark, state: state, acknowledgements: book.acknowledgements(of: reference),
            revisions: book.revisions[reference] ?? [])
    }

    /// A bulletin's message, read from the store (the book keeps only its marks).
    static func payload(of reference: EntryReference, runtime: NodeRuntime) -> Tocsin_V1_Bulletin? {
        guard
            let origin = try? FeedOrigin(
                network: runtime.store.networkID, group: reference.group, author: reference.author),
            let stored = try? runtime.store.entry(origin: origin, index: reference.index),
            let entry = try? EntryDecoder.decode(stored.bytes), case .bulletin(let bulletin) = entry.payload
        else { return nil }
        return bulletin
    }

    static func bulletinReport(_ view: BulletinView, runtime: NodeRuntime) -> BulletinReport? {
        let reference = view.mark.reference
        guard let shown = payload(of: view.state.latest?.reference ?? reference, runtime: runtime) else { return nil }
        let members = (runtime.signedCharter.charter.group(reference.group)?.members ?? []).filter {
            $0 != reference.author
        }
        func count(_ level: Tocsin_V1_AcknowledgementLevel) -> Int {
            members.filter { view.acknowledgements[$0]?[level] != nil }.count
        }
        return BulletinReport(
            reference: reference.description, author: reference.author, group: reference.group,
            headline: shown.headline, severity: name(shown.severity, BulletinDraft.severities),
            urgency: name(shown.urgency, BulletinDraft.urgencies),
            certainty: name(shown.certainty, BulletinDraft.certainties),
            status: name(shown.status, BulletinDraft.statuses), country: shown.situation.country,
            state: view.state.isCancelled ? "cancelled" : view.state.latest != nil ? "updated" : "active",
            issuedMs: view.mark.authorTimeMs, latest: view.state.latest?.reference.description,
            acknowledgements: AcknowledgementCounts(
                received: count(.received), read: count(.read), actedOn: count(.actedOn), members: members.count))
    }

    static func name<Value: Equatable>(_ value: Value, _ table: [String: Value]) -> String {
        ConsultationTerms.name(value, in: table)
    }

    static func bulletinDetail(_ view: BulletinView, runtime: NodeRuntime) -> BulletinDetail? {
        let reference = view.mark.reference
        guard let summary = bulletinReport(view, runtime: runtime),
            let shown = payload(of: view.state.latest?.reference ?? reference, runtime: runtime)
        else { return nil }
        let members = (runtime.signedCharter.charter.group(reference.group)?.members ?? []).filter {
            $0 != reference.author
        }
        return BulletinDetail(
            summary: summary, description: shown.description_p,
            areas: shown.situation.areas.map { area in
                ([area.description_p] + area.geocodes.map { "\($0.name)=\($0.value)" }
                    + area.polygons.map {
                        "polygon \($0)"
                    } + area.circles.map { "circle \($0)" }).joined(separator: "; ")
            },
            riskFactors: shown.riskFactors.flatMap { $0.indicators.isEmpty ? ["\($0.factor)"] : $0.indicators },
            sources: shown.sources.map { $0.uri.isEmpty ? $0.name : "\($0.name) <\($0.uri)>" },
            recommendedActions: shown.recommendedActions, language: shown.language,
            expiresMs: shown.expiresMs > 0 ? shown.expiresMs : nil,
            revisions: view.revisions.filter { !view.state.refused.contains($0) }.map(\.description),
            refusedRevisions: view.state.refused.map(\.description),
            members: members.map { member in
                let times = view.acknowledgements[member]
                return MemberAcknowledgement(
                    member: member, receivedMs: times?.receivedMs, readMs: times?.readMs, actedOnMs: times?.actedOnMs)
            },
            notAcknowledged: members.filter { view.acknowledgements[$0] == nil })
    }

    static func standingReport(_ standing: Tally.Standing) -> StandingReport {
        StandingReport(
            outcome: standing.outcome?.rawValue, final: standing.isFinal, endorsements: standing.endorsements,
            objections: standing.objections, abstentions: standing.abstentions,
            votingMembers: standing.votingMembers, notVoted: standing.notVoted, explanation: standing.explanation)
    }

    static func proposalReport(
        _ reference: EntryReference, runtime: NodeRuntime, consultation: Consultation
    )
        -> ProposalReport?
    {
        guard let item = consultation.read({ $0.proposals[reference] }),
            let standing = consultation.standing(of: reference)
        else { return nil }
        let group = runtime.signedCharter.charter.group(reference.group)
        let findings = consultation.findings(on: reference)
        let decisions = consultation.read { $0.decisions(on: reference) }.map { decision in
            let found = findings[decision.reference]
            return DecisionReport(
                reference: decision.reference.description, author: decision.reference.author,
                outcome: ConsultationTerms.name(decision.payload.outcome, in: ConsultationTerms.outcomes),
                closedMs: decision.payload.closedMs,
                counted: decision.payload.votes.map { ConsultationBook.reference($0.vote).description },
                holds: found.map(\.isEmpty), findings: (found ?? []).map(\.text))
        }
        // The first decision that holds closes the proposal.
        let state = decisions.first { $0.holds == true }?.outcome ?? "open"
        let policy = ConsultationTerms.policy(item.payload.policy) ?? group?.policy ?? .majority
        return ProposalReport(
            reference: reference.description, group: reference.group, author: reference.author,
            title: item.payload.title,
            action: item.payload.action == .other
                ? "other: \(item.payload.otherAction)"
                : ConsultationTerms.name(item.payload.action, in: ConsultationTerms.actions),
            priority: ConsultationTerms.name(item.payload.priority, in: ConsultationTerms.priorities),
            policy: policy.rawValue, deadlineMs: item.payload.deadlineMs, state: state,
            standing: standingReport(standing), decisions: decisions)
    }

    static func proposalDetail(
        _ reference: EntryReference, runtime: NodeRuntime, consultation: Consultation
    )
        -> ProposalDetail?
    {
        guard let summary = proposalReport(reference, runtime: runtime, consultation: consultation),
            let item = consultation.read({ $0.proposals[reference] })
        else { return nil }
        let standing = consultation.standing(of: reference)
        let counted = Set(standing?.counted.map(\.reference) ?? [])
        let convener = runtime.signedCharter.charter.group(reference.group)?.convener ?? ""
        let votes = consultation.queue.sync { consultation.heldVotes(on: reference, convener: convener) }
        let statements = consultation.read { book in
            Dictionary(
                book.votes(on: reference).map { ($0.reference, $0.payload.statement) }, uniquingKeysWith: { a, _ in a })
        }
        return ProposalDetail(
            summary: summary, rationale: item.payload.rationale,
            bulletins: item.payload.bulletins.map { ConsultationBook.reference($0).description },
            votes: votes.sorted { ($0.voter, $0.reference.index) < ($1.voter, $1.reference.index) }.map { vote in
                VoteReport(
                    reference: vote.reference.description, voter: vote.voter, position: vote.position.rawValue,
                    statement: statements[vote.reference] ?? "", witnessedMs: vote.witnessedMs,
                    counted: counted.contains(vote.reference))
            })
    }
}
