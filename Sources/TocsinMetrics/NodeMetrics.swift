import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// One node's metrics: recorded through swift-metrics as things happen, sampled from the
/// node's state at each scrape, and rendered in the Prometheus text format.
///
/// Recording is cheap (an atomic add, or a lock held to add a sample); nothing here waits
/// on the disk or on the node.
public final class NodeMetrics: Sendable {
    /// The registry the node's metrics live in (one per node).
    public let registry: PrometheusCollectorRegistry
    let factory: any MetricsFactory
    /// False for a node that records nothing (benchmarks measuring what metrics cost).
    public let isRecording: Bool
    /// When these metrics were made: the process's start time where `/proc/stat` cannot be
    /// read (systemd's `ProcSubset=pid`).
    let createdAt = Date()
    /// `/proc` of this process (injected by tests).
    let processDirectory: String

    let storeCommit: CoreMetrics.Timer
    let append: CoreMetrics.Timer
    let replication: CoreMetrics.Timer

    /// - Parameter recording: false gives metrics that record nothing and render nothing.
    public init(processDirectory: String = "/proc/self", recording: Bool = true) {
        registry = PrometheusCollectorRegistry()
        factory = recording ? CatalogueMetricsFactory(registry: registry) : NOOPMetricsHandler.instance
        isRecording = recording
        self.processDirectory = processDirectory
        storeCommit = CoreMetrics.Timer(label: MetricName.storeCommitDuration.rawValue, factory: factory)
        append = CoreMetrics.Timer(label: MetricName.appendDuration.rawValue, factory: factory)
        replication = CoreMetrics.Timer(label: MetricName.replicationDelay.rawValue, factory: factory)
        // Present from the first scrape, at 0, so rates and alerts work before the first event.
        for reason in ["handshake-limit", "tls"] { counter(.connectionsRefused, ["reason": reason]).increment(by: 0) }
    }

    /// The counter `name` with these label values.
    public func counter(_ name: MetricName, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name.rawValue, dimensions: labels.map { ($0.key, $0.value) }, factory: factory)
    }

    /// The gauge `name` with these label values.
    public func gauge(_ name: MetricName, _ labels: KeyValuePairs<String, String> = [:]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name.rawValue, dimensions: labels.map { ($0.key, $0.value) }, factory: factory)
    }

    // MARK: - Events

    /// One store transaction took `duration`.
    public func recordStoreCommit(_ duration: Duration) { storeCommit.recordNanoseconds(Self.nanoseconds(duration)) }

    /// An append of this node's own entries took `duration` to be durable.
    public func recordAppend(_ duration: Duration) { append.recordNanoseconds(Self.nanoseconds(duration)) }

    /// Entries the author signed at `authorTime` became durable here at `storedTime`. A
    /// negative difference (the author's clock ahead of this one) counts as 0.
    public func recordReplication(authorTimeMs: Int64, storedTimeMs: Int64) {
        let delay = storedTimeMs.subtractingReportingOverflow(authorTimeMs)
        guard !delay.overflow else { return }
        replication.recordNanoseconds(min(max(0, delay.partialValue), Int64.max / 1_000_000) * 1_000_000)
    }

    /// A message or frame of `peer` was refused with `reason` (the protocol's error code name).
    public func countRejection(peer: String, reason: String) {
        counter(.peerRejectedMessages, ["peer": peer, "reason": reason]).increment()
    }

    /// A connection was closed before its session began.
    public func countRefusedConnection(reason: String) {
        counter(.connectionsRefused, ["reason": reason]).increment()
    }

    /// An admin request, and its status if it was refused (4xx, 5xx).
    public func countAdminRequest(method: String, status: Int) {
        counter(.adminRequests, ["method": method]).increment()
        if status >= 400 { counter(.adminRefusals, ["status": "\(status)"]).increment() }
    }

    /// The counters of one peer's traffic, made once per session.
    public func traffic(peer: String) -> PeerTraffic {
        PeerTraffic(
            sentFrames: counter(.peerSentFrames, ["peer": peer]),
            receivedFrames: counter(.peerReceivedFrames, ["peer": peer]),
            sentBytes: counter(.peerSentBytes, ["peer": peer]),
            receivedBytes: counter(.peerReceivedBytes, ["peer": peer]))
    }

    // MARK: - Scrapes

    /// Sets the sampled gauges from `snapshot`, adds the process figures and renders every
    /// metric in the Prometheus text format (version 0.0.4).
    public func render(_ snapshot: MetricsSnapshot) -> String {
        guard isRecording else { return "" }
        apply(snapshot)
        apply(ProcessFigures(reading: processDirectory))
        return registry.emitToString()
    }

    func apply(_ snapshot: MetricsSnapshot) {
        // Serialised: two scrapes at once must agree on which series they remove.
        sampled.withLockedValue { previous in
            var current: [MetricName: Set<[String: String]>] = [:]
            func set(_ name: MetricName, _ value: Double, labels: [String: String] = [:]) {
                sampledGauge(name, labels).record(value)
                current[name, default: []].insert(labels)
            }
            for feed in snapshot.feeds {
                set(.feedEntries, Double(feed.entries), labels: ["group": feed.group, "author": feed.author])
            }
            set(.forkProofs, Double(snapshot.forkProofs))
            set(.frozenFeeds, Double(snapshot.frozenFeeds))
            set(.charterVersion, Double(snapshot.charterVersion))
            set(.storeWritable, snapshot.storeWritable ? 1 : 0)
            if let ready = snapshot.ready { set(.ready, ready ? 1 : 0) }
            for peer in snapshot.peers {
                set(.peerConnected, peer.connected ? 1 : 0, labels: ["peer": peer.nodeID])
                set(.peerLag, Double(peer.lagEntries), labels: ["peer": peer.nodeID])
                if let lastContact = peer.lastContact {
                    set(.peerLastContact, lastContact.timeIntervalSince1970, labels: ["peer": peer.nodeID])
                }
                // Series exist from the start: a peer never reached shows 0, not nothing.
                _ = traffic(peer: peer.nodeID)
            }
            for (node, expiry) in snapshot.certificateExpiry {
                set(.certificateExpiry, expiry.timeIntervalSince1970, labels: ["node": node])
            }
            if let consultation = snapshot.consultation {
                set(.openProposals, Double(consultation.openProposals))
                set(.votesAwaiting, Double(consultation.votesAwaiting))
                set(.flaggedDecisions, Double(consultation.flaggedDecisions))
            }
            // A feed, peer or certificate no longer there (an amendment removed its node) is no
            // longer reported, rather than reported for ever at its last value.
            for (name, labelSets) in previous {
                for labels in labelSets.subtracting(current[name] ?? []) { sampledGauge(name, labels).destroy() }
            }
            previous = current
        }
    }

    /// A sampled gauge, its labels in name order (one series per label set, whatever order
    /// they were given in).
    private func sampledGauge(_ name: MetricName, _ labels: [String: String]) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(
            label: name.rawValue, dimensions: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            factory: factory)
    }

    /// The label sets of every sampled gauge set at the last scrape.
    private let sampled = NIOLockedValueBox<[MetricName: Set<[String: String]>]>([:])

    func apply(_ figures: ProcessFigures) {
        if let value = figures.residentMemoryBytes { gauge(.residentMemory).record(Double(value)) }
        if let value = figures.openFileDescriptors { gauge(.openFileDescriptors).record(Double(value)) }
        if let value = figures.maximumFileDescriptors { gauge(.maximumFileDescriptors).record(Double(value)) }
        gauge(.startTime).record(figures.startTimeSeconds ?? createdAt.timeIntervalSince1970)
        if let value = figures.cpuSeconds {
            // A counter that only ever rises: add what was spent since the last scrape.
            let counter = registry.makeCounter(
                descriptor: CatalogueMetricsFactory.descriptor(MetricName.cpuSeconds.rawValue), labels: [])
            let spent =
                value
                - cpuSecondsReported.withLockedValue { reported in
                    defer { reported = max(reported, value) }
                    return reported
                }
            if spent > 0 { counter.increment(by: spent) }
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, seconds < 1_000_000_000 else { return seconds < 0 ? 0 : Int64.max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private let cpuSecondsReported = NIOLockedValueBox(0.0)
}

/// The four traffic counters of one peer.
public struct PeerTraffic: Sendable {
    public let sentFrames: CoreMetrics.Counter
    public let receivedFrames: CoreMetrics.Counter
    public let sentBytes: CoreMetrics.Counter
    public let receivedBytes: CoreMetrics.Counter
}
