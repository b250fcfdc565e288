import Foundation
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle
import TocsinAdmin
import TocsinMetrics

/// The operator's instruments over HTTP, on a listener of their own (`metrics = "host:port"`
/// in `node.toml`; off when absent):
///
/// | path | answer |
/// | --- | --- |
/// | GET /metrics | every metric in the Prometheus text format (Docs/METRICS.md) |
/// | GET /healthz | 200 `ok` while the process is live and its node queue answers; 503 when it has not answered for 5 s |
/// | GET /readyz | 200 `ready`, or 503 `not ready:` and what is missing (`Readiness`) |
///
/// Nothing here changes the node, and nothing secret is served: the listener has no
/// authentication, and binds where the operator says (loopback in the examples).
public enum ObservabilityServer {
    /// The Prometheus text exposition format.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func router(
        runtime: NodeRuntime, consultation: ConsultationService?, logger: Logger
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            let figures = try? await consultation?.metricsFigures()
            let snapshot = await runtime.metricsSnapshot(consultation: figures)
            // Rendering reads /proc: on the thread pool, not on Swift concurrency's threads.
            let metrics = runtime.metrics
            let rendered = try await NIOThreadPool.singleton.runIfActive { metrics.render(snapshot) }
            return text(rendered, contentType: metricsContentType)
        }
        router.get("healthz") { _, _ -> Response in
            // The node queue answering is what "live" means: a stuck core fails this.
            guard await runtime.ping(within: .seconds(5)) else {
                return text("the node's core has not answered for 5 seconds\n", status: .serviceUnavailable)
            }
            return text("ok\n")
        }
        router.get("readyz") { _, _ -> Response in
            let readiness = await runtime.readiness()
            return text(readiness.text, status: readiness.ready ? .ok : .serviceUnavailable)
        }
        return router
    }

    /// The listener on `host:port`.
    public static func application(
        runtime: NodeRuntime, consultation: ConsultationService?, host: String, port: Int, logger: Logger,
        onBound: @escaping @Sendable () -> Void = {}
    ) -> some Service {
        var configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "tocsind")
        configuration.reuseAddress = true
        return Application(
            router: router(runtime: runtime, consultation: consultation, logger: logger), configuration: configuration,
            onServerRunning: { _ in onBound() }, logger: logger)
    }

    static func text(
        _ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8"
    )
        -> Response
    {
        Response(
            status: status, headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
