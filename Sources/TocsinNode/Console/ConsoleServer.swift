import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TocsinAdmin
import TocsinCore

/// The focal point's web console (`console = "127.0.0.1:8740"` in `node.toml`): plain HTML
/// pages rendered by the daemon over the same services as the admin API, a little script for
/// live updates, nothing loaded from elsewhere.
///
/// | method | path | what |
/// | --- | --- | --- |
/// | GET | /signin?token= | turns a one-time token from `tocsin console` into a session cookie |
/// | GET | / | the inbox (filters: group, country, severity, status) |
/// | GET | /bulletins/{group}/{author}/{index} | one bulletin: fields, areas drawn, revisions, who received, read and acted on it |
/// | POST | /bulletins/{group}/{author}/{index}/acknowledge | mark it read or acted on (`level`) |
/// | GET, POST | /issue | the form that issues a bulletin; errors shown at their field |
/// | POST | /import-cap | issues a bulletin from an uploaded CAP 1.2 alert (`multipart/form-data`: `alert`, `group`, `country`) |
/// | POST | /language, /signout | |
/// | GET | /proposals, /proposals/{group}/{author}/{index} | proposals, one proposal with its votes and decision |
/// | POST | /proposals/{group}/{author}/{index}/vote | this node's vote (`position`, `statement`) |
/// | GET, POST | /propose | the form that opens a proposal |
/// | GET | /network | peers, feeds and witnesses, fork proofs, the charter in force, failing notifications |
/// | GET | /log?group=&author=, /log/{group}/{author}/{index}?verify=1 | entries; one entry with its proof, checked |
/// | GET | /events | server-sent events: `changed` when the node's consultation changes |
/// | GET | /assets/console.css, /assets/console.js | |
///
/// Every page and call but `/signin` and `/assets` needs a session; every POST carries the
/// session's CSRF token (a form field `csrf`, or the header `X-CSRF-Token`). Every answer
/// carries a strict Content-Security-Policy.
public enum ConsoleServer {
    static let sessionCookie = "tocsin_session"
    static let maximumFormBytes = 64 * 1024
    /// The largest upload (`/import-cap`): the largest CAP alert `tocsin` reads (1 MiB), and
    /// the form around it.
    static let maximumUploadBytes = (1 << 20) + 64 * 1024
    /// The only path that takes a `multipart/form-data` upload.
    static let uploadPath = "/import-cap"
    /// How long `tocsin cap draft` may take to read an alert.
    static let capReadingTimeout: TimeInterval = 10
    /// How long one event stream lasts before the browser reconnects (it resumes from the
    /// last event id): a stream never holds the daemon's shutdown for long.
    static let streamLifetime: Duration = .seconds(15)

    /// The newest bulletins the inbox lists (its filters apply to these).
    static let inboxLimit = 100
    /// The entries the log page lists at most.
    static let logLimit = 500

    /// The services the console's pages use.
    struct Services: Sendable {
        let runtime: NodeRuntime
        let consultation: ConsultationService
        let sessions: ConsoleSessions
        let notifier: Notifier?
    }

    public static func router(
        runtime: NodeRuntime, consultation: ConsultationService, sessions: ConsoleSessions, notifier: Notifier? = nil
    ) -> Router<ConsoleContext> {
        let services = Services(runtime: runtime, consultation: consultation, sessions: sessions, notifier: notifier)
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: ConsoleGuard(sessions: sessions))
        addRoutes(to: router, services: services)
        return router
    }

    /// The console's listener on `host:port`.
    public static func application(
        runtime: NodeRuntime, consultation: ConsultationService, sessions: ConsoleSessions, notifier: Notifier? = nil,
        host: String, port: Int, logger: Logger, onBound: @escaping @Sendable () -> Void = {}
    ) -> some Service {
        var configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "tocsind")
        configuration.reuseAddress = true
        return Application(
            router: router(runtime: runtime, consultation: consultation, sessions: sessions, notifier: notifier),
            configuration: configuration, onServerRunning: { _ in onBound() }, logger: logger)
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(_ location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        return Response(status: .seeOther, headers: fields)
    }
}

/// A console request's context: the session it belongs to and, for a POST, its form.
public struct ConsoleContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    var session: ConsoleSessions.Session?
    var form = ConsoleForm()
    /// The files of a `multipart/form-data` POST, by field name.
    var uploads: [String: [UInt8]] = [:]

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Refuses every request without a live session (but the sign-in and the assets), every POST
/// without the session's CSRF token, and adds the security headers to every answer.
struct ConsoleGuard: RouterMiddleware {
    typealias Context = ConsoleContext
    let sessions: ConsoleSessions

    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
    ]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await guarded(request, context: context, next: next)
        for field in Self.securityHeaders { response.headers[field.name] = field.value }
        return response
    }

    func guarded(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if path == "/signin" || path.hasPrefix("/assets/") { return try await next(request, context) }
        guard let id = request.cookies[ConsoleServer.sessionCookie]?.value, let session = await sessions.session(id)
        else {
            return ConsolePages.refusal(
                .signInNeeded, detail: ConsoleCatalogue.text(.signInHow, .english), status: .unauthorized)
        }
        var context = context
        context.session = session
        if request.method == .post {
            var request = request
            let boundary =
                path == ConsoleServer.uploadPath
                ? ConsoleMultipartForm.boundary(contentType: request.headers[.contentType] ?? "") : nil
            let limit = boundary == nil ? ConsoleServer.maximumFormBytes : ConsoleServer.maximumUploadBytes
            guard let body = try? await request.collectBody(upTo: limit) else {
                return ConsolePages.refusal(
                    .forbidden, detail: "the form is larger than \(limit) bytes",
                    status: .contentTooLarge, language: session.language)
            }
            let form: ConsoleForm
            if let boundary {
                guard let multipart = ConsoleMultipartForm(body: Array(buffer: body), boundary: boundary) else {
                    return ConsolePages.refusal(
                        .forbidden, detail: "the form is not well-formed multipart/form-data", status: .badRequest,
                        language: session.language)
                }
                form = ConsoleForm(multipart.fields)
                context.uploads = multipart.files
            } else {
                form = ConsoleForm(encoded: String(buffer: body))
            }
            let offered = request.headers[HTTPField.Name("X-CSRF-Token")!] ?? form["csrf"] ?? ""
            guard ConsoleForm.sameSecret(offered, session.csrfToken) else {
                return ConsolePages.refusal(
                    .forbidden, detail: ConsoleCatalogue.text(.csrfRefused, session.language), status: .forbidden,
                    language: session.language)
            }
            context.form = form
            return try await next(request, context)
        }
        return try await next(request, context)
    }
}
