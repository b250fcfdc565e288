import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import TocsinAdmin
import TocsinCore
import TocsinDevelopment
import TocsinStore

struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Eleven real tocsind processes under constant work, crashes and partitions; then every check.",
        discussion: """
            Writes a development network of 8 national nodes, 2 relays and an observer and \
            starts each as a real `tocsind` (built next to this benchmark), every link dialled \
            through a fault-injecting proxy in this process. For --minutes it keeps issuing \
            bulletins, acknowledging them, tabling proposals (deadlines of one to two minutes, a minute to deliberate) and \
            voting, while it kills nodes (SIGKILL or SIGTERM) and restarts them, and cuts or \
            blackholes links and heals them, at random (--seed). Then it heals everything, \
            restarts what is down and measures the time until every group's feeds are identical \
            on all of the group's members. It checks that every decision audits clean wherever \
            it is held, that no node holds a fork proof (every node is honest), and runs \
            `tocsin verify` on every data directory (in-process when no `tocsin` is built next \
            to this benchmark). It prints one JSON object and exits non-zero if a check failed.
            """)

    @Option(help: "Minutes of work, crashes and partitions.")
    var minutes: Double = 2

    @Option(help: "Seed of the random choices (a run is repeatable in what it does, not in timing).")
    var seed: UInt64 = 1

    @Option(help: "Seconds allowed to converge once every fault is healed.")
    var convergeSeconds: Int = 300

    @Option(help: "First loopback port of the nodes (0: any free range).")
    var basePort: Int = 0

    func run() async throws {
        let nationals = 8
        // A minute to deliberate: a decision must cite when its convener witnessed the proposal.
        let fixture = try BenchmarkFixture(nationals: nationals, relays: 2, observers: 1, deliberationMinutes: 1)
        let network = fixture.network
        let folder = fixture.scratch.url.appendingPathComponent("net")
        let base = basePort > 0 ? basePort : try DevelopmentNetwork.freeBasePort(count: network.members.count)
        let layout = try DevelopmentNetwork.write(
            network, to: folder, basePort: base, antiEntropySeconds: 5, now: fixture.now)
        let programs = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        guard FileManager.default.isExecutableFile(atPath: programs.appendingPathComponent("tocsind").path) else {
            throw ValidationError("no tocsind next to this benchmark: build both (swift build -c release)")
        }

        // Every dialled link through a proxy of its own.
        var proxies: [String: FaultProxy] = [:]
        for node in layout {
            var toml = try String(contentsOf: node.configuration, encoding: .utf8)
            for peer in layout where toml.contains("address = \"127.0.0.1:\(peer.port)\"") {
                let proxy = try await FaultProxy(
                    forwardingTo: try SocketAddress(ipAddress: "127.0.0.1", port: peer.port), group: fixture.loops)
                proxies["\(node.id)→\(peer.id)"] = proxy
                toml = toml.replacingOccurrences(
                    of: "address = \"127.0.0.1:\(peer.port)\"", with: "address = \"127.0.0.1:\(proxy.port)\"")
            }
            try Data(toml.utf8).write(to: node.configuration)
        }

        let ids = layout.map(\.id)
        let daemons = NodeProcesses(directory: folder, programsIn: programs)
        var work = SoakWork(network: network, daemons: daemons, seed: seed)
        defer { _ = daemons.stopAll() }
        try daemons.start(ids)
        try await Blocking.run { try daemons.waitUntilServing(ids) }

        // Work and faults until the deadline.
        let deadline = Date().addingTimeInterval(minutes * 60)
        var down: [(id: String, until: Date)] = []
        var cut: [(link: String, until: Date)] = []
        var nextFault = Date().addingTimeInterval(10)
        while Date() < deadline {
            let now = Date()
            for (id, _) in down.filter({ $0.until <= now }) {
                try daemons.start(id)
                work.restarts += 1
            }
            down.removeAll { $0.until <= now }
            for (link, _) in cut.filter({ $0.until <= now }) { proxies[link]?.set(.pass) }
            cut.removeAll { $0.until <= now }
            if now >= nextFault {
                nextFault = now.addingTimeInterval(Double.random(in: 8...20, using: &work.random))
                if Bool.random(using: &work.random) {
                    let running = ids.filter { id in !down.contains { $0.id == id } }
                    if let victim = running.randomElement(using: &work.random), down.count < 2 {
                        if Bool.random(using: &work.random) {
                            _ = try? await Blocking.run { daemons.killAbruptly(victim) }
                            work.kills += 1
                        } else {
                            _ = try? await Blocking.run { daemons.stop(victim) }
                            work.stops += 1
                        }
                        down.append((victim, now.addingTimeInterval(Double.random(in: 3...10, using: &work.random))))
                    }
                } else if let link = proxies.keys.sorted().randomElement(using: &work.random),
                    !cut.contains(where: { $0.link == link })
                {
                    proxies[link]?.set(Bool.random(using: &work.random) ? .cut : .blackhole)
                    cut.append((link, now.addingTimeInterval(Double.random(in: 5...20, using: &work.random))))
                    work.partitions += 1
                }
            }
            await work.step(running: ids.filter { id in !down.contains { $0.id == id } })
            try await Task.sleep(for: .milliseconds(150))
        }

        // Heal everything, then wait for every group to agree.
        for proxy in proxies.values { proxy.set(.pass) }
        for (id, _) in down {
            try daemons.start(id)
            work.restarts += 1
        }
        try await Blocking.run { try daemons.waitUntilServing(ids) }
        let healed = Date()
        let charter = network.charter
        var converged = false
        var divergence = ""
        while Date().timeIntervalSince(healed) < Double(convergeSeconds) {
            (converged, divergence) = await Self.groupsAgree(charter: charter, daemons: daemons, ids: ids)
            if converged { break }
            try await Task.sleep(for: .seconds(1))
        }
        let convergeSeconds = Date().timeIntervalSince(healed)

        // Decisions: every proposal past its deadline decided by its convener, and every
        // decision held anywhere audits clean.
        let (decided, flagged, undecided) = await Self.decisions(daemons: daemons, ids: ids, settle: 150)
        var forks = 0
        for id in ids { forks += (try? await Blocking.run { try daemons.client(id).forks() })?.count ?? 0 }
        _ = try? await Blocking.run { daemons.stopAll() }
        var verified = 0
        var verifyFailures: [String] = []
        for node in layout {
            if try await Self.verify(node.dataDirectory, programs: programs) {
                verified += 1
            } else {
                verifyFailures.append(node.id)
            }
        }
        for proxy in proxies.values { await proxy.close() }

        // Work must have got through too: a soak in which every request failed proves nothing.
        let worked = work.bulletins > 0 && work.acknowledgements > 0 && work.votes > 0 && decided > 0
        let passed =
            worked && converged && flagged.isEmpty && undecided.isEmpty && forks == 0 && verifyFailures.isEmpty
        emit([
            "scenario": "soak", "minutes": minutes, "seed": seed, "nodes": ids.count, "links": proxies.count,
            "bulletins": work.bulletins, "acknowledgements": work.acknowledgements, "proposals": work.proposals,
            "votes": work.votes, "refused_requests": work.refused, "kills": work.kills, "stops": work.stops,
            "restarts": work.restarts, "partitions": work.partitions, "converged": converged,
            "converge_seconds": (convergeSeconds * 10).rounded() / 10, "decisions": decided,
            "flagged_decisions": flagged, "undecided_past_deadline": undecided, "fork_proofs": forks,
            "verified_nodes": verified, "verify_failures": verifyFailures, "work_got_through": worked,
            "passed": passed,
            "divergence": converged ? "" : divergence,
        ])
        guard passed else {
            // Kept to be looked into: every node's data directory and log.
            FileHandle.standardError.write(Data("the network's folders are kept in \(folder.path)\n".utf8))
            throw ExitCode.failure
        }
        await fixture.close()
    }

    /// Whether every group's feeds are the same on all of its members (and the first
    /// difference when not).
    static func groupsAgree(charter: Charter, daemons: NodeProcesses, ids: [String]) async -> (Bool, String) {
        // Size and root of each feed, by node.
        var held: [String: [String: String]] = [:]
        for id in ids {
            guard let feeds = try? await Blocking.run({ try daemons.client(id).feeds() }) else {
                return (false, "\(id) does not answer")
            }
            held[id] = Dictionary(
                feeds.map { ("\($0.group)/\($0.author)", "\($0.size) \($0.root.prefix(12))") },
                uniquingKeysWith: { first, _ in first })
        }
        for group in charter.groups {
            for author in group.members {
                let feed = "\(group.id)/\(author)"
                let heads = Set(group.members.map { held[$0]?[feed] ?? "none" })
                if heads.count > 1 {
                    let detail = group.members.map { "\($0)=\(held[$0]?[feed] ?? "none")" }.joined(separator: " ")
                    return (false, "\(feed): \(detail)")
                }
            }
        }
        return (true, "")
    }

    /// Decisions held (by reference), those flagged by an audit anywhere, and proposals past
    /// their deadline (and its grace) with no decision at their convener after `settle` s.
    static func decisions(
        daemons: NodeProcesses, ids: [String], settle: TimeInterval
    ) async -> (decided: Int, flagged: [String], undecided: [String]) {
        let until = Date().addingTimeInterval(settle)
        var decided: Set<String> = []
        var flagged: Set<String> = []
        var undecided: Set<String> = []
        repeat {
            decided = []
            flagged = []
            undecided = []
            var pendingAudit = false
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            for id in ids {
                guard let proposals = try? await Blocking.run({ try daemons.client(id).proposals() }) else { continue }
                for proposal in proposals {
                    for decision in proposal.decisions {
                        decided.insert(decision.reference)
                        if decision.holds == false {
                            flagged.insert(
                                "\(decision.reference) at \(id): \(decision.findings.joined(separator: "; "))")
                        }
                        if decision.holds == nil { pendingAudit = true }
                    }
                    if proposal.decisions.isEmpty, proposal.deadlineMs + 10_000 < nowMs {
                        undecided.insert(proposal.reference)
                    }
                }
            }
            if undecided.isEmpty && !pendingAudit { break }
            try? await Task.sleep(for: .seconds(2))
        } while Date() < until
        return (decided.count, flagged.sorted(), undecided.sorted())
    }

    /// `tocsin verify` on a data directory (in-process when no `tocsin` was built alongside).
    static func verify(_ directory: URL, programs: URL) async throws -> Bool {
        let tocsin = programs.appendingPathComponent("tocsin")
        if FileManager.default.isExecutableFile(atPath: tocsin.path) {
            return try await Blocking.run {
                try ExternalCommand(tocsin, ["verify", "--data-dir", directory.path]).run().status == 0
            }
        }
        return try await Blocking.run { try FeedStore.open(directory: directory).audit().holds }
    }
}

/// The soak's steady work: bulletins, acknowledgements, proposals and votes through the
/// nodes' admin sockets, chosen at random among the nodes running.
struct SoakWork {
    let network: FictionalNetwork
    let daemons: NodeProcesses
    var random: SeededRandom
    var bulletins = 0
    var acknowledgements = 0
    var proposals = 0
    var votes = 0
    /// Requests a node refused or could not take (down, restoring, its store busy): counted,
    /// not failures.
    var refused = 0
    var kills = 0
    var stops = 0
    var restarts = 0
    var partitions = 0
    /// Bulletins and proposals issued, by group.
    private var issued: [String: [String]] = [:]
    private var tabled: [String: [String]] = [:]

    init(network: FictionalNetwork, daemons: NodeProcesses, seed: UInt64) {
        self.network = network
        self.daemons = daemons
        random = SeededRandom(seed: seed)
    }

    mutating func step(running: [String]) async {
        let charter = network.charter
        let nationals = running.filter { charter.node($0)?.role == .national }
        guard let author = nationals.randomElement(using: &random) else { return }
        let groups = charter.groups(of: author).map(\.id)
        let group = groups.randomElement(using: &random)!
        let client = daemons.client(author)
        let choice = Int.random(in: 0..<10, using: &random)
        let number = bulletins + proposals + votes + acknowledgements
        do {
            switch choice {
            case 0..<4:
                let request = BulletinRequest(
                    group: group,
                    draft: BulletinDraft(
                        headline: "Exercise: soak report \(number) from \(author)", severity: "moderate",
                        country: author))
                let created = try await Blocking.run { try client.issue(request) }
                issued[group, default: []].append(created.reference)
                bulletins += 1
            case 4..<6:
                guard let bulletin = issued[group]?.randomElement(using: &random) else { return }
                let request = AcknowledgementRequest(bulletin: bulletin, level: "read")
                _ = try await Blocking.run { try client.acknowledge(request) }
                acknowledgements += 1
            case 6:
                let request = ProposalRequest(
                    group: group,
                    draft: .init(
                        title: "Exercise: soak proposal \(number)", action: "public-statement",
                        deadline: "\(Int.random(in: 65...125, using: &random))s"))
                let created = try await Blocking.run { try client.propose(request) }
                tabled[group, default: []].append(created.reference)
                proposals += 1
            default:
                guard let proposal = tabled[group]?.suffix(4).randomElement(using: &random) else { return }
                let position = ["endorse", "object", "abstain"].randomElement(using: &random)!
                let request = VoteRequest(proposal: proposal, position: position)
                _ = try await Blocking.run { try client.vote(request) }
                votes += 1
            }
        } catch {
            refused += 1
        }
    }
}

/// A small seeded generator (SplitMix64): the soak's choices follow --seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
