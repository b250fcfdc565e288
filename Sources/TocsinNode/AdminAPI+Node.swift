import Foundation
import Hummingbird
import TocsinAdmin
import TocsinCore

extension AdminAPI {
    static func addNodeRoutes(to router: Router<BasicRequestContext>, runtime: NodeRuntime, notifier: Notifier?) {
        router.get("/v1/status") { _, _ in
            await respond {
                var status = try await runtime.status()
                status.notifications = await notifier?.report()
                return status
            }
        }
        router.post("/v1/notifications/test") { _, _ in
            await respond {
                guard let notifier else {
                    throw ServiceError(.conflict, "no [[notify-channel]] is configured in node.toml")
                }
                return await notifier.test()
            }
        }
        router.get("/v1/peers") { _, _ in await respond { await runtime.peerStatuses() } }
        router.get("/v1/feeds") { _, _ in await respond { try await runtime.feedReports() } }
        router.get("/v1/entries") { request, _ in
            await respond {
                let query = request.uri.queryParameters
                return try await runtime.entryReports(
                    group: query["group"].map(String.init), author: query["author"].map(String.init),
                    from: try parameter("from", of: request, in: 0...UInt64(Int64.max), default: 0),
                    limit: try parameter("limit", of: request, in: 1...10_000, default: 1000))
            }
        }
        router.get("/v1/forks") { _, _ in await respond { try await runtime.forkReports() } }
        router.get("/v1/charter") { _, _ in await respond { await runtime.charterHistory() } }
        router.post("/v1/charter/amendments") { request, _ in
            await respond {
                let body = try await decode(
                    AmendmentRequest.self, from: request, what: "an amendment",
                    limit: AmendmentBundle.maximumByteCount / 3 * 4 + 64)
                guard let bytes = Data(base64Encoded: body.amendment) else {
                    throw ServiceError(.invalid(field: "amendment"), "amendment: not base64")
                }
                let bundle: AmendmentBundle
                do {
                    bundle = try AmendmentBundle(serialized: Array(bytes))
                } catch {
                    throw ServiceError(.invalid(field: "amendment"), "\(error)")
                }
                return try await runtime.publish(bundle)
            }
        }
    }
}
