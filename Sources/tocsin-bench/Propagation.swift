import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TocsinCore
import TocsinDevelopment
import TocsinNode
import TocsinStore

struct Propagation: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time from a bulletin's append at a national node until every member of its group stored it.",
        discussion: """
            --nationals national nodes and --relays relays run in this process, each with its own \
            database, over real TLS on loopback, wired as `tocsin devnet` wires them: every \
            national node dials the conveners of its groups, relays dial each other. Bulletins \
            are appended one at a time at national nodes in turn; every fifth goes to the \
            network-wide group, the others to the author's regional group. A bulletin's time \
            ends when the last member of its group stored it (durably). Frames per bulletin \
            count every sync frame any node sent from the append until the next one (checkpoint \
            pushes, wants, entries, cosignatures), with the periodic anti-entropy exchange \
            pushed beyond the run.
            """)

    @Option(help: "National nodes.")
    var nationals: Int = 50

    @Option(help: "Relays (regional organisations).")
    var relays: Int = 5

    @Option(help: "Bulletins to time.")
    var bulletins: Int = 200

    @Option(help: "Event-loop threads shared by all nodes.")
    var threads: Int = 2

    @Option(help: "Whether the nodes record their metrics (on, as tocsind does; off to measure their cost).")
    var metrics: Toggle = .on

    enum Toggle: String, ExpressibleByArgument {
        case on, off
    }

    func run() async throws {
        let fixture = try BenchmarkFixture(nationals: nationals, relays: relays, threads: threads)
        let charter = fixture.network.charter
        let arrivals = Arrivals()
        var nodes: [String: NodeRuntime] = [:]
        var ports: [String: Int] = [:]
        let relayIDs = charter.nodes.filter { $0.role == .relay }.map(\.id)
        // Relays first, so that national nodes find them listening.
        let order = relayIDs + charter.nodes.filter { $0.role == .national }.map(\.id)
        for id in order {
            let node = try fixture.runtime(id, store: try fixture.store(id), metrics: metrics == .on)
            await node.observe { event in
                if case .stored(let origin, let size) = event { arrivals.stored(origin: origin, size: size, at: id) }
            }
            let dials: [String]
            if charter.node(id)?.role == .relay {
                dials = Array(relayIDs.prefix { $0 != id })
            } else {
                dials = charter.groups(of: id).map(\.convener).reduce(into: []) {
                    if !$0.contains($1) { $0.append($1) }
                }
            }
            ports[id] = try await node.start(
                host: "127.0.0.1", port: 0,
                peers: dials.map { .init(nodeID: $0, host: "127.0.0.1", port: ports[$0]!) },
                antiEntropyInterval: .seconds(3600))
            nodes[id] = node
        }

        let authors = charter.nodes.filter { $0.role == .national }.map(\.id)
        // Every national node has met its relays (the restore guard is clear) before timing starts.
        let settling = Eventually(timeout: 60, interval: 0.01)
        for id in authors {
            for group in charter.groups(of: id) {
                try await settling.holds("\(id) to meet a peer of \(group.id)") {
                    await nodes[id]!.appendReadiness(group: group.id) == .ready
                }
            }
        }

        func totalFrames() async -> UInt64 {
            var total: UInt64 = 0
            for node in nodes.values { total += await node.sentFrameCount() }
            return total
        }
        func framesByKind() async -> [String: UInt64] {
            var total: [String: UInt64] = [:]
            for node in nodes.values { total.merge(await node.sentFrameCountsByKind(), uniquingKeysWith: +) }
            return total
        }
        var latencies: [(networkWide: Bool, milliseconds: Double)] = []
        var frames: [UInt64] = []
        var networkWideByKind: [String: UInt64] = [:]
        for number in 0..<bulletins {
            let author = authors[number % authors.count]
            let networkWide = number % 5 == 4
            let group =
                networkWide
                ? FictionalNetwork.networkWideGroup
                : charter.groups(of: author).first { $0.id != FictionalNetwork.networkWideGroup }!.id
            let members = Set(charter.group(group)!.members).subtracting([author])
            let entry = SampleEntries.bulletin(number: number, country: "XA", byteCount: 1024, authorTimeMs: 1)
            let framesBefore = await totalFrames()
            let kindsBefore = networkWide ? await framesByKind() : [:]
            let start = monotonicSeconds()
            let batch = try await nodes[author]!.append(group: group, entries: [entry]).batch
            let finish: Double
            switch await arrivals.wait(origin: batch.origin, size: batch.frontier.size, at: members) {
            case .success(let time): finish = time
            case .failure(let missing):
                throw ValidationError(
                    "bulletin \(number) (\(group)/\(author)) did not reach \(missing.nodes.sorted()) in 30 s")
            }
            latencies.append((networkWide, (finish - start) * 1000))
            // Let the cosignatures and forwarding of this bulletin finish before counting.
            var quiet = await totalFrames()
            while true {
                try await Task.sleep(for: .milliseconds(20))
                let next = await totalFrames()
                if next == quiet { break }
                quiet = next
            }
            frames.append(quiet - framesBefore)
            if networkWide {
                for (kind, count) in await framesByKind() {
                    networkWideByKind[kind, default: 0] += count - (kindsBefore[kind] ?? 0)
                }
            }
        }

        for node in nodes.values { await node.stop() }
        await fixture.close()

        let all = latencies.map(\.milliseconds)
        let regional = latencies.filter { !$0.networkWide }.map(\.milliseconds)
        let networkWide = latencies.filter(\.networkWide).map(\.milliseconds)
        emit([
            "scenario": "propagation", "nationals": nationals, "relays": relays, "bulletins": bulletins,
            "metrics": metrics.rawValue,
            "p50_ms": rounded(percentile(all, 0.5), 2), "p99_ms": rounded(percentile(all, 0.99), 2),
            "max_ms": rounded(all.max() ?? 0, 2),
            "regional_p50_ms": rounded(percentile(regional, 0.5), 2),
            "regional_p99_ms": rounded(percentile(regional, 0.99), 2),
            "network_wide_p50_ms": rounded(percentile(networkWide, 0.5), 2),
            "network_wide_p99_ms": rounded(percentile(networkWide, 0.99), 2),
            "frames_per_bulletin": rounded(Double(frames.reduce(0, +)) / Double(max(frames.count, 1)), 1),
            "regional_frames_per_bulletin": rounded(
                Double(zip(latencies, frames).filter { !$0.0.networkWide }.map(\.1).reduce(0, +))
                    / Double(max(regional.count, 1)), 1),
            "network_wide_frames_per_bulletin": rounded(
                Double(zip(latencies, frames).filter { $0.0.networkWide }.map(\.1).reduce(0, +))
                    / Double(max(networkWide.count, 1)), 1),
            "network_wide_frames_by_kind": networkWideByKind.mapValues {
                rounded(Double($0) / Double(max(networkWide.count, 1)), 1)
            },
        ])
    }
}

/// When each node stored each feed size: written from the nodes' queues, awaited by the
/// benchmark.
final class Arrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [String: [String: Double]] = [:]
    private var waiting: (key: String, nodes: Set<String>, continuation: CheckedContinuation<Double?, Never>)?
    /// The current wait ran out of time (possibly before it was registered).
    private var expired = false

    func stored(origin: FeedOrigin, size: UInt64, at node: String) {
        let now = monotonicSeconds()
        let key = "\(origin)#\(size)"
        let woken: (CheckedContinuation<Double?, Never>, Double)? = lock.withLock {
            // A batch may carry several sizes at once: record the first time a node reached each.
            times[key, default: [:]][node] = times[key]?[node] ?? now
            guard let waiting, waiting.key == key, let last = lastArrival(key, waiting.nodes) else { return nil }
            self.waiting = nil
            return (waiting.continuation, last)
        }
        if let (continuation, last) = woken { continuation.resume(returning: last) }
    }

    private func lastArrival(_ key: String, _ nodes: Set<String>) -> Double? {
        let reached = times[key] ?? [:]
        guard nodes.allSatisfy({ reached[$0] != nil }) else { return nil }
        return nodes.map { reached[$0]! }.max() ?? 0
    }

    struct Missing: Error { let nodes: Set<String> }

    /// The time the last of `nodes` stored `origin` at `size`, or those missing after 30 s.
    func wait(origin: FeedOrigin, size: UInt64, at nodes: Set<String>) async -> Result<Double, Missing> {
        let key = "\(origin)#\(size)"
        lock.withLock { expired = false }
        let timer = Task {
            try? await Task.sleep(for: .seconds(30))
            let woken: CheckedContinuation<Double?, Never>? = self.lock.withLock {
                self.expired = true
                defer { self.waiting = nil }
                return self.waiting?.continuation
            }
            woken?.resume(returning: nil)
        }
        defer { timer.cancel() }
        let last: Double? = await withCheckedContinuation { continuation in
            let answer: Double?? = lock.withLock {
                if let last = lastArrival(key, nodes) { return .some(last) }
                if expired { return .some(nil) }
                waiting = (key, nodes, continuation)
                return .none
            }
            if let answer { continuation.resume(returning: answer) }
        }
        return lock.withLock {
            let reached = times.removeValue(forKey: key) ?? [:]
            guard let last else { return .failure(Missing(nodes: nodes.filter { reached[$0] == nil })) }
            return .success(last)
        }
    }
}
