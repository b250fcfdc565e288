import Foundation
import Logging
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinMetrics
import TocsinNode
import TocsinStore

/// What every scenario starts from: a scratch folder (removed at the end), a fictional
/// network, fresh data directories, and for scenarios with running nodes, event loops and a
/// quiet logger.
final class BenchmarkFixture {
    let scratch: ScratchDirectory
    let now: Date
    let network: FictionalNetwork
    let logger: Logger
    private let threads: Int
    private var eventLoops: MultiThreadedEventLoopGroup?

    init(
        nationals: Int, relays: Int, observers: Int = 0, deliberationMinutes: Int = 0, threads: Int = 2,
        logLevel: Logger.Level = .critical
    ) throws {
        scratch = try ScratchDirectory()
        now = Date()
        network = try FictionalNetwork.make(
            nationals: nationals, relays: relays, observers: observers, now: now,
            deliberationMinutes: deliberationMinutes)
        var logger = Logger(label: "tocsin-bench")
        logger.logLevel =
            ProcessInfo.processInfo.environment["TOCSIN_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? logLevel
        self.logger = logger
        self.threads = threads
    }

    /// The event loops the scenario's nodes share.
    var loops: MultiThreadedEventLoopGroup {
        if let eventLoops { return eventLoops }
        let made = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        eventLoops = made
        return made
    }

    /// A new data directory of this network, `scratch/<name>`.
    func store(_ name: String) throws -> FeedStore {
        try FeedStore.create(
            at: scratch.url.appendingPathComponent(name), genesis: network.signedCharter,
            authorityCertificatePEM: network.authority.certificate.pem, now: now)
    }

    /// A node of this network over `store`, on the shared loops, not started.
    /// - Parameter metrics: whether the node records its metrics (tocsind always does).
    func runtime(_ id: String, store: FeedStore, witness: Bool = false, metrics: Bool = true) throws -> NodeRuntime {
        let member = network.member(id)!
        return try NodeRuntime(
            nodeID: id, key: member.key, certificateChain: [member.certificate],
            authority: network.authority.certificate, store: store, group: loops, logger: logger, witness: witness,
            metrics: NodeMetrics(recording: metrics))
    }

    /// Stops the loops and removes the scratch folder.
    func close() async {
        try? await eventLoops?.shutdownGracefully()
        scratch.remove()
    }
}
