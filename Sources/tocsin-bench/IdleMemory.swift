import ArgumentParser
import Foundation
import Logging
import NIOPosix
import TocsinCore
import TocsinDevelopment
import TocsinNode
import TocsinStore

struct IdleMemory: ParsableCommand {
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

    func run() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let now = Date()
        let network = try FictionalNetwork.make(nationals: peers, relays: 1, now: now)
        let layout = try DevelopmentNetwork.write(
            network, to: scratch.url.appendingPathComponent("net"), basePort: basePort, antiEntropySeconds: 30, now: now
        )
        let relay = layout.first { $0.role == .relay }!
        let nationals = layout.filter { $0.role == .national }
        let group = network.charter.groups(of: nationals[0].id).first { $0.id != FictionalNetwork.networkWideGroup }!

        // The same batches in every node's database, as if replication had already run: the
        // national nodes' bulletins of about 1 KiB, each acknowledged (received) by every other
        // member of the group, relay included, as running nodes would have done.
        var stores = try layout.filter { $0.role != .observer }.map { try FeedStore.open(directory: $0.dataDirectory) }
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

        // The daemon under measurement opens the relay's database alone.
        let peerStores = Array(stores.dropFirst())
        stores = []
        let tocsind = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("tocsind")
        guard FileManager.default.isExecutableFile(atPath: tocsind.path) else {
            throw ValidationError("no tocsind next to this benchmark: build both (swift build -c release)")
        }
        let daemon = Process()
        daemon.executableURL = tocsind
        daemon.arguments = ["--config", relay.configuration.path]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            if daemon.isRunning {
                daemon.terminate()
                daemon.waitUntilExit()
            }
        }

        // The peers, in this process.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? loops.syncShutdownGracefully() }
        var logger = Logger(label: "tocsin-bench")
        logger.logLevel = .critical
        var runtimes: [NodeRuntime] = []
        defer { for runtime in runtimes { runtime.stop() } }
        for (national, store) in zip(nationals, peerStores) {
            let member = network.member(national.id)!
            let runtime = try NodeRuntime(
                nodeID: national.id, key: member.key, certificateChain: [member.certificate],
                authority: network.authority.certificate, store: store, group: loops, logger: logger, witness: false)
            _ = try runtime.start(
                host: "127.0.0.1", port: 0, peers: [.init(nodeID: relay.id, host: "127.0.0.1", port: relay.port)],
                antiEntropyInterval: .seconds(30))
            runtimes.append(runtime)
        }
        let deadline = Date().addingTimeInterval(120)
        while !runtimes.allSatisfy({ $0.connectedPeers == [relay.id] && $0.appendReadiness(group: group.id) == .ready })
        {
            guard daemon.isRunning else {
                throw ValidationError("tocsind exited with status \(daemon.terminationStatus)")
            }
            guard Date() < deadline else { throw ValidationError("the peers did not all connect in 120 s") }
            usleep(50_000)
        }
        // Heads exchanged, nothing to pull: the daemon is idle. Let it settle, then sample.
        sleep(2)
        var largest = 0.0
        for _ in 0..<(seconds * 4) {
            largest = max(largest, try Self.kilobytes("VmRSS", of: daemon.processIdentifier) / 1024)
            usleep(250_000)
        }
        let peak = try Self.kilobytes("VmHWM", of: daemon.processIdentifier) / 1024
        let connected = runtimes.filter { $0.connectedPeers == [relay.id] }.count
        emit([
            "scenario": "idle-memory", "entries": entries, "bulletins": bulletinCount, "peers": peers,
            "connected_peers": connected,
            "rss_mb": rounded(largest), "peak_rss_mb": rounded(peak),
        ])
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
