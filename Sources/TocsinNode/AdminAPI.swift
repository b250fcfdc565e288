import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TocsinAdmin
import TocsinCore

#if canImport(Glibc)
    import Glibc
#endif

/// The admin API: HTTP/JSON on a Unix socket (mode 0600), by default in the data directory.
///
/// | method | path | body → answer |
/// | --- | --- | --- |
/// | GET | /v1/status | → `NodeStatus` |
/// | GET | /v1/peers | → `[PeerStatus]` |
/// | GET | /v1/feeds | → `[FeedReport]` |
/// | GET | /v1/entries?group=&author=&from=&limit= | → `[EntryReport]` (limit 1–10,000, default 1,000) |
/// | GET | /v1/forks | → `[ForkReport]` |
/// | GET | /v1/bulletins?limit= | → `[BulletinSummary]`, newest first (limit 1–10,000, default 100) |
/// | POST | /v1/bulletins | `BulletinRequest` → 201 `Created` |
/// | GET | /v1/bulletins/{group}/{author}/{index} | → `BulletinDetail` |
/// | POST | /v1/bulletins/{group}/{author}/{index}/update | `BulletinChanges` → 201 `Created` |
/// | POST | /v1/bulletins/{group}/{author}/{index}/cancel | `CancelRequest` → 201 `Created` |
/// | GET | /v1/bulletins/{group}/{author}/{index}/cap | → `CAPExport` |
/// | POST | /v1/acknowledgements | `AcknowledgementRequest` → 201 `Created` |
/// | GET | /v1/proposals | → `[ProposalSummary]`, open first by priority then deadline |
/// | GET | /v1/proposals/{group}/{author}/{index} | → `ProposalDetail` |
/// | POST | /v1/proposals | `ProposalRequest` → 201 `Created` |
/// | POST | /v1/votes | `VoteRequest` → 201 `Created` |
/// | POST | /v1/console/sign-in | → 201 `ConsoleSignIn` (a one-time link; 404 when the console is off) |
///
/// A route only decodes, calls a service (`NodeRuntime`, `ConsultationService`) and encodes.
/// Failures answer an `AdminFailure` with the status of the `ServiceError`'s kind: 400
/// malformed, 403 refused by the charter, 404 not held, 409 contradicts the log, 422 an
/// invalid field (named), 503 not ready (with `Retry-After`), 500 a store failure.
public enum AdminAPI {
    /// Bodies larger than this are refused.
    static let maximumBodyBytes = 1 << 20

    /// The router of the admin API over these services.
    /// The web console, when the node serves one: its sessions and the address its links name.
    public struct Console: Sendable {
        public let sessions: ConsoleSessions
        public let address: NodeConfiguration.ListenAddress

        public init(sessions: ConsoleSessions, address: NodeConfiguration.ListenAddress) {
            self.sessions = sessions
            self.address = address
        }
    }

    public static func router(
        runtime: NodeRuntime, consultation: ConsultationService, notifier: Notifier? = nil, console: Console? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AdminRequestAudit(runtime: runtime))
        addNodeRoutes(to: router, runtime: runtime, notifier: notifier)
        router.post("/v1/console/sign-in") { _, _ in
            await respond(.created) {
                guard let console else {
                    throw ServiceError(
                        .notFound, "this node serves no console: set console = \"127.0.0.1:8740\" in node.toml")
                }
                let token = await console.sessions.issueToken()
                let host = console.address.host.contains(":") ? "[\(console.address.host)]" : console.address.host
                return ConsoleSignIn(
                    url: "http://\(host):\(console.address.port)/signin?token=\(token)",
                    expiresMs: NodeRuntime.milliseconds(
                        since1970: Date().addingTimeInterval(ConsoleSessions.tokenLifetime)))
            }
        }
        addBulletinRoutes(to: router, consultation: consultation)
        addProposalRoutes(to: router, consultation: consultation)
        return router
    }

    /// The admin application for these services, listening on `socketPath`. A stale socket
    /// left there by a crash is removed; anything else at that path is never touched.
    public static func application(
        runtime: NodeRuntime, consultation: ConsultationService, notifier: Notifier? = nil, console: Console? = nil,
        socketPath: String, logger: Logger, onBound: @escaping @Sendable () -> Void = {}
    ) throws(AdminSocketError) -> some Service {
        try AdminSocketError.clearStaleSocket(at: socketPath)
        var configuration = ApplicationConfiguration(
            address: .unixDomainSocket(path: socketPath), serverName: "tocsind")
        configuration.reuseAddress = true
        return Application(
            router: router(runtime: runtime, consultation: consultation, notifier: notifier, console: console),
            configuration: configuration,
            onServerRunning: { _ in
                // Only the daemon's user may talk to the node.
                chmod(socketPath, 0o600)
                onBound()
            }, logger: logger)
    }

    // MARK: - The parts every route shares

    /// Runs a route's work and answers its value as JSON, or its error with its status.
    static func respond(
        _ status: HTTPResponse.Status = .ok, _ work: () async throws -> some Encodable
    ) async -> Response {
        do {
            return json(try await work(), status: status)
        } catch {
            return failure(ServiceError(error))
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? AdminJSON.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func failure(_ error: ServiceError) -> Response {
        AdminRequestAudit.refusal?.reason = error.message
        let status: HTTPResponse.Status
        var headers: HTTPFields = [.contentType: "application/json"]
        switch error.kind {
        case .malformed: status = .badRequest
        case .refused: status = .forbidden
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .invalid: status = .unprocessableContent
        case .notReady(let seconds):
            status = .serviceUnavailable
            headers[.retryAfter] = "\(seconds)"
        case .storeFailure: status = .internalServerError
        }
        let data = (try? AdminJSON.encode(AdminFailure(error: error.message, field: error.field))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request's body as `Body`, or a 400 naming what is wrong with it.
    static func decode<Body: Codable>(
        _ type: Body.Type, from request: Request, what: String, limit: Int = maximumBodyBytes
    ) async throws -> Body {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw ServiceError(.malformed, "the body must be at most \(limit) bytes of JSON")
        }
        do {
            return try AdminJSON.decodeRequest(type, from: Data(buffer.readableBytesView), what: what)
        } catch {
            switch error {
            case .malformed: throw ServiceError(.malformed, error.description)
            case .unknownField(let field, _): throw ServiceError(.invalid(field: field), error.description)
            }
        }
    }

    /// The entry named by a route's `{group}/{author}/{index}`.
    static func reference(in context: BasicRequestContext) throws -> EntryReference {
        let parameters = context.parameters
        let text = [parameters.get("group"), parameters.get("author"), parameters.get("index")]
            .map { $0 ?? "" }.joined(separator: "/")
        do {
            return try EntryReference(parsing: text)
        } catch {
            throw ServiceError(.malformed, error.description)
        }
    }

    /// An integer query parameter within `range`, or `fallback` when absent; 400 otherwise.
    static func parameter<Value: FixedWidthInteger & Sendable>(
        _ name: String, of request: Request, in range: ClosedRange<Value>, default fallback: Value
    ) throws -> Value {
        guard let text = request.uri.queryParameters[name[...]] else { return fallback }
        guard let value = Value(String(text)), range.contains(value) else {
            throw ServiceError(
                .malformed, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
