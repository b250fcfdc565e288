import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinMetrics
import TocsinNode
import TocsinStore

struct CatchUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up",
        abstract: "A fresh node pulls a peer's feeds over TLS on loopback, against the in-process ingest rate.",
        discussion: """
            A relay holds --entries bulletins of about 1 KiB in --feeds feeds of the network-wide \
            group, and its receipt of each in its own feed (as a running relay writes them); a \
            fresh national node starts with the relay as its only peer and replicates \
            everything (Heads, Want, verified Entries batches, durable stores). The relay is a \
            `tocsind` process of its own (built next to this benchmark; --serving in-process runs \
            it in this process instead, as before). Each of --runs runs measures FeedStore.ingest \
            on the same batches in process, then a catch-up on a fresh store; the figures printed \
            are the runs' medians, with the CPU seconds of ingest, receiver and relay.
            """)

    enum Serving: String, ExpressibleByArgument {
        case process = "process"
        case inProcess = "in-process"
    }

    @Option(help: "Bulletins in all (each with the relay's receipt).")
    var entries: Int = 100_000

    @Option(help: "Feeds (one author each).")
    var feeds: Int = 10

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    @Option(help: "Where the serving relay runs: process (a tocsind of its own) or in-process.")
    var serving: Serving = .process

    @Option(
        help: """
            Runs of ingest then catch-up, each on stores of its own, against one relay; the figures \
            are the runs' medians (each run's ratio compares its catch-up with the ingest just \
            before it), and every run is listed.
            """)
    var runs: Int = 3

    func validate() throws {
        guard (1...20).contains(runs) else { throw ValidationError("--runs takes 1 to 20") }
    }

    func run() async throws {
        let fixture = try BenchmarkFixture(nationals: max(feeds, 1) + 1, relays: 1, logLevel: .error)
        let (now, network) = (fixture.now, fixture.network)
        let authors = network.charter.nodes.filter { $0.role == .national }.map(\.id).dropFirst().prefix(feeds)
        let group = FictionalNetwork.networkWideGroup
        func create(_ id: String) throws -> FeedStore { try fixture.store(id) }
        let programs = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if serving == .process {
            guard FileManager.default.isExecutableFile(atPath: programs.appendingPathComponent("tocsind").path) else {
                throw ValidationError("no tocsind next to this benchmark: build both (swift build -c release)")
            }
        }
        // The relay as `tocsin devnet` lays it out, for a tocsind of its own.
        let folder = fixture.scratch.url.appendingPathComponent("net")
        let layout =
            serving == .process
            ? try DevelopmentNetwork.write(
                network, to: folder, basePort: try DevelopmentNetwork.freeBasePort(count: network.members.count),
                antiEntropySeconds: 30, now: now) : []
        let relayNode = layout.first { $0.id == "RN" }

        // The relay's store, and the same batches for the in-process ingest.
        var source: FeedStore? = try relayNode.map { try FeedStore.open(directory: $0.dataDirectory) } ?? create("RN")
        var incoming: [FeedOrigin: [IncomingBatch]] = [:]
        func store(_ batch: FeedBatch) throws {
            try source!.append(batch, now: now)
            incoming[batch.origin, default: []].append(
                IncomingBatch(
                    firstIndex: batch.firstIndex, entries: batch.entries,
                    checkpointNote: Array(batch.checkpoint.note.formatted.utf8)))
        }
        // The relay's receipt of every bulletin, as a running relay writes them: a tocsind
        // relay that found them missing would write them while it serves.
        let relayOrigin = try FeedOrigin(network: network.networkID, group: group, author: "RN")
        var relayFeed = FeedAuthor(origin: relayOrigin, key: network.member("RN")!.key)
        var receipts: [[UInt8]] = []
        for (position, author) in authors.enumerated() {
            let origin = try FeedOrigin(network: network.networkID, group: group, author: author)
            var feed = FeedAuthor(origin: origin, key: network.member(author)!.key)
            let count = entries / feeds + (position < entries % feeds ? 1 : 0)
            var written = 0
            while written < count {
                let size = min(1000, count - written)
                let bulletins = (written..<written + size).map {
                    SampleEntries.bulletin(number: $0, country: author, byteCount: entrySize, authorTimeMs: 1)
                }
                let batch = try feed.append(bulletins)
                try store(batch)
                for (offset, bulletin) in bulletins.enumerated() {
                    receipts.append(
                        ConsultationEntries.acknowledgement(
                            of: EntryReference(group: group, author: author, index: batch.firstIndex + UInt64(offset)),
                            leafHash: MerkleHash.leaf(bulletin), level: .received, authorTimeMs: 2))
                }
                while receipts.count >= 1000 {
                    try store(try relayFeed.append(Array(receipts.prefix(1000))))
                    receipts.removeFirst(1000)
                }
                written += size
            }
        }
        if !receipts.isEmpty { try store(try relayFeed.append(receipts)) }
        let total = incoming.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.entries.count } }

        // The relay serves; started, and quiet, before the first run (its start is not timed).
        var relay: NodeRuntime?
        var daemons: NodeProcesses?
        var port = 0
        func startRelay() async throws {
            if let relayNode {
                source = nil  // the daemon opens the relay's database alone
                let processes = NodeProcesses(directory: folder, programsIn: programs)
                try processes.start(relayNode.id)
                daemons = processes
                // Serving only once it has read its log (its consultation answers): a relay's
                // start is not part of catching up.
                try await Eventually(timeout: 300, abandon: { try processes.checkRunning() }).holds(
                    "tocsind to be ready"
                ) {
                    (try? await Blocking.run { try processes.client(relayNode.id).bulletins(limit: 1) }) != nil
                }
                port = relayNode.port
            } else {
                let inProcess = try fixture.runtime("RN", store: source!)
                port = try await inProcess.start(host: "127.0.0.1", port: 0, peers: [])
                relay = inProcess
            }
        }

        var measured: [Run] = []
        do {
            // Every run's ingest then runs beside the same idle relay.
            try await startRelay()
            let relayProcess = relayNode.flatMap { daemons?.processIdentifiers[$0.id] }
            if let relayProcess { try await Self.waitUntilQuiet(process: relayProcess) }
            for number in 1...runs {
                let relayBeforeIngest = relayProcess.flatMap { Self.cpuSeconds(process: $0) }
                let ingest = try await ingestOnce(
                    incoming, charter: network.charter, now: now, into: fixture.scratch.url, name: "ingest-\(number)",
                    create: create)
                let relayAfterIngest = relayProcess.flatMap { Self.cpuSeconds(process: $0) }
                let name = "XA-\(number)"
                let caughtUp = try await catchUpOnce(
                    fixture: fixture, store: try create(name), target: UInt64(total), relayPort: port,
                    relayProcess: relayProcess)
                // Its space comes back once the store's last connection closes. (Off the
                // cooperative pool: unlinking hundreds of megabytes waits on the file system.)
                let used = fixture.scratch.url.appendingPathComponent(name)
                try await Blocking.run { try? FileManager.default.removeItem(at: used) }
                measured.append(
                    Run(
                        ingestSeconds: ingest.seconds, ingestCPUSeconds: ingest.cpuSeconds, seconds: caughtUp.seconds,
                        cpuSeconds: caughtUp.cpuSeconds, relayCPUSeconds: caughtUp.relayCPUSeconds,
                        relayCPUSecondsDuringIngest: relayBeforeIngest.flatMap { before in
                            relayAfterIngest.map { $0 - before }
                        }))
            }
        } catch {
            await relay?.stop()
            _ = daemons?.stopAll()
            await fixture.close()
            throw error
        }
        await relay?.stop()
        _ = daemons?.stopAll()
        await fixture.close()

        let entriesTotal = Double(total)
        let seconds = median(measured.map(\.seconds))
        let ingestSeconds = median(measured.map(\.ingestSeconds))
        let ratios = measured.map { $0.ingestSeconds / $0.seconds }
        var fields: [String: Any] = [
            "scenario": "catch-up", "entries": total, "bulletins": entries, "feeds": feeds + 1,
            "entry_bytes": entrySize,
            "serving": serving.rawValue,
            "seconds": rounded(seconds, 3),
            "entries_per_second": rounded(entriesTotal / seconds),
            "ingest_entries_per_second": rounded(entriesTotal / ingestSeconds),
            // Each run's catch-up against the ingest just before it; the median of the runs.
            "ratio_to_ingest": rounded(median(ratios), 3),
            // Where the two cores went: the in-process ingest, the receiving node (this
            // process), and the serving relay's process.
            "ingest_cpu_seconds": rounded(median(measured.map(\.ingestCPUSeconds)), 3),
        ]
        // With the relay in this process, this process's CPU time is both nodes': not given.
        if serving == .process {
            fields["receiver_cpu_seconds"] = rounded(median(measured.map(\.cpuSeconds)), 3)
            let relayCPU = measured.compactMap(\.relayCPUSeconds)
            if relayCPU.count == measured.count { fields["relay_cpu_seconds"] = rounded(median(relayCPU), 3) }
            let idle = measured.compactMap(\.relayCPUSecondsDuringIngest)
            if idle.count == measured.count { fields["relay_cpu_seconds_during_ingest"] = rounded(median(idle), 3) }
        }
        if runs > 1 {
            fields["runs"] = runs
            fields["ratio_to_ingest_min"] = rounded(ratios.min()!, 3)
            fields["each_run"] = measured.map { run -> [String: Any] in
                [
                    "entries_per_second": rounded(entriesTotal / run.seconds),
                    "ingest_entries_per_second": rounded(entriesTotal / run.ingestSeconds),
                    "ratio_to_ingest": rounded(run.ingestSeconds / run.seconds, 3),
                ]
            }
        }
        emit(fields)
    }

    /// One run's figures.
    struct Run {
        var ingestSeconds: Double
        var ingestCPUSeconds: Double
        var seconds: Double
        /// This process's, the receiving node's when the relay is a process of its own.
        var cpuSeconds: Double
        var relayCPUSeconds: Double?
        /// The idle relay's, while the ingest ran beside it.
        var relayCPUSecondsDuringIngest: Double?
    }

    /// A fresh national node over `store` catches up from the relay at `relayPort`: its time, this
    /// process's CPU time meanwhile, and the relay process's, if it is one.
    func catchUpOnce(
        fixture: BenchmarkFixture, store: FeedStore, target: UInt64, relayPort: Int, relayProcess: Int32?
    ) async throws -> (seconds: Double, cpuSeconds: Double, relayCPUSeconds: Double?) {
        let fresh = try fixture.runtime("XA", store: store)
        let progress = FeedTotals(target: target)
        await fresh.observe { event in
            if case .stored(let origin, let size) = event { progress.update(origin.description, size) }
        }
        try await Blocking.run { sync() }
        let relayCPUBefore = relayProcess.flatMap { Self.cpuSeconds(process: $0) }
        let start = monotonicSeconds()
        let cpuBefore = Self.cpuSeconds()
        do {
            try await fresh.start(
                host: "127.0.0.1", port: 0, peers: [.init(nodeID: "RN", host: "127.0.0.1", port: relayPort)])
        } catch {
            await fresh.stop()
            throw error
        }
        let finished = await progress.reached(timeout: .seconds(600))
        let seconds = monotonicSeconds() - start
        let cpuSeconds = Self.cpuSeconds() - cpuBefore
        let relayCPUAfter = relayProcess.flatMap { Self.cpuSeconds(process: $0) }
        await fresh.stop()
        guard finished else { throw ValidationError("catch-up did not finish in 600 s") }
        let relayCPUSeconds = relayCPUBefore.flatMap { before in relayCPUAfter.map { $0 - before } }
        return (seconds, cpuSeconds, relayCPUSeconds)
    }

    /// Waits (10 s at most) until `process` uses less than 2 % of a core over 250 ms: a relay's
    /// work after it has read its log (releasing memory, its first ticks) is not part of any run.
    static func waitUntilQuiet(process: Int32) async throws {
        var previous = cpuSeconds(process: process)
        for _ in 0..<40 {
            try await Task.sleep(for: .milliseconds(250))
            let now = cpuSeconds(process: process)
            if let before = previous, let now, now - before < 0.005 { return }
            previous = now
        }
    }

    /// `FeedStore.ingest` of `incoming` into a new store `name` (a blocking pipeline: on a thread
    /// of its own), which is removed afterwards (its space comes back as the store closes, on
    /// return): its time and this process's CPU time.
    func ingestOnce(
        _ incoming: [FeedOrigin: [IncomingBatch]], charter: Charter, now: Date, into scratch: URL, name: String,
        create: (String) throws -> FeedStore
    ) async throws -> (seconds: Double, cpuSeconds: Double) {
        let ingestStore = try create(name)
        let figures = try await Blocking.run {
            // Each timed part starts with nothing of the parts before waiting for the disk: the
            // hundreds of megabytes just written would otherwise be flushed while it runs.
            sync()
            let start = monotonicSeconds()
            let cpuBefore = Self.cpuSeconds()
            for (origin, batches) in incoming.sorted(by: { $0.key < $1.key }) {
                var verifier = FeedVerifier(origin: origin, author: charter.node(origin.author)!.publicKey)
                let result = ingestStore.ingest(batches, verifier: &verifier, now: now)
                if let failure = result.stoppedBy { throw failure }
            }
            return (monotonicSeconds() - start, Self.cpuSeconds() - cpuBefore)
        }
        let used = scratch.appendingPathComponent(name)
        try await Blocking.run { try? FileManager.default.removeItem(at: used) }
        return figures
    }

    /// The middle value (the mean of the two middle ones for an even count).
    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// CPU time (user and system) this process has used, in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU time another process has used, in seconds, to the kernel's tick (10 ms here); nil
    /// once it cannot be read (the process has gone).
    static func cpuSeconds(process: Int32) -> Double? {
        ProcessFigures(reading: "/proc/\(process)").cpuSeconds
    }
}

/// Entries held per feed, summed, until they reach a target: fed from the node's queue,
/// awaited by the benchmark.
final class FeedTotals: @unchecked Sendable {
    private let lock = NSLock()
    private let target: UInt64
    private var sizes: [String: UInt64] = [:]
    private var done = false
    private var expired = false
    private var waiter: CheckedContinuation<Bool, Never>?

    init(target: UInt64) { self.target = target }

    /// Records a feed's size.
    func update(_ origin: String, _ size: UInt64) {
        let woken: CheckedContinuation<Bool, Never>? = lock.withLock {
            sizes[origin] = size
            guard !done, sizes.values.reduce(0, +) >= target else { return nil }
            done = true
            defer { waiter = nil }
            return waiter
        }
        woken?.resume(returning: true)
    }

    /// Whether the target was reached within `timeout`.
    func reached(timeout: Duration) async -> Bool {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let woken: CheckedContinuation<Bool, Never>? = self.lock.withLock {
                self.expired = true
                defer { self.waiter = nil }
                return self.waiter
            }
            woken?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: Bool? = lock.withLock {
                if done { return true }
                if expired { return false }
                waiter = continuation
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }
}
