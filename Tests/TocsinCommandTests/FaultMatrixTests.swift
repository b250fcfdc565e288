import Foundation
import NIOCore
import NIOPosix
import Testing
import TocsinAdmin
import TocsinCore
import TocsinDevelopment
import TocsinNode

/// Faults on real `tocsind` processes. In each, no node crashes, no entry is lost, the
/// network converges once the fault is gone, and `tocsin verify` passes on every node.
@Suite(.serialized) struct FaultMatrixTests {
    /// XA is cut off from its relay for 30 seconds while both sides write; nothing waits for
    /// the partition to heal but the entries themselves.
    @Test func aPartitionHealedAfterThirtySeconds() async throws {
        try await FaultNetwork.run(proxied: ["XA→RN"]) { net in
            try await net.startAll()
            try await net.issue(at: "XA", group: "nro", "Exercise: before the partition")
            try await net.eventually().holds("XA's first bulletin at XC") { net.converged(author: "XA", group: "nro") }
            net.proxies["XA→RN"]!.set(.cut)
            for number in 0..<3 { try await net.issue(at: "XA", group: "nro", "Exercise: cut off \(number)") }
            for number in 0..<3 { try await net.issue(at: "XC", group: "nro", "Exercise: meanwhile \(number)") }
            try await Task.sleep(for: .seconds(30))
            #expect(
                net.daemons.size("RN", group: "nro", author: "XA") < net.daemons.size("XA", group: "nro", author: "XA"))
            net.proxies["XA→RN"]!.set(.pass)
            try await net.eventually().holds("every feed everywhere after the heal") { net.allConverged() }
            #expect(net.daemons.size("XC", group: "nro", author: "XA") >= 4)
            #expect(try await net.verifyAll() == [])
        }
    }

    /// Every byte between XC and its relay takes 300 ms more each way.
    @Test func aLinkWithThreeHundredMillisecondsOfDelay() async throws {
        try await FaultNetwork.run(proxied: ["XC→RN"]) { net in
            net.proxies["XC→RN"]!.set(.delay(milliseconds: 300))
            try await net.startAll()
            for number in 0..<5 { try await net.issue(at: "XA", group: "nro", "Exercise: slow link \(number)") }
            for number in 0..<3 { try await net.issue(at: "XC", group: "nro", "Exercise: from XC \(number)") }
            try await net.eventually().holds("every feed everywhere over the slow link") { net.allConverged() }
            #expect(net.daemons.size("XC", group: "nro", author: "XA") >= 5)
            #expect(try await net.verifyAll() == [])
        }
    }

    /// XA issues bulletins without pause while it, then its relay, is killed with SIGKILL at
    /// ten random moments and restarted: every bulletin XA confirmed is in its log and
    /// everywhere in the group afterwards.
    @Test func killNineAtTenMomentsOfHeavyWriting() async throws {
        try await FaultNetwork.run { net in
            try await net.startAll()
            let confirmed = LockedList()
            let writer = Task {
                var number = 0
                while !Task.isCancelled {
                    number += 1
                    if let reference = try? await net.issue(at: "XA", group: "nro", "Exercise: under fire \(number)") {
                        confirmed.append(reference)
                    }
                }
            }
            var generator = SystemRandomNumberGenerator()
            for moment in 0..<10 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500, using: &generator)))
                let victim = moment % 2 == 0 ? "XA" : "RN"
                await net.daemons.killed(victim)
                try net.daemons.start(victim)
                try await Blocking.run { try net.daemons.waitUntilServing([victim]) }
            }
            try await Task.sleep(for: .seconds(1))
            writer.cancel()
            await writer.value
            let references = confirmed.values
            #expect(references.count >= 10, "only \(references.count) bulletins were confirmed")
            try await net.eventually().holds("XA's feed everywhere in nro") {
                net.converged(author: "XA", group: "nro")
            }
            let held = net.daemons.size("XA", group: "nro", author: "XA")
            let lost = references.filter { $0.index >= held }
            #expect(lost.isEmpty, "confirmed and lost: \(lost)")
            let client = net.daemons.client("XC")
            for reference in references.suffix(5) {
                let detail = try await Blocking.run { try client.bulletin(reference.description) }
                #expect(detail.bulletin.headline.hasPrefix("Exercise: under fire"))
            }
            #expect(try await net.verifyAll() == [])
        }
    }

    /// XA's disk fills up (a 4 MiB tmpfs: a real ENOSPC): it refuses bulletins and says why,
    /// keeps its session, and writes again by itself once there is room.
    @Test func aFullDiskOnANode() async throws {
        guard geteuid() == 0 else {
            print("skipped: a real full disk needs a tmpfs, and mounting one needs root")
            return
        }
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tocsin-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mount = try await Commands.run(
            URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mountPoint.path])
        guard mount.status == 0 else {
            print("skipped: cannot mount a tmpfs here (\(mount.errorOutput))")
            return
        }
        defer { _ = try? ExternalCommand(URL(fileURLWithPath: "/bin/umount"), ["-l", mountPoint.path]).run() }
        try await FaultNetwork.run(prepare: { net in
            // XA's data directory moves onto the small file system.
            let data = mountPoint.appendingPathComponent("data")
            try FileManager.default.moveItem(at: net.node("XA").dataDirectory, to: data)
            let toml = try String(contentsOf: net.node("XA").configuration, encoding: .utf8)
                .replacingOccurrences(of: "data-dir = \"data\"", with: "data-dir = \"\(data.path)\"")
            try Data(toml.utf8).write(to: net.node("XA").configuration)
        }) { net in
            try await net.startAll()
            try await net.issue(at: "XA", group: "nro", "Exercise: before the disk fills")
            let filler = mountPoint.appendingPathComponent("filler")
            _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
            let handle = try FileHandle(forWritingTo: filler)
            while (try? handle.write(contentsOf: Data(count: 64 * 1024))) != nil {}
            try handle.close()
            let node = net.directory.appendingPathComponent("XA").path
            // The first write to fail tells the node; from then on it refuses at once.
            var refused = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "Exercise: no room", "--severity", "minor",
                "--country", "XA", "--node", node)
            if refused.status == 0 {
                refused = try await Commands.tocsin(
                    "bulletin", "issue", "--group", "nro", "--headline", "Exercise: no room either", "--severity",
                    "minor", "--country", "XA", "--node", node)
            }
            #expect(refused.status != 0)
            #expect(refused.errorOutput.contains("cannot write"), "\(refused.errorOutput)")
            let status = try await Commands.tocsin("status", "--node", node)
            #expect(status.output.contains("CANNOT WRITE"), "\(status.output)")
            let peers = try await Blocking.run { try net.daemons.client("XA").peers() }
            #expect(peers.first { $0.nodeID == "RN" }?.connected == true, "the session stays up")
            try FileManager.default.removeItem(at: filler)
            try await net.eventually(30).holds("XA writes again") {
                (try? await net.issue(at: "XA", group: "nro", "Exercise: room again")) != nil
            }
            try await net.eventually().holds("every feed everywhere") { net.allConverged() }
            #expect(try await net.verifyAll() == [])
        }
    }

    /// XA's clock runs an hour behind, then an hour ahead of everyone else's: its vote,
    /// witnessed by the convener in time, counts, and it shows no outcome before the
    /// convener's decision.
    @Test(arguments: [-3600, 3600])
    func aClockOffByAnHour(offset: Int) async throws {
        try await FaultNetwork.run { net in
            try await net.startAll(environment: ["XA": [NodeDaemon.clockOffsetVariable: "\(offset)"]])
            let xc = net.daemons.client("XC")
            let proposed = try await Blocking.run {
                try xc.propose(
                    ProposalRequest(
                        group: "nro",
                        draft: .init(
                            title: "Exercise: a joint statement", action: "public-statement",
                            deadline: "20s")))
            }
            let xa = net.daemons.client("XA")
            try await net.eventually(30).holds("the proposal at XA") {
                (try? await Blocking.run { try xa.proposal(proposed.reference) }) != nil
            }
            let before = try await Blocking.run { try xa.proposal(proposed.reference) }
            #expect(!before.summary.standing.final, "XA shows an outcome before the convener decided")
            // Its operator votes: not turned away by XA's clock.
            _ = try await Blocking.run {
                try xa.vote(VoteRequest(proposal: proposed.reference, position: "object", statement: "Not yet"))
            }
            try await net.eventually(60).holds("the convener's decision at XA, verified") {
                let detail = try? await Blocking.run { try xa.proposal(proposed.reference) }
                return detail?.summary.decisions.contains { $0.holds == true } == true
            }
            let decided = try await Blocking.run { try xa.proposal(proposed.reference) }
            let decision = try #require(decided.summary.decisions.first)
            #expect(decision.counted.contains { $0.hasPrefix("nro/XA/") }, "XA's vote was lost: \(decision)")
            #expect(decision.outcome == "rejected", "half or more objected: \(decision)")
            if offset < 0 {
                #expect(net.daemons.log("XA").contains("ahead of this node's clock"))
            }
            #expect(try await net.verifyAll() == [])
        }
    }

    /// 1,000 TCP connections to the relay's peer port that never start TLS, reopened as the
    /// relay closes them: bulletins still go through it.
    @Test func aThousandIdleConnections() async throws {
        try await FaultNetwork.run { net in
            try await net.startAll()
            let port = net.node("RN").port
            let flood = Task {
                var channels: [Channel] = []
                while !Task.isCancelled {
                    channels.removeAll { !$0.isActive }
                    while channels.count < 1000, !Task.isCancelled {
                        guard
                            let channel = try? await ClientBootstrap(group: FaultNetwork.group)
                                .bind(to: try SocketAddress(ipAddress: "127.0.0.2", port: 0))
                                .connect(host: "127.0.0.1", port: port).get()
                        else { break }
                        channels.append(channel)
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                for channel in channels { try? await channel.close() }
            }
            try await Task.sleep(for: .seconds(2))
            for number in 0..<3 { try await net.issue(at: "XA", group: "nro", "Exercise: in the crowd \(number)") }
            try await net.eventually(60).holds("XA's bulletins at XC during the flood") {
                net.daemons.size("XC", group: "nro", author: "XA") >= 3
            }
            flood.cancel()
            await flood.value
            #expect(net.daemons.log("RN").contains("connections refused before TLS"))
            try await net.eventually().holds("every feed everywhere") { net.allConverged() }
            #expect(try await net.verifyAll() == [])
        }
    }

    /// XC, a member of nro, floods XA with heads of XA's own feed carrying hundreds of forged
    /// cosignatures, reconnecting each time it is cut off: `tocsin bulletin issue` on XA still
    /// answers within 2 seconds.
    @Test func aFloodingMember() async throws {
        try await FaultNetwork.run { net in
            try await net.startAll()
            try await net.issue(at: "XA", group: "nro", "Exercise: before the flood")
            var head = try net.head(of: "XA", group: "nro")
            var note = String(decoding: head.checkpoint, as: UTF8.self)
            // Under RS's name and key ID (a line of a key RS does not have is passed over), with
            // a signature that does not verify.
            let witness = WitnessName.of(node: "RS", network: net.network.networkID)
            let keyID = try NoteKey(
                name: witness, publicKey: net.network.member("RS")!.node.publicKey, type: .cosignatureV1
            ).keyID
            let keyIDBytes = withUnsafeBytes(of: keyID.bigEndian) { Array($0) }
            let forged =
                "— \(witness) " + Data(keyIDBytes + Array(repeating: 7, count: 72)).base64EncodedString() + "\n"
            note += String(repeating: forged, count: 400)
            head.checkpoint = Data(note.utf8)
            let flood = Tocsin_V1_Message.with { $0.heads.heads = [head] }
            let port = net.node("XA").port
            let hello = MemberClient.hello(
                from: "XC", network: net.network.networkID, charterVersion: net.network.charter.version)
            let flooding = Task {
                var sessions = 0
                while !Task.isCancelled {
                    guard let client = try? await net.member("XC", port: port) else { continue }
                    sessions += 1
                    client.channel.write(hello, promise: nil)
                    for _ in 0..<50 { client.channel.write(flood, promise: nil) }
                    client.channel.flush()
                    // Once XA's feed has grown, the flood names an older checkpoint, which costs
                    // XA one signature check and is not a fault: the session stays open.
                    await withTaskCancellationHandler {
                        _ = try? await client.channel.closeFuture.get()
                    } onCancel: {
                        client.channel.close(promise: nil)
                    }
                }
                return sessions
            }
            try await Task.sleep(for: .seconds(1))
            for number in 0..<3 {
                let started = ContinuousClock.now
                let issued = try await Commands.tocsin(
                    "bulletin", "issue", "--group", "nro", "--headline", "Exercise: during the flood \(number)",
                    "--severity", "minor", "--country", "XA", "--node", net.directory.appendingPathComponent("XA").path)
                let took = ContinuousClock.now - started
                #expect(issued.status == 0, "\(issued.errorOutput)")
                #expect(took < .seconds(2), "bulletin issue took \(took) during the flood")
            }
            flooding.cancel()
            #expect(await flooding.value >= 1)
            #expect(net.daemons.log("XA").contains("does not verify"))
            try await net.eventually().holds("every feed everywhere") { net.allConverged() }
            #expect(try await net.verifyAll() == [])
        }
    }

    /// XB announces XA's network-wide feed to the relay and never sends it; XA itself comes
    /// later. The relay gets the entries from XA within seconds (not at the next anti-entropy,
    /// nor never), and names XB.
    @Test func aMemberThatWithholds() async throws {
        try await FaultNetwork.run(prepare: { net in
            try net.daemons.seed(author: "XA", group: "all", count: 5)
        }) { net in
            let head = try net.head(of: "XA", group: "all")
            try net.daemons.start("RN")
            try await Blocking.run { try net.daemons.waitUntilServing(["RN"]) }
            let withholder = try await net.member("XB", port: net.node("RN").port)
            try await withholder.send(
                MemberClient.hello(
                    from: "XB", network: net.network.networkID, charterVersion: net.network.charter.version))
            try await withholder.send(.with { $0.heads.heads = [head] })
            try await net.eventually(20).holds("the relay asks XB") {
                withholder.messages.contains { if case .want = $0.body { true } else { false } }
            }
            let started = Date()
            // The real XB stays down: its daemon would dial the relay and replace the session.
            for id in ["RS", "XA", "XC"] { try net.daemons.start(id) }
            try await net.eventually(30).holds("XA's feed at the relay") {
                net.daemons.size("RN", group: "all", author: "XA") >= 5
            }
            #expect(
                Date().timeIntervalSince(started) < 20, "the withheld feed took \(Date().timeIntervalSince(started)) s")
            let peers = try await Commands.tocsin("peers", "--node", net.directory.appendingPathComponent("RN").path)
            #expect(peers.output.contains("unanswered"), "\(peers.output)")
            #expect(net.daemons.log("RN").contains("XB did not answer a Want"))
            await withholder.close()
            try net.daemons.start("XB")
            try await net.eventually().holds("every feed everywhere") { net.allConverged() }
            #expect(try await net.verifyAll() == [])
        }
    }
}

/// References collected by a task while the test watches.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [EntryReference] = []
    func append(_ reference: EntryReference) { lock.withLock { items.append(reference) } }
    var values: [EntryReference] { lock.withLock { items } }
}
