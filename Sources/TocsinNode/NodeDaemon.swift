import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TocsinStore

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
        // A notification command that exits before reading its input must not kill the node
        // with SIGPIPE: the write fails and the delivery is retried.
        signal(SIGPIPE, SIG_IGN)
        let configuration: NodeConfiguration
        do {
            configuration = try await NIOThreadPool.singleton.runIfActive {
                try NodeConfiguration(contentsOf: URL(fileURLWithPath: configPath))
            }
        } catch {
            throw StartupFailure(message: "\(configPath): \(error)")
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            // Text from peers and entries is escaped: no log line can be forged.
            return EscapingLogHandler(wrapping: handler)
        }
        var logger = Logger(label: "tocsind")
        logger[metadataKey: "node"] = "\(configuration.nodeID)"
        let offset = try clockOffset()
        let clock: @Sendable () -> Date = { Date().addingTimeInterval(offset) }
        if offset != 0 {
            logger.warning("the node's clock is set off the system's", metadata: ["seconds": "\(offset)"])
        }
        // The process's shared event loops: released when the process exits.
        let eventLoops = MultiThreadedEventLoopGroup.singleton
        let runtime: NodeRuntime
        do {
            // Files, keys and the database are read off Swift concurrency's threads, as is the
            // configuration above.
            let launcherLogger = logger
            runtime = try await NIOThreadPool.singleton.runIfActive {
                try NodeLauncher.prepare(
                    configuration, group: eventLoops, logger: launcherLogger, now: Date(), clock: clock)
            }
        } catch {
            throw StartupFailure(message: "\(configPath): \(error)")
        }
        let consultation = ConsultationService(runtime: runtime, logger: logger, clock: clock)
        var notifier: Notifier?
        if !configuration.notificationChannels.isEmpty {
            if let webhook = configuration.notificationChannels.first(where: \.isWebhook), Notifier.deliveryTool == nil
            {
                throw StartupFailure(
                    message: "\(configPath): notify-channel \(webhook.name): \(NotificationChannel.missingDeliveryTool)"
                )
            }
            do {
                let directory = configuration.dataDirectory
                let outbox = try await NIOThreadPool.singleton.runIfActive {
                    try NotificationOutbox.open(directory: directory)
                }
                notifier = Notifier(
                    runtime: runtime, consultation: consultation, channels: configuration.notificationChannels,
                    policy: configuration.notificationPolicy, outbox: outbox, logger: logger, clock: clock)
            } catch {
                throw StartupFailure(message: "\(configPath): the notification outbox: \(error)")
            }
        }
        if !WriterPriority.isAvailable {
            logger.info(
                "the store's writes run at the node's own priority: raising them takes CAP_SYS_NICE or an RLIMIT_NICE of \(20 + WriterPriority.raise) (systemd: LimitNICE=-\(WriterPriority.raise)); Docs/OPERATIONS.md, Running under systemd"
            )
        }
        // systemd hears READY=1 once the admin socket (and the metrics listener) are bound too.
        let listeners = ListenerGate(
            listeners: 1 + (configuration.metrics == nil ? 0 : 1) + (configuration.console == nil ? 0 : 1))
        let console = configuration.console.map {
            AdminAPI.Console(sessions: ConsoleSessions(clock: clock), address: $0)
        }
        let admin: any Service
        do {
            admin = try AdminAPI.application(
                runtime: runtime, consultation: consultation, notifier: notifier, console: console,
                socketPath: configuration.adminSocket.path, logger: logger, onBound: listeners.bound)
        } catch {
            throw StartupFailure(message: "\(configPath): \(error)")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: NodeService(
                    runtime: runtime, configuration: configuration, consultation: consultation,
                    systemd: SystemdNotifier(), watchdogInterval: SystemdNotifier.watchdogInterval(),
                    listeners: listeners,
                    logger: logger)),
            .init(service: NamedService(service: admin, setting: "admin-socket \(configuration.adminSocket.path)")),
        ]
        if let notifier { services.append(.init(service: NotifierService(notifier: notifier))) }
        if let address = configuration.metrics {
            let server = ObservabilityServer.application(
                runtime: runtime, consultation: consultation, host: address.host, port: address.port, logger: logger,
                onBound: listeners.bound)
            services.append(
                .init(service: NamedService(service: server, setting: "metrics = \"\(address.host):\(address.port)\"")))
            logger.info("serving metrics and health", metadata: ["address": "\(address.host):\(address.port)"])
        }
        if let console {
            let server = ConsoleServer.application(
                runtime: runtime, consultation: consultation, sessions: console.sessions, notifier: notifier,
                host: console.address.host,
                port: console.address.port, logger: logger, onBound: listeners.bound)
            let setting = "console = \"\(console.address.host):\(console.address.port)\""
            services.append(.init(service: NamedService(service: server, setting: setting)))
            if !["127.0.0.1", "::1", "localhost"].contains(console.address.host) {
                logger.warning(
                    "the console listens beyond this machine, over plain HTTP: put it behind a TLS proxy or bind it to loopback",
                    metadata: ["address": "\(console.address.host):\(console.address.port)"])
            }
            logger.info("serving the console", metadata: ["address": "\(console.address.host):\(console.address.port)"])
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }
}

extension NodeDaemon {
    /// The environment variable that sets a node's clock off the system's, in seconds
    /// (±31,622,400): for fault tests of clock skew with real processes, which must not change
    /// the machine's clock. Unset in any real deployment.
    public static let clockOffsetVariable = "TOCSIN_CLOCK_OFFSET_SECONDS"

    static func clockOffset() throws -> TimeInterval {
        guard let text = ProcessInfo.processInfo.environment[clockOffsetVariable] else { return 0 }
        guard let seconds = Int(text), abs(seconds) <= 31_622_400 else {
            throw StartupFailure(
                message: "\(clockOffsetVariable)=\(text.prefix(20)): a whole number of seconds within a year either way"
            )
        }
        return TimeInterval(seconds)
    }
}

/// A configuration or start-up problem: printed as `Error: <message>`, exit status 1.
public struct StartupFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
