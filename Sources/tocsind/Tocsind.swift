import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TocsinNode

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Tocsind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsind",
        abstract: "Run a Tocsin node.",
        discussion: "Stops gracefully on SIGTERM or SIGINT. The configuration format is in Docs/node.example.toml.")

    @Option(help: "The node's configuration file (node.toml).")
    var config: String

    func run() async throws {
        // Everything the daemon creates (database, admin socket) is private to its user.
        umask(0o077)
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration(contentsOf: URL(fileURLWithPath: config))
        } catch {
            throw StartupFailure(message: "\(config): \(error)")
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "tocsind")
        logger[metadataKey: "node"] = "\(configuration.nodeID)"
        // The process's shared event loops: released when the process exits.
        let group = MultiThreadedEventLoopGroup.singleton
        let runtime: NodeRuntime
        do {
            runtime = try NodeLauncher.prepare(configuration, group: group, logger: logger, now: Date())
        } catch {
            throw StartupFailure(message: "\(config): \(error)")
        }
        let consultation = Consultation(runtime: runtime, logger: logger)
        let admin = AdminAPI.application(
            runtime: runtime, consultation: consultation, socketPath: configuration.adminSocket.path, logger: logger)
        let services = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: NodeService(runtime: runtime, configuration: configuration, consultation: consultation)
                    ),
                    .init(service: admin),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
        logger.notice("stopped")
    }
}

/// A configuration or start-up problem: printed as `Error: <message>`, exit status 1.
struct StartupFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
