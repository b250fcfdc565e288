import Logging
import NIOCore
import ServiceLifecycle

/// The node as a service: starts listening and dialling and follows the consultation, runs
/// until a graceful shutdown (SIGTERM, SIGINT), then closes every session with close_notify.
///
/// Under systemd (`Type=notify`) it says `READY=1` once the node listens and dials, sends
/// `WATCHDOG=1` while the node's core answers (when the unit sets `WatchdogSec=`), and
/// `STOPPING=1` when it shuts down.
public struct NodeService: Service {
    let runtime: NodeRuntime
    let configuration: NodeConfiguration
    let consultation: ConsultationService?
    let systemd: SystemdNotifier?
    let watchdogInterval: Duration?
    let listeners: ListenerGate?
    let logger: Logger?

    public init(
        runtime: NodeRuntime, configuration: NodeConfiguration, consultation: ConsultationService? = nil,
        systemd: SystemdNotifier? = nil, watchdogInterval: Duration? = nil, listeners: ListenerGate? = nil,
        logger: Logger? = nil
    ) {
        self.listeners = listeners
        self.runtime = runtime
        self.configuration = configuration
        self.consultation = consultation
        self.systemd = systemd
        self.watchdogInterval = watchdogInterval
        self.logger = logger
    }

    public func run() async throws {
        try await runtime.start(
            host: configuration.listenHost, port: configuration.listenPort,
            peers: configuration.peers.map { .init(nodeID: $0.nodeID, host: $0.host, port: $0.port) },
            antiEntropyInterval: .seconds(Int64(configuration.antiEntropySeconds)))
        await consultation?.start()
        await listeners?.wait()
        tell("READY=1\nSTATUS=listening on \(configuration.listenHost):\(configuration.listenPort)")
        if let systemd, let watchdogInterval {
            // The watchdog is fed only while the node's core runs tasks: a stuck core gets
            // the process restarted.
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var reported = false
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        try? await Task.sleep(for: watchdogInterval)
                        // Not fed while the core does not answer: systemd restarts the node.
                        guard await runtime.ping(within: watchdogInterval) else {
                            logger?.error(
                                "the node's core has not answered for \(watchdogInterval): the watchdog is not fed")
                            continue
                        }
                        do {
                            try systemd.notify("WATCHDOG=1")
                        } catch  where !reported {
                            reported = true
                            logger?.error("\(error)")
                        } catch {}
                    }
                }
                try? await gracefulShutdown()
                group.cancelAll()
            }
        } else {
            try? await gracefulShutdown()
        }
        tell("STOPPING=1")
        await consultation?.stop()
        await runtime.stop()
    }

    private func tell(_ state: String) {
        guard let systemd else { return }
        do {
            try systemd.notify(state)
        } catch {
            logger?.warning("\(error)")
        }
    }
}
