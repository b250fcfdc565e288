import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TocsinCore
import TocsinDevelopment
import TocsinNode
import TocsinStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct IdleMemory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle-memory",
        abstract: "Resident memory of a tocsind process holding many entries, idle with its peers connected.",
        discussion: """
            Writes a development network of one relay and --peers national nodes, stores \
            --entries entries in their regional group in every node's database (bulletins of \
            about 1 KiB by the national nodes, each acknowledged by every other member, as \
            running nodes would have written them), starts the relay as a real `tocsind` process (built \
            next to this benchmark) and the national nodes in this process, each dialling the \
            relay. Once every peer is connected and nothing is left to replicate, it samples the \
            daemon's resident set (VmRSS in /proc) for --seconds and prints the largest sample, \
            with the process's peak (VmHWM) since start.
            """)

    @Option(help: "Entries held by the daemon (and by each peer).")
    var entries: Int = 100_000

    @Option(help: "Connected peers.")
    var peers: Int = 10

    @Option(help: "Seconds of idle sampling.")
    var seconds: Int = 10

    @Option(help: "First loopback port of the development network.")
    var basePort: Int = 27_400

    @Flag(
        help:
            "Serve the daemon's metrics (metrics = \"127.0.0.1:PORT\") and scrape /metrics every second while sampling."
    )
    var metrics = false

    @Flag(
        help:
            "Serve the web console (console = \"127.0.0.1:PORT\"), sign in, and load the inbox every second while sampling."
    )
    var console = false

    func run() async throws {
        let fixture = try BenchmarkFixture(nationals: peers, relays: 1)
        let (now, network) = (fixture.now, fixture.network)
        let folder = fixture.scratch.url.appendingPathComponent("net")
        let layout = try DevelopmentNetwork.write(
            network, to: folder, basePort: basePort, antiEntropySeconds: 30, now: now)
        let relay = layout.first { $0.role == .relay }!
        let nationals = layout.filter { $0.role == .national }
        let group = network.charter.groups(of: nationals[0].id).first { $0.id != FictionalNetwork.networkWideGroup }!

        // The same batches in every node's database, as if replication had already run (a long
        // blocking write, on a thread of its own).
        let entries = self.entries
        // The daemon under measurement opens the relay's database alone: `fill` closed it.
        let (peerStores, bulletinCount) = try await Blocking.run {
            try Self.fill(layout: layout, network: network, group: group, entries: entries, now: now)
        }

        let programs = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        guard FileManager.default.isExecutableFile(atPath: programs.appendingPathComponent("tocsind").path) else {
            throw ValidationError("no tocsind next to this benchmark: build both (swift build -c release)")
        }
        // A listener of the relay's on a free loopback port (`key = "127.0.0.1:PORT"`): a
        // top-level key goes before the [[peers]] tables, first in the file.
        func listener(_ key: String) throws -> String {
            let address = "127.0.0.1:\(try DevelopmentNetwork.freeBasePort(count: 1))"
            let toml = try String(contentsOf: relay.configuration, encoding: .utf8)
            try Data("\(key) = \"\(address)\"\n\(toml)".utf8).write(to: relay.configuration)
            return address
        }
        let metricsAddress = metrics ? try listener("metrics") : nil
        let consoleAddress = console ? try listener("console") : nil
        let daemons = NodeProcesses(directory: folder, programsIn: programs)
        try daemons.start(relay.id)
        guard let daemon = daemons.processIdentifiers[relay.id] else { throw ValidationError("tocsind did not start") }

        // The peers, in this process.
        var runtimes: [NodeRuntime] = []
        for (national, store) in zip(nationals, peerStores) {
            let runtime = try fixture.runtime(national.id, store: store)
            _ = try await runtime.start(
                host: "127.0.0.1", port: 0, peers: [.init(nodeID: relay.id, host: "127.0.0.1", port: relay.port)],
                antiEntropyInterval: .seconds(30))
            runtimes.append(runtime)
        }
        func settled(_ runtime: NodeRuntime) async -> Bool {
            let connected = await runtime.connectedPeers() == [relay.id]
            let readiness = await runtime.appendReadiness(group: group.id)
            return connected && readiness == .ready
        }
        let settling = Eventually(timeout: 120, abandon: { try daemons.checkRunning() })
        for runtime in runtimes {
            try await settling.holds("\(runtime.nodeID) to connect to the relay") { await settled(runtime) }
        }
        // Heads exchanged, nothing to pull: the daemon is idle. Let it settle, then sample.
        try await Task.sleep(for: .seconds(2))
        // A browser's session on the console: signed in once, the inbox loaded every second.
        var consoleSession: URLSession?
        var pageLoads = 0
        if let consoleAddress {
            let link = try await Blocking.run { try daemons.client(relay.id).consoleSignIn() }
            let session = URLSession(configuration: .ephemeral)
            _ = try await session.data(from: URL(string: link.url)!)
            consoleSession = session
        }
        var largest = 0.0
        var scrapes = 0
        var scrapeBytes = 0
        for tick in 0..<(seconds * 4) {
            largest = max(largest, try Self.kilobytes("VmRSS", of: daemon) / 1024)
            if let consoleSession, let consoleAddress, tick % 4 == 2 {
                let (_, response) = try await consoleSession.data(from: URL(string: "http://\(consoleAddress)/")!)
                if (response as? HTTPURLResponse)?.statusCode == 200 { pageLoads += 1 }
            }
            if let metricsAddress, tick % 4 == 0 {
                let (data, _) = try await URLSession.shared.data(from: URL(string: "http://\(metricsAddress)/metrics")!)
                scrapes += 1
                scrapeBytes = data.count
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let peak = try Self.kilobytes("VmHWM", of: daemon) / 1024
        var connected = 0
        for runtime in runtimes where await runtime.connectedPeers() == [relay.id] { connected += 1 }
        for runtime in runtimes { await runtime.stop() }
        _ = try? await Blocking.run { daemons.stopAll() }
        await fixture.close()
        emit([
            "scenario": "idle-memory", "entries": entries, "bulletins": bulletinCount, "peers": peers,
            "connected_peers": connected,
            "rss_mb": rounded(largest), "peak_rss_mb": rounded(peak), "metrics": metrics ? "on" : "off",
            "scrapes": scrapes, "scrape_bytes": scrapeBytes, "console": console ? "on" : "off",
            "console_page_loads": pageLoads,
        ])
    }

    /// Writes `entries` entries into every member's database: the national nodes' bulletins
    /// of about 1 KiB, each acknowledged (received) by every other member of the group, relay
    /// included, as running nodes would have done. Returns the national nodes' stores (the
    /// relay's is closed) and how many bulletins were written.
    static func fill(
        layout: [DevelopmentNetwork.Node], network: FictionalNetwork, group: Charter.Group, entries: Int, now: Date
    ) throws -> ([FeedStore], Int) {
        let nationals = layout.filter { $0.role == .national }
        let stores = try layout.filter { $0.role != .observer }.map { try FeedStore.open(directory: $0.dataDirectory) }
        let members = group.members
        var authors = try Dictionary(
            uniqueKeysWithValues: members.map {
                (
                    $0,
                    FeedAuthor(
                        origin: try FeedOrigin(network: network.networkID, group: group.id, author: $0),
                        key: network.member($0)!.key)
                )
            })
        var pending: [String: [[UInt8]]] = [:]
        var next: [String: UInt64] = [:]
        func flush(_ author: String) throws {
            guard let entries = pending[author], !entries.isEmpty else { return }
            let batch = try authors[author]!.append(entries)
            for store in stores { try store.append(batch, now: now) }
            pending[author] = []
        }
        var total = 0
        var number = 0
        var bulletinCount = 0
        while total < entries {
            let author = nationals[number % nationals.count].id
            let bulletin = SampleEntries.bulletin(number: number, country: "XA", byteCount: 1024, authorTimeMs: 1)
            let reference = EntryReference(group: group.id, author: author, index: next[author, default: 0])
            next[author, default: 0] += 1
            pending[author, default: []].append(bulletin)
            total += 1
            bulletinCount += 1
            for member in members where member != author && total < entries {
                pending[member, default: []].append(
                    ConsultationEntries.acknowledgement(
                        of: reference, leafHash: MerkleHash.leaf(bulletin), level: .received, authorTimeMs: 2))
                next[member, default: 0] += 1
                total += 1
            }
            for member in members where (pending[member]?.count ?? 0) >= 1000 { try flush(member) }
            number += 1
        }
        for member in members { try flush(member) }
        return (Array(stores.dropFirst()), bulletinCount)

    }

    /// A `Vm…` line of `/proc/<pid>/status`, in kilobytes.
    static func kilobytes(_ field: String, of pid: Int32) throws -> Double {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first,
            let kilobytes = Double(value)
        else { throw ValidationError("no \(field) in /proc/\(pid)/status") }
        return kilobytes
    }
}
