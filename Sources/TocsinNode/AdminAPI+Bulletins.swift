import Hummingbird
import TocsinAdmin
import TocsinCore

extension AdminAPI {
    static func addBulletinRoutes(to router: Router<BasicRequestContext>, consultation: ConsultationService) {
        router.get("/v1/bulletins") { request, _ in
            await respond {
                try await consultation.bulletins(
                    limit: try parameter("limit", of: request, in: 1...10_000, default: 100))
            }
        }
        router.post("/v1/bulletins") { request, _ in
            await respond(.created) {
                try await consultation.issue(
                    try await decode(BulletinRequest.self, from: request, what: "a JSON bulletin"))
            }
        }
        router.get("/v1/bulletins/:group/:author/:index") { _, context in
            await respond { try await consultation.bulletin(try reference(in: context)) }
        }
        router.post("/v1/bulletins/:group/:author/:index/update") { request, context in
            await respond(.created) {
                let changes = try await decode(BulletinChanges.self, from: request, what: "the JSON fields to change")
                return try await consultation.update(try reference(in: context), changes: changes)
            }
        }
        router.post("/v1/bulletins/:group/:author/:index/cancel") { request, context in
            await respond(.created) {
                let cancel = try await decode(CancelRequest.self, from: request, what: #"{"reason"?}"#)
                return try await consultation.cancel(try reference(in: context), reason: cancel.reason)
            }
        }
        router.get("/v1/bulletins/:group/:author/:index/cap") { _, context in
            await respond { try await consultation.capExport(try reference(in: context)) }
        }
        router.post("/v1/acknowledgements") { request, _ in
            await respond(.created) {
                try await consultation.acknowledge(
                    try await decode(AcknowledgementRequest.self, from: request, what: #"{"bulletin", "level"}"#))
            }
        }
    }
}
