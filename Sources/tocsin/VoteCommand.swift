import ArgumentParser
import TocsinAdmin

struct CastVote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vote", abstract: "Vote on a proposal (voting members only); prints the vote's reference.",
        discussion: "A later vote replaces an earlier one, if the convener witnessed it before the deadline.")

    @Argument(help: "The proposal, <group>/<author>/<index>.")
    var reference: String

    @Flag(help: "Endorse the proposal.")
    var endorse = false

    @Flag(help: "Object to it.")
    var object = false

    @Flag(help: "Abstain.")
    var abstain = false

    @Option(help: "A statement to go with the vote.")
    var statement: String?

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard [endorse, object, abstain].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --endorse, --object, --abstain")
        }
    }

    func run() throws {
        let request = VoteRequest(
            proposal: reference, position: endorse ? "endorse" : object ? "object" : "abstain", statement: statement)
        try printCreated(try admin.client().vote(request), json: admin.json)
    }
}
