import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// A whole node process: configuration, logging, runtime, consultation and admin API under
/// one service group that stops gracefully on SIGTERM or SIGINT. `tocsind` is this; `tocsin
/// demo` runs it too when no `tocsind` is built next to it.
public enum NodeDaemon {
    /// Runs the node configured in `configPath` until SIGTERM or SIGINT.
    public static func run(configPath: String) async throws {
        // Everything the daemon creates (database, admin socket) is private to its user.
        umask(0o077)
        let configuration: NodeConfiguration
        do {
            configuration = try await NIOThreadPool.singleton.runIfActive {
                try NodeConfiguration(contentsOf: URL(fileURLWithPath: configPath))
            }
        } catch {
            throw StartupFailure(message: "\(configPath): \(error)")
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            // Text from peers and entries is escaped: no log line can be forged.
            return EscapingLogHandler(wrapping: handler)
        }
        var logger = Logger(label: "tocsind")
        logger[metadataKey: "node"] = "\(configuration.nodeID)"
        // The process's shared event loops: released when the process exits.
        let group = MultiThreadedEventLoopGroup.singleton
        let runtime: NodeRuntime
        do {
            // Files, keys and the database are read off Swift concurrency's threads, as is the
            // configuration above.
            let launcherLogger = logger
            runtime = try await NIOThreadPool.singleton.runIfActive {
                try NodeLauncher.prepare(configuration, group: group, logger: launcherLogger, now: Date())
            }
        } catch {
            throw StartupFailure(message: "\(configPath): \(error)")
        }
        let consultation = ConsultationService(runtime: runtime, logger: logger)
        let admin: any Service
        do {
            admin = try AdminAPI.application(
                runtime: runtime, consultation: consultation, socketPath: configuration.adminSocket.path,
                logger: logger)
        } catch {
            throw StartupFailure(message: "\(configPath): \(error)")
        }
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
public struct StartupFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
