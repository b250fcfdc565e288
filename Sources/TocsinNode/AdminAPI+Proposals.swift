import Hummingbird
import TocsinAdmin

extension AdminAPI {
    static func addProposalRoutes(to router: Router<BasicRequestContext>, consultation: ConsultationService) {
        router.get("/v1/proposals") { _, _ in await respond { try await consultation.proposals() } }
        router.get("/v1/proposals/:group/:author/:index") { _, context in
            await respond { try await consultation.proposal(try reference(in: context)) }
        }
        router.post("/v1/proposals") { request, _ in
            await respond(.created) {
                try await consultation.propose(
                    try await decode(ProposalRequest.self, from: request, what: "a JSON proposal"))
            }
        }
        router.post("/v1/votes") { request, _ in
            await respond(.created) {
                try await consultation.vote(
                    try await decode(VoteRequest.self, from: request, what: #"{"proposal", "position", "statement"?}"#))
            }
        }
    }
}
