import Logging
import NIOCore
import ServiceLifecycle

/// The node as a service: starts listening and dialling and follows the consultation, runs
/// until a graceful shutdown (SIGTERM, SIGINT), then closes every session with close_notify.
public struct NodeService: Service {
    let runtime: NodeRuntime
    let configuration: NodeConfiguration
    let consultation: ConsultationService?

    public init(runtime: NodeRuntime, configuration: NodeConfiguration, consultation: ConsultationService? = nil) {
        self.runtime = runtime
        self.configuration = configuration
        self.consultation = consultation
    }

    public func run() async throws {
        try await runtime.start(
            host: configuration.listenHost, port: configuration.listenPort,
            peers: configuration.peers.map { .init(nodeID: $0.nodeID, host: $0.host, port: $0.port) },
            antiEntropyInterval: .seconds(Int64(configuration.antiEntropySeconds)))
        await consultation?.start()
        try? await gracefulShutdown()
        await consultation?.stop()
        await runtime.stop()
    }
}
