import Hummingbird
import Logging

/// Counts every admin request in the metrics, and logs each refused one on one line with its
/// method, path, status and reason (the `AdminFailure` message).
struct AdminRequestAudit: RouterMiddleware {
    typealias Context = BasicRequestContext
    let runtime: NodeRuntime

    /// Where a route's failure leaves its reason for this middleware (the route runs in the
    /// middleware's task).
    final class Refusal: @unchecked Sendable {
        var reason: String?
    }

    @TaskLocal static var refusal: Refusal?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let refusal = Refusal()
        let response: Response
        do {
            response = try await Self.$refusal.withValue(refusal) { try await next(request, context) }
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            note(request, status: status, reason: "\(error)")
            throw error
        }
        note(request, status: response.status.code, reason: refusal.reason)
        return response
    }

    private func note(_ request: Request, status: Int, reason: String?) {
        runtime.metrics.countAdminRequest(method: request.method.rawValue, status: status)
        guard status >= 400 else { return }
        runtime.logger.notice(
            "admin request refused",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
                "reason": "\(reason ?? "-")",
            ])
    }
}
