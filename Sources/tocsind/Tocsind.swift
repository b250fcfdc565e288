import ArgumentParser
import TocsinNode

@main
struct Tocsind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsind",
        abstract: "Run a Tocsin node.",
        discussion: """
            Stops gracefully on SIGTERM or SIGINT. The configuration format is in node.example.toml \
            (Docs/ in the source, /usr/share/doc/tocsin/ in the package). Under systemd \
            (Type=notify) it reports readiness and feeds the watchdog.
            """,
        version: TocsinVersion.current)

    @Option(help: "The node's configuration file (node.toml).")
    var config: String

    func run() async throws {
        try await NodeDaemon.run(configPath: config)
    }
}
