import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TocsinAdmin
import TocsinCore
import TocsinCrypto

extension ConsoleServer {
    static func addRoutes(to router: Router<ConsoleContext>, services: Services) {
        router.get("/assets/console.css") { _, _ in
            asset(ConsoleAssets.stylesheet, type: "text/css; charset=utf-8")
        }
        router.get("/assets/console.js") { _, _ in
            asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/signin") { request, _ -> Response in
            guard let token = request.uri.queryParameters.get("token"),
                let session = await services.sessions.signIn(token: token)
            else {
                return ConsolePages.refusal(
                    .signInNeeded, detail: ConsoleCatalogue.text(.signInHow, .english), status: .unauthorized)
            }
            // The token leaves the address bar at once; the cookie never reaches a script.
            return redirect(
                "/",
                headers: [
                    .setCookie:
                        "\(sessionCookie)=\(session.id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(ConsoleSessions.idleLifetime))"
                ])
        }
        router.post("/signout") { _, context -> Response in
            if let session = context.session { await services.sessions.signOut(session.id) }
            return redirect(
                "/signin", headers: [.setCookie: "\(sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"])
        }
        router.post("/language") { request, context -> Response in
            guard let session = context.session else { return redirect("/") }
            let language = ConsoleCatalogue.Language(rawValue: context.form["language"] ?? "") ?? .english
            await services.sessions.setLanguage(language, for: session.id)
            return redirect(safeReturn(context.form["return"]))
        }
        router.get("/") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                let all = try await services.consultation.bulletins(limit: inboxLimit)
                let readByThisNode = try await services.consultation.readByThisNode(all.map(\.reference))
                let filters = ConsolePages.InboxFilters(query: request.uri.queryParameters)
                return ConsolePages.inbox(
                    all, filters: filters, readByThisNode: readByThisNode, nodeID: services.runtime.nodeID,
                    language: language)
            }
        }
        router.get("/bulletins/:group/:author/:index") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                let reference = try bulletinReference(context)
                let detail = try await services.consultation.bulletin(reference)
                return ConsolePages.bulletin(detail, nodeID: services.runtime.nodeID, language: language)
            }
        }
        router.post("/bulletins/:group/:author/:index/acknowledge") { request, context -> Response in
            await page(request, context, following: services.consultation) { _ in
                let reference = try bulletinReference(context)
                _ = try await services.consultation.acknowledge(
                    AcknowledgementRequest(bulletin: reference.description, level: context.form["level"] ?? ""))
                throw Redirect(location: "/bulletins/\(reference)")
            }
        }
        router.get("/bulletins/:group/:author/:index/cap") { request, context -> Response in
            let reference: EntryReference
            let export: CAPExport
            do {
                reference = try bulletinReference(context)
                export = try await services.consultation.capExport(reference)
            } catch {
                return await page(request, context, following: services.consultation) { _ in throw error }
            }
            let name = reference.description.replacingOccurrences(of: "/", with: "-")
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/xml; charset=utf-8",
                    .contentDisposition: "attachment; filename=\"tocsin-\(name).xml\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: export.xml)))
        }
        router.get("/issue") { request, context -> Response in
            await page(request, context, live: false) { language in
                ConsolePages.issueForm(
                    groups: issuingGroups(services), values: ConsoleForm(), error: nil, language: language)
            }
        }
        router.post("/issue") { request, context -> Response in
            await page(request, context, live: false) { language in
                let form = context.form
                var draft = BulletinDraft(
                    headline: form.trimmed("headline") ?? "", severity: form.trimmed("severity") ?? "",
                    country: form.trimmed("country") ?? "")
                draft.description = form.trimmed("description")
                draft.urgency = form.trimmed("urgency")
                draft.certainty = form.trimmed("certainty")
                draft.status = form.trimmed("status")
                let created = try await submitting {
                    try await services.consultation.issue(BulletinRequest(group: form.trimmed("group"), draft: draft))
                } showing: { error in
                    ConsolePages.issueForm(
                        groups: issuingGroups(services), values: form, error: error, language: language)
                }
                throw Redirect(location: "/bulletins/\(created.reference)")
            }
        }
        router.get("/import-cap") { request, context -> Response in
            await page(request, context, live: false) { language in
                ConsolePages.importForm(
                    groups: issuingGroups(services), values: ConsoleForm(), error: nil, language: language)
            }
        }
        router.post("/import-cap") { request, context -> Response in
            await page(request, context, live: false) { language in
                let form = context.form
                func showing(_ error: (field: String, message: String)) -> String {
                    ConsolePages.importForm(
                        groups: issuingGroups(services), values: form, error: error, language: language)
                }
                let imported = try await readingAlert(context, services: services, language: language, showing: showing)
                guard let draft = imported.draft else { throw ServiceError(.malformed, "the alert made no bulletin") }
                let created = try await submitting {
                    try await services.consultation.issue(BulletinRequest(group: form.trimmed("group"), draft: draft))
                } showing: {
                    showing($0)
                }
                return ConsolePages.imported(created.reference, notes: imported.notes, language: language)
            }
        }
        router.get("/proposals") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                ConsolePages.proposals(
                    try await services.consultation.proposals(), nowMs: services.consultation.nowMs, language: language)
            }
        }
        router.get("/proposals/:group/:author/:index") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                let reference = try bulletinReference(context)
                let detail = try await services.consultation.proposal(reference)
                let canVote = services.runtime.permissions.votingMembers(of: reference.group).contains(
                    services.runtime.nodeID)
                return ConsolePages.proposal(
                    detail, canVote: canVote, nowMs: services.consultation.nowMs, language: language)
            }
        }
        router.post("/proposals/:group/:author/:index/vote") { request, context -> Response in
            await page(request, context, following: services.consultation) { _ in
                let reference = try bulletinReference(context)
                _ = try await services.consultation.vote(
                    VoteRequest(
                        proposal: reference.description, position: context.form["position"] ?? "",
                        statement: context.form.trimmed("statement")))
                throw Redirect(location: "/proposals/\(reference)")
            }
        }
        router.get("/propose") { request, context -> Response in
            await page(request, context, live: false) { language in
                ConsolePages.proposeForm(
                    groups: proposingGroups(services), values: ConsoleForm(), error: nil, language: language)
            }
        }
        router.post("/propose") { request, context -> Response in
            await page(request, context, live: false) { language in
                let form = context.form
                var draft = ConsultationEntries.ProposalDraft(
                    title: form.trimmed("title") ?? "", action: form.trimmed("action") ?? "",
                    deadline: form.trimmed("deadline") ?? "")
                draft.rationale = form.trimmed("rationale")
                draft.priority = form.trimmed("priority")
                draft.policy = form.trimmed("policy")
                let created = try await submitting {
                    try await services.consultation.propose(
                        ProposalRequest(group: form.trimmed("group") ?? "", draft: draft))
                } showing: { error in
                    ConsolePages.proposeForm(
                        groups: proposingGroups(services), values: form, error: error, language: language)
                }
                throw Redirect(location: "/proposals/\(created.reference)")
            }
        }
        router.get("/network") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                ConsolePages.network(
                    peers: await services.runtime.peerStatuses(), feeds: try await services.runtime.feedReports(),
                    forks: try await services.runtime.forkReports(), charter: await services.runtime.charterHistory(),
                    notifications: await services.notifier?.report(), language: language)
            }
        }
        router.get("/log") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                let query = request.uri.queryParameters
                let entries = try await services.runtime.entryReports(
                    group: query.get("group"), author: query.get("author"), from: 0, limit: logLimit)
                return ConsolePages.log(entries, language: language)
            }
        }
        router.get("/log/:group/:author/:index") { request, context -> Response in
            await page(request, context, following: services.consultation) { language in
                let reference = try bulletinReference(context)
                guard let found = try await services.runtime.entryProof(reference) else {
                    throw ServiceError(.notFound, "\(reference) is not held here")
                }
                return ConsolePages.logEntry(
                    found.document, signed: found.signed, verify: request.uri.queryParameters.get("verify") == "1",
                    language: language)
            }
        }
        router.get("/events") { request, _ -> Response in
            events(request, consultation: services.consultation)
        }
    }

    /// A page: rendered in the session's language; a refusal of the services shown as a page.
    /// `live`: whether the page follows the node's changes (not a form: swapping it would lose
    /// what is being typed).
    static func page(
        _ request: Request, _ context: ConsoleContext, live: Bool = true,
        following consultation: ConsultationService? = nil,
        _ render: (ConsoleCatalogue.Language) async throws -> String
    ) async -> Response {
        let language = context.session?.language ?? .english
        let csrf = context.session?.csrfToken ?? ""
        let path = request.uri.path
        do {
            // Read before rendering: a change made meanwhile makes the page refresh itself.
            let revision = live ? await consultation?.currentRevision() : nil
            return html(
                ConsolePages.layout(
                    try await render(language), language: language, csrf: csrf, path: path, live: live,
                    revision: revision))
        } catch let redirect as Redirect {
            return ConsoleServer.redirect(redirect.location)
        } catch let rendered as Rendered {
            return html(
                ConsolePages.layout(rendered.html, language: language, csrf: csrf, path: path, live: false),
                status: rendered.status)
        } catch {
            let error = ServiceError(error)
            let status: HTTPResponse.Status
            switch error.kind {
            case .malformed, .invalid: status = .badRequest
            case .refused: status = .forbidden
            case .notFound: status = .notFound
            case .conflict: status = .conflict
            case .notReady: status = .serviceUnavailable
            case .storeFailure: status = .internalServerError
            }
            return ConsolePages.refusal(.forbidden, detail: error.message, status: status, language: language)
        }
    }

    /// Submits a form's request; when the API refuses a field, the form is shown again by
    /// `form`, with the error at that field (the API's own validation, never a copy of it).
    static func submitting<Value>(
        _ submit: () async throws -> Value, showing form: ((field: String, message: String)) -> String
    ) async throws -> Value {
        do {
            return try await submit()
        } catch {
            let refusal = ServiceError(error)
            guard case .invalid(let field) = refusal.kind else { throw refusal }
            throw Rendered(status: .unprocessableContent, html: form((field, refusal.message)))
        }
    }

    /// The bulletin the uploaded alert makes, read by `tocsin cap draft` in a child process
    /// (the daemon parses no XML); a refusal shows the import form again, the error at its field.
    static func readingAlert(
        _ context: ConsoleContext, services: Services, language: ConsoleCatalogue.Language,
        showing form: ((field: String, message: String)) -> String
    ) async throws -> CAPDraft {
        func refuse(_ field: String, _ message: String) -> Rendered {
            Rendered(status: .unprocessableContent, html: form((field, message)))
        }
        guard let alert = context.uploads["alert"], !alert.isEmpty else {
            throw refuse("alert", ConsoleCatalogue.text(.alertMissing, language))
        }
        guard let tool = ChildProcess.tocsinTool else {
            throw refuse("alert", ConsoleCatalogue.text(.alertReaderMissing, language))
        }
        var words = [tool.path, "cap", "draft", "--network", services.runtime.store.networkID.digest.hex]
        if let country = context.form.trimmed("country") { words += ["--country", country] }
        if let wanted = context.form.trimmed("language") { words += ["--language", wanted] }
        let outcome: ChildProcess.Outcome
        switch await ChildProcess.run(
            words, input: alert, timeout: capReadingTimeout, outputLimit: maximumUploadBytes * 2)
        {
        case .failure(let failure): throw refuse("alert", failure.description)
        case .success(let success): outcome = success
        }
        guard outcome.status == 0, let answer = try? AdminJSON.decode(CAPDraft.self, from: outcome.output) else {
            throw refuse("alert", "tocsin cap draft exited with status \(outcome.status): \(outcome.errors)")
        }
        if answer.stateNotNamed { throw refuse("country", ConsoleCatalogue.text(.stateNotNamed, language)) }
        if let refusal = answer.refusal { throw refuse("alert", refusal) }
        return answer
    }

    struct Redirect: Error { let location: String }
    struct Rendered: Error {
        let status: HTTPResponse.Status
        let html: String
    }

    static func bulletinReference(_ context: ConsoleContext) throws -> EntryReference {
        let parameters = context.parameters
        guard let group = parameters.get("group"), let author = parameters.get("author"),
            let index = parameters.get("index")
        else { throw ServiceError(.malformed, "not a bulletin reference") }
        do {
            return try EntryReference(parsing: "\(group)/\(author)/\(index)")
        } catch {
            throw ServiceError(.malformed, "\(group)/\(author)/\(index) is not <group>/<author>/<index>")
        }
    }

    /// The groups this node may issue bulletins in, under the charter in force.
    static func issuingGroups(_ services: Services) -> [String] {
        services.runtime.charter.groups.map(\.id).filter {
            services.runtime.permissions.permits(services.runtime.nodeID, .issue(group: $0))
        }
    }

    /// The groups in which this node may open a proposal, under the charter in force.
    static func proposingGroups(_ services: Services) -> [String] {
        services.runtime.charter.groups.map(\.id).filter {
            services.runtime.permissions.permits(services.runtime.nodeID, .propose(group: $0))
        }
    }

    /// Only a path of the console itself: a form cannot send the browser elsewhere.
    static func safeReturn(_ path: String?) -> String {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\") else { return "/" }
        return path
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `changed` whenever the node's consultation changes, with the revision as the event id;
    /// a browser reconnecting with `Last-Event-ID` hears at once whether it missed a change.
    static func events(_ request: Request, consultation: ConsultationService) -> Response {
        // A reconnection names the last event it heard; a fresh page, the revision it shows.
        let lastSeen =
            request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { UInt64($0) }
            ?? request.uri.queryParameters.get("since").flatMap { UInt64($0) }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: .init { writer in
                var known = lastSeen
                let started = ContinuousClock.now
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                // Ends with the daemon too: a browser left open never holds a graceful stop.
                while ContinuousClock.now - started < streamLifetime, !Task.isShuttingDownGracefully {
                    let revision = await consultation.currentRevision()
                    if revision != known {
                        // The first revision of a fresh page is what it already shows.
                        let event = known == nil ? "ready" : "changed"
                        try await writer.write(
                            ByteBuffer(string: "event: \(event)\nid: \(revision)\ndata: \(revision)\n\n"))
                        known = revision
                    }
                    try await Task.sleep(for: .milliseconds(250))
                }
                try await writer.finish(nil)
            })
    }
}
