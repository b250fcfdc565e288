import ArgumentParser
import Foundation
import TocsinAdmin

/// `tocsin console`: a one-time link to the node's web console.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Print a one-time link that opens the node's web console in a browser.",
        discussion: """
            The node serves the console when its node.toml says where (console = \
            "127.0.0.1:8740"). The link works once, within ten minutes; it turns into a session \
            in the browser that opens it. Only the node's operator can ask for one: the request \
            goes through the admin socket.
            """)

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let signIn = try admin.client().consoleSignIn()
        if admin.json { return try printJSON(signIn) }
        print(signIn.url)
    }
}
