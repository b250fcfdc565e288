import ArgumentParser
import TocsinAdmin

struct Acknowledge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge a bulletin as read (default) or acted on; prints the acknowledgement's reference.",
        discussion: "Receipt is acknowledged by the node itself when it stores a bulletin of its groups.")

    @Argument(help: "The bulletin, <group>/<author>/<index>.")
    var reference: String

    @Flag(help: "The operator has read it.")
    var read = false

    @Flag(help: "The operator has acted on it.")
    var acted = false

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        if read && acted { throw ValidationError("give --read or --acted, not both") }
    }

    func run() throws {
        let request = AcknowledgementRequest(bulletin: reference, level: acted ? "acted-on" : "read")
        try printCreated(try admin.client().acknowledge(request), json: admin.json)
    }
}
