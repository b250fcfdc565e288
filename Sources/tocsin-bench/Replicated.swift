import ArgumentParser
import Foundation
import GRDB
import NIOCore
import NIOPosix
import TocsinAdmin
import TocsinCore
import TocsinDevelopment
import TocsinNode
import TocsinStore

/// Durable writes replicated across three `tocsind` processes, counted as a replicated
/// database counts them: when durable at a majority, and when durable everywhere.
struct Replicated: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicated",
        abstract: "Bulletins issued through the admin API by concurrent clients, durable at 2 of 3 and 3 of 3 nodes.",
        discussion: """
            Writes a development network of three nodes, an author (XA), a member (XB) and their \
            regional relay (RN), and starts each as a `tocsind` process (built next to this \
            benchmark). For each client count, that many clients issue bulletins of about \
            --payload-bytes through XA's admin API (one connection each, the next request once \
            the last is answered) for --seconds. A bulletin is durable at XA when its POST is \
            answered (201 comes after the durable write), and at RN and XB when their database \
            shows XA's feed past its index: the benchmark reads each node's SQLite file (a \
            reader of its own, read-only) every --poll-milliseconds, which costs the daemons \
            nothing (asking their admin API as often cost them a tenth of their time). \
            It counts once durable at two nodes (as a replicated database counts a write durable \
            at a majority) and again once durable at all three. Prints throughput and \
            p50/p99/max latency for each.
            """)

    @Option(help: "Client counts, comma-separated (1–4096 each).")
    var clients: ClientCounts = ClientCounts(counts: [1, 16, 256])

    @Option(help: "Seconds each client count issues bulletins.")
    var seconds: Double = 10

    @Option(help: "Size of each bulletin entry, in bytes.")
    var payloadBytes: Int = 1024

    @Option(help: "How often RN's and XB's databases are read, in milliseconds.")
    var pollMilliseconds: Int = 1

    func run() async throws {
        let counts = clients.counts
        guard seconds > 0, seconds <= 3600, (1...1000).contains(pollMilliseconds), (300...65_536).contains(payloadBytes)
        else { throw ValidationError("--seconds 0–3600, --poll-milliseconds 1–1000, --payload-bytes 300–65536") }
        let programs = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        guard FileManager.default.isExecutableFile(atPath: programs.appendingPathComponent("tocsind").path) else {
            throw ValidationError("no tocsind next to this benchmark: build both (swift build -c release)")
        }
        let fixture = try BenchmarkFixture(nationals: 2, relays: 1)
        defer { fixture.scratch.remove() }
        let folder = fixture.scratch.url.appendingPathComponent("net")
        let layout = try DevelopmentNetwork.write(
            fixture.network, to: folder, basePort: try DevelopmentNetwork.freeBasePort(count: 3),
            antiEntropySeconds: 30,
            now: fixture.now)
        let nationals = layout.filter { $0.role == .national }.map(\.id).sorted()
        let (author, member) = (nationals[0], nationals[1])
        let relay = layout.first { $0.role == .relay }!.id
        let group = fixture.network.charter.groups(of: author).first { $0.id != FictionalNetwork.networkWideGroup }!.id
        let daemons = NodeProcesses(directory: folder, programsIn: programs)
        defer { _ = daemons.stopAll() }
        for id in [relay, author, member] { try daemons.start(id) }
        let settling = Eventually(timeout: 60, interval: 0.1, abandon: { try daemons.checkRunning() })
        for id in [author, member] {
            try await settling.holds("\(id) to be connected and ready") {
                let status = try await Blocking.run { try daemons.client(id).status() }
                return status.connectedPeers.contains(relay) && status.readiness?.ready == true
            }
        }

        let body = try Self.bulletinBody(group: group, payloadBytes: payloadBytes)
        let loops = MultiThreadedEventLoopGroup.singleton
        let load = HTTPLoad(
            addresses: [try SocketAddress(unixDomainSocketPath: daemons.location(author).adminSocket.path)],
            host: "tocsind", group: loops)
        let origin = try FeedOrigin(network: fixture.network.networkID, group: group, author: author)
        let watchers = try [relay, member].map {
            try FeedWatcher(
                node: $0, database: daemons.dataDirectory($0).appendingPathComponent(FeedStore.databaseFileName),
                origin: origin, interval: Double(pollMilliseconds) / 1000)
        }
        for watcher in watchers { watcher.start() }
        defer { for watcher in watchers { watcher.stop() } }

        var results: [[String: Any]] = []
        for count in counts {
            let answers = try await load.run(clients: count, seconds: seconds) { client, sequence in
                HTTPLoad.Request(path: "/v1/bulletins", body: ByteBuffer(bytes: body(client, sequence)))
            }
            var written: [(index: UInt64, sentAt: Double, answeredAt: Double)] = []
            var failures = 0
            for answer in answers {
                guard answer.status == 201,
                    let created = try? AdminJSON.decode(Created.self, from: Data(answer.body.readableBytesView)),
                    let index = UInt64(created.reference.split(separator: "/").last ?? "")
                else {
                    failures += 1
                    continue
                }
                written.append((index, answer.sentAt, answer.answeredAt))
            }
            guard let highest = written.map(\.index).max() else {
                throw ValidationError("no bulletin was issued with \(count) clients (\(failures) failed)")
            }
            // Every bulletin of the round stored at RN and XB before the figures are taken.
            let replicated = Eventually(timeout: 300, interval: 0.05, abandon: { try daemons.checkRunning() })
            for watcher in watchers {
                try await replicated.holds("\(count) clients' bulletins at \(watcher.node)") {
                    watcher.size > highest
                }
            }
            var majority: [Double] = []
            var everywhere: [Double] = []
            var atAuthor: [Double] = []
            var lastMajority = 0.0
            var lastEverywhere = 0.0
            for write in written {
                let times = ([write.answeredAt] + watchers.map { $0.firstSeen(beyond: write.index) }).sorted()
                majority.append((times[1] - write.sentAt) * 1000)
                everywhere.append((times[2] - write.sentAt) * 1000)
                atAuthor.append((write.answeredAt - write.sentAt) * 1000)
                lastMajority = max(lastMajority, times[1])
                lastEverywhere = max(lastEverywhere, times[2])
            }
            let start = written.map(\.sentAt).min()!
            let (majorityFigures, everywhereFigures, authorFigures) = (
                LatencyFigures(milliseconds: majority), LatencyFigures(milliseconds: everywhere),
                LatencyFigures(milliseconds: atAuthor)
            )
            results.append([
                "clients": count, "bulletins": written.count, "failed": failures,
                "majority_writes_per_second": rounded(Double(written.count) / (lastMajority - start)),
                "majority_p50_ms": rounded(majorityFigures.p50, 2), "majority_p99_ms": rounded(majorityFigures.p99, 2),
                "majority_max_ms": rounded(majorityFigures.max, 2),
                "all_writes_per_second": rounded(Double(written.count) / (lastEverywhere - start)),
                "all_p50_ms": rounded(everywhereFigures.p50, 2), "all_p99_ms": rounded(everywhereFigures.p99, 2),
                "all_max_ms": rounded(everywhereFigures.max, 2),
                "author_p50_ms": rounded(authorFigures.p50, 2), "author_p99_ms": rounded(authorFigures.p99, 2),
            ])
            // The members' receipts of this round written before the next begins.
            try await Task.sleep(for: .seconds(2))
        }
        emit([
            "scenario": "replicated", "nodes": 3, "payload_bytes": payloadBytes, "seconds": seconds,
            "poll_interval_ms": pollMilliseconds, "results": results,
        ])
    }

    /// The body of `POST /v1/bulletins` for client `client`'s request `sequence`: a bulletin
    /// whose entry is about `payloadBytes` long. Encoded once; each request only writes its
    /// numbers into a copy (the load generator must not take the nodes' processor time).
    static func bulletinBody(group: String, payloadBytes: Int) throws -> @Sendable (Int, Int) -> [UInt8] {
        let marker = "#CLIENT#-#SEQUENCE#"
        func draft(padding: Int) -> BulletinDraft {
            BulletinDraft(
                headline: "Exercise bulletin \(marker)", severity: "minor", country: "XA",
                description: String(repeating: "x", count: padding), status: "exercise")
        }
        let bare = try draft(padding: 0).entry(authorTimeMs: 1_700_000_000_000, references: []).count
        let template = Array(
            try AdminJSON.encode(BulletinRequest(group: group, draft: draft(padding: max(0, payloadBytes - bare)))))
        let markerBytes = Array(marker.utf8)
        guard
            let at = (0...(template.count - markerBytes.count)).first(where: {
                template[$0..<($0 + markerBytes.count)].elementsEqual(markerBytes)
            })
        else { throw ValidationError("the bulletin template lost its marker") }
        return { client, sequence in
            var body = template
            let numbers = Array(
                (String(format: "%08d", client % 100_000_000) + "-" + String(format: "%010d", sequence % 10_000_000_000))
                    .utf8)
            body.replaceSubrange(at..<(at + markerBytes.count), with: numbers)
            return body
        }
    }
}

/// Reads a node's size of one feed from its database, over and over on a thread of its own,
/// and remembers when each size was first seen. The row changes in the transaction that
/// stores the entries: a size read is durable at that node.
final class FeedWatcher: @unchecked Sendable {
    let node: String
    let origin: FeedOrigin
    let interval: Double
    private let database: DatabaseQueue
    private let lock = NSLock()
    private var seen: [(time: Double, size: UInt64)] = []
    private var stopped = false

    init(node: String, database path: URL, origin: FeedOrigin, interval: Double) throws {
        self.node = node
        self.origin = origin
        self.interval = interval
        var configuration = Configuration()
        configuration.readonly = true
        database = try DatabaseQueue(path: path.path, configuration: configuration)
    }

    func start() {
        let thread = Thread { [self] in
            let origin = self.origin.description
            while !lock.withLock({ stopped }) {
                if let size = try? database.read({ db in
                    try Int64.fetchOne(
                        try db.cachedStatement(sql: "SELECT size FROM feeds WHERE origin = ?"), arguments: [origin])
                }), size > 0 {
                    let now = monotonicSeconds()
                    lock.withLock {
                        if UInt64(size) > (seen.last?.size ?? 0) { seen.append((now, UInt64(size))) }
                    }
                }
                usleep(useconds_t(interval * 1_000_000))
            }
        }
        thread.start()
    }

    func stop() { lock.withLock { stopped = true } }

    /// The feed's size as last read.
    var size: UInt64 { lock.withLock { seen.last?.size ?? 0 } }

    /// When the feed was first seen holding entry `index`.
    func firstSeen(beyond index: UInt64) -> Double {
        lock.withLock {
            var (low, high) = (0, seen.count)
            while low < high {
                let middle = (low + high) / 2
                if seen[middle].size > index { high = middle } else { low = middle + 1 }
            }
            return low < seen.count ? seen[low].time : .infinity
        }
    }
}
