import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinDevelopment
import TocsinStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The operator's instruments on real `tocsind` processes: `/metrics`, `/healthz` and
/// `/readyz` over HTTP, systemd notifications, `tocsin log --follow` and the exit statuses.
@Suite(.serialized) struct OperatorInstrumentsTests {
    /// `GET http://address/path`: the status and the body.
    static func get(_ address: String, _ path: String) async throws -> (status: Int, body: String) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(from: URL(string: "http://\(address)\(path)")!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// Writes `metrics = "127.0.0.1:PORT"` at the top of each node's node.toml (top-level keys
    /// must come before its [[peers]] tables). Returns each node's address.
    static func enableMetrics(in directory: URL, nodes: [String]) throws -> [String: String] {
        let base = DaemonTests.freePorts(nodes.count)
        var addresses: [String: String] = [:]
        for (offset, id) in nodes.enumerated() {
            addresses[id] = "127.0.0.1:\(base + offset)"
            try Commands.addToConfiguration(
                in: directory.appendingPathComponent(id), keys: "metrics = \"\(addresses[id]!)\"\n")
        }
        return addresses
    }

    @Test func aScrapeOfASevenNodeNetworkAgreesWithItsLogsAndPassesPromtool() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 4, relays: 2, observers: 1)
        let everyone = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1"]
        let metrics = try Self.enableMetrics(in: directory, nodes: everyone)
        try await NodeProcesses.testing(directory) { daemons in
            func node(_ id: String) -> String { daemons.directory.appendingPathComponent(id).path }
            // Alone, XA is live but not ready: no peer has told it what the network holds of
            // its own feeds (the restore guard), and none is connected.
            try daemons.start("XA")
            try await Blocking.run { try daemons.waitUntilServing(["XA"]) }
            let health = try await Self.get(metrics["XA"]!, "/healthz")
            #expect(health.status == 200 && health.body == "ok\n")
            let alone = try await Self.get(metrics["XA"]!, "/readyz")
            #expect(alone.status == 503, "\(alone.body)")
            #expect(alone.body.contains("restore guard in nro"), "\(alone.body)")
            #expect(alone.body.contains("no peer is connected"), "\(alone.body)")
            let status = try await Commands.tocsin("status", "--node", node("XA"))
            #expect(status.output.contains("ready     NO"), "\(status.output)")
            #expect(status.output.contains("- no peer is connected"), "\(status.output)")

            try daemons.start(everyone.filter { $0 != "XA" })
            try await Blocking.run { try daemons.waitUntilServing(everyone) }
            let wait = DaemonTests.eventually(90, daemons)
            try await wait.holds("XA ready once its relay told it its heads") {
                (try? await Self.get(metrics["XA"]!, "/readyz"))?.status == 200
            }

            // A bulletin, a proposal and a vote.
            let issued = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "Exercise: rising hate speech in XC", "--severity",
                "severe", "--country", "XC", "--node", node("XC"))
            #expect(issued.status == 0, "\(issued.errorOutput)")
            let opened = try await Commands.tocsin(
                "proposal", "open", "--group", "all", "--title", "Regional consultation on XC", "--action",
                "regional-consultation", "--policy", "majority", "--deadline", "30m", "--node", node("XB"))
            #expect(opened.status == 0, "\(opened.errorOutput)")
            let proposal = opened.output.trimmingCharacters(in: .whitespacesAndNewlines)
            try await wait.holds("the proposal at XA") {
                (await ConsultationDaemonTests.proposal(daemons, "XA", proposal)) != nil
            }
            let vote = try await Commands.tocsin("vote", proposal, "--endorse", "--node", node("XA"))
            #expect(vote.status == 0, "\(vote.errorOutput)")
            let voteReference = try EntryReference(parsing: vote.output.trimmingCharacters(in: .whitespacesAndNewlines))
            try await wait.holds("XA's vote at every member of all") {
                everyone.allSatisfy { daemons.size($0, group: "all", author: "XA") > voteReference.index }
            }

            // Every node's scrape: feed sizes are its log's, and once converged no peer is ahead.
            for id in everyone {
                try await wait.holds("\(id)'s metrics agree with its log") {
                    guard let scrape = try? await Self.get(metrics[id]!, "/metrics"), scrape.status == 200 else {
                        return false
                    }
                    let text = PrometheusText(scrape.body)
                    let store = try FeedStore.open(directory: daemons.dataDirectory(id))
                    let heads = try store.heads()
                    let sizesAgree = heads.allSatisfy { head in
                        text.value(
                            "tocsin_feed_entries", ["group": head.origin.group, "author": head.origin.author])
                            == Double(head.size)
                    }
                    let lags = text.all("tocsin_peer_lag_entries")
                    let connected = text.all("tocsin_peer_connected")
                    return sizesAgree && text.all("tocsin_feed_entries").count == heads.count && !lags.isEmpty
                        && lags.allSatisfy { $0.value == 0 } && connected.allSatisfy { $0.value == 1 }
                        && text.value("tocsin_open_proposals") == 1
                }
            }
            let relay = PrometheusText(try await Self.get(metrics["RN"]!, "/metrics").body)
            #expect(relay.value("tocsin_fork_proofs") == 0)
            #expect(relay.value("tocsin_frozen_feeds") == 0)
            #expect(relay.value("tocsin_store_writable") == 1)
            #expect(relay.value("tocsin_flagged_decisions") == 0)
            #expect((relay.value("tocsin_replication_delay_seconds_count") ?? 0) > 0)
            #expect((relay.value("tocsin_store_commit_duration_seconds_count") ?? 0) > 0)
            #expect((relay.value("tocsin_peer_received_frames_total", ["peer": "XC"]) ?? 0) > 0)
            #expect((relay.value("tocsin_peer_sent_bytes_total", ["peer": "XA"]) ?? 0) > 0)
            #expect(
                (relay.value("tocsin_certificate_expiry_timestamp_seconds", ["node": "RN"]) ?? 0)
                    > Date().timeIntervalSince1970)
            #expect((relay.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
            // XA voted, XC has yet to, and an observer never votes.
            let awaiting = try await [("XA", 0.0), ("XC", 1.0), ("OBS1", 0.0)].asyncMap { id, expected in
                (
                    id,
                    PrometheusText(try await Self.get(metrics[id]!, "/metrics").body).value("tocsin_votes_awaiting"),
                    expected
                )
            }
            for (id, value, expected) in awaiting { #expect(value == expected, "\(id)") }
            let xc = PrometheusText(try await Self.get(metrics["XC"]!, "/metrics").body)
            #expect((xc.value("tocsin_append_duration_seconds_count") ?? 0) >= 1)
            #expect((xc.value("tocsin_admin_requests_total", ["method": "POST"]) ?? 0) >= 1)

            // A refused admin request is logged with its reason and counted.
            let refused = try await Commands.tocsin(
                "bulletin", "issue", "--group", "sro", "--headline", "Not my group", "--severity", "minor", "--country",
                "XC", "--node", node("XC"))
            #expect(refused.status == 1)
            let after = PrometheusText(try await Self.get(metrics["XC"]!, "/metrics").body)
            #expect(after.value("tocsin_admin_refused_requests_total", ["status": "403"]) == 1)
            #expect(daemons.log("XC").contains("admin request refused"), "\(daemons.log("XC").suffix(600))")

            // Prometheus's own linter accepts the text.
            let file = scratch.url.appendingPathComponent("rn.prom")
            try Data(try await Self.get(metrics["RN"]!, "/metrics").body.utf8).write(to: file)
            let lint = try await Commands.run(
                URL(fileURLWithPath: "/bin/sh"), ["-c", "promtool check metrics < '\(file.path)'"])
            #expect(lint.status == 0, "promtool: \(lint.output) \(lint.errorOutput)")
        }
    }

    @Test func tocsindTellsSystemdItIsReadyFeedsTheWatchdogAndSaysWhenItStops() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 1, relays: 1, observers: 0)
        // The relay also logs as JSON: every line of its log is one object.
        try Commands.addToConfiguration(in: directory.appendingPathComponent("RN"), keys: "log-format = \"json\"\n")
        let socket = scratch.url.appendingPathComponent("notify").path
        let listener = try DatagramReceiver(name: socket)
        defer { listener.close() }
        try await NodeProcesses.testing(directory) { daemons in
            try daemons.start("RN", environment: ["NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "400000"])
            let ready = try await Blocking.run { listener.receive(timeout: 60) }
            #expect(ready?.hasPrefix("READY=1\nSTATUS=listening on ") == true, "\(ready ?? "nothing")")
            let watchdog = try await Blocking.run { listener.receive(timeout: 10) }
            #expect(watchdog == "WATCHDOG=1")
            // Read on while the node stops: the kernel queues as few as ten datagrams
            // (`net.unix.max_dgram_qlen`), and the watchdog datagrams of a slow stop would
            // fill the queue before `STOPPING=1` is sent (systemd reads them as they come).
            // On a thread of its own, reading before the stop begins: a reader on the shared
            // blocking pool started too late once, in a full run of the suite.
            let stopping = DatagramsUntilStopping(listener)
            #expect(await daemons.stopped("RN") == 0)
            #expect(try await Blocking.run { stopping.last() } == "STOPPING=1")
            let lines = daemons.log("RN").split(separator: "\n")
            #expect(lines.count >= 2)
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(
                    object?["level"] != nil && object?["message"] != nil && object?["node"] as? String == "RN",
                    "\(line)")
            }
            #expect(lines.contains { $0.contains("\"message\":\"listening\"") })
        }
    }

    @Test func logFollowPrintsAnEntryIssuedAfterItStarted() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 1, relays: 1, observers: 0)
        try await NodeProcesses.testing(directory) { daemons in
            try daemons.start(["RN", "XA"])
            try await Blocking.run { try daemons.waitUntilServing(["RN", "XA"]) }
            func issue(_ headline: String) async throws -> String {
                let issued = try await Commands.tocsin(
                    "bulletin", "issue", "--group", "nro", "--headline", headline, "--severity", "minor", "--country",
                    "XA", "--node", daemons.directory.appendingPathComponent("XA").path)
                #expect(issued.status == 0, "\(issued.errorOutput)")
                return issued.output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            // An entry held before the follower starts: its line ends the listing, so what comes
            // after it was followed, not listed.
            let before = try await issue("Exercise: listed")
            try await DaemonTests.eventually(60, daemons).holds("XA's first bulletin at RN") {
                daemons.size("RN", group: "nro", author: "XA") >= 1
            }
            let follower = try FollowedCommand(
                Commands.productsDirectory.appendingPathComponent("tocsin"),
                [
                    "log", "--follow", "--json", "--group", "nro", "--node",
                    daemons.directory.appendingPathComponent("RN").path,
                ])
            defer { follower.stop() }
            let listed = try await Blocking.run {
                follower.line(containing: "\"reference\":\"\(before)\"", timeout: 30)
            }
            #expect(listed != nil, "the listing: \(follower.output)")
            let issued = try await issue("Exercise: followed")
            let reference = issued
            let issuedAt = Date()
            let line = try await Blocking.run {
                follower.line(containing: "\"reference\":\"\(reference)\"", timeout: 30)
            }
            let followed = try #require(line, "no line for \(reference): \(follower.output)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(followed.utf8)) as? [String: Any])
            #expect(object["kind"] as? String == "bulletin")
            #expect(object["origin"] as? String != nil)
            print(
                "log --follow printed \(reference) \(Int(Date().timeIntervalSince(issuedAt) * 1000)) ms after it was issued at XA"
            )
        }
    }

    @Test func exitStatusesSayWhatWentWrong() async throws {
        let usage = try await Commands.tocsin("status", "--no-such-option")
        #expect(usage.status == 2, "\(usage.errorOutput)")
        let unreachable = try await Commands.tocsin("status", "--socket", "/nonexistent/admin.sock")
        #expect(unreachable.status == 3, "\(unreachable.errorOutput)")
        #expect(unreachable.errorOutput.contains("cannot reach the node"))
        let help = try await Commands.tocsin("--help")
        #expect(help.status == 0)
        let version = try await Commands.run(
            Commands.productsDirectory.appendingPathComponent("tocsind"), ["--version"])
        #expect(version.status == 0 && version.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func colourAndRedrawnProgressOnlyOnATerminalAndNeverColourWithNoColour() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 1, relays: 1, observers: 0)
        try await NodeProcesses.testing(directory) { daemons in
            // Two feeds to check (XA's, and its acknowledgements' are none: one), written as a node would.
            try daemons.seed(author: "XA", group: "nro", count: 3)
            try daemons.seed(author: "XA", group: "all", count: 2)
            let data = daemons.dataDirectory("XA").path
            let tocsin = Commands.productsDirectory.appendingPathComponent("tocsin").path
            // Piped: plain lines, one per feed checked, and no escape sequence anywhere.
            let piped = try await Commands.tocsin("verify", "--data-dir", data)
            #expect(piped.status == 0, "\(piped.errorOutput)")
            #expect(piped.output.hasPrefix("OK: "))
            #expect(piped.errorOutput.hasPrefix("verified 1 of 2 feeds"), "\(piped.errorOutput)")
            #expect(piped.errorOutput.contains("\nverified 2 of 2 feeds (5 entries)"), "\(piped.errorOutput)")
            #expect(!(piped.output + piped.errorOutput).contains("\u{1B}"))
            // On a terminal (script(1) gives the command a pseudo-terminal): colour, and a
            // progress line redrawn in place.
            let command = ["-qec", "\(tocsin) verify --data-dir \(data)", "/dev/null"]
            let terminal = try await Commands.run(
                URL(fileURLWithPath: "/usr/bin/script"), command, environment: ["TERM": "xterm", "NO_COLOR": ""])
            #expect(terminal.output.contains("\u{1B}[32mOK\u{1B}[0m"), "\(Array(terminal.output.utf8.prefix(80)))")
            #expect(
                terminal.output.contains("\r\u{1B}[2Kverified 2 of 2 feeds"),
                "\(Array(terminal.output.utf8.prefix(80)))")
            let noColour = try await Commands.run(
                URL(fileURLWithPath: "/usr/bin/script"), command, environment: ["TERM": "xterm", "NO_COLOR": "1"])
            #expect(noColour.output.contains("OK: "))
            #expect(!noColour.output.contains("\u{1B}[32m"), "\(Array(noColour.output.utf8.prefix(80)))")
        }
    }
}

extension Array {
    func asyncMap<Mapped>(_ transform: (Element) async throws -> Mapped) async rethrows -> [Mapped] {
        var mapped: [Mapped] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}

/// A command that keeps running (`tocsin log --follow`), its output read as it comes.
final class FollowedCommand: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var text = ""

    init(_ executable: URL, _ arguments: [String]) throws {
        let pipe = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.text += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var output: String { lock.withLock { text } }

    /// The first complete line containing `needle`, waiting up to `timeout` seconds.
    func line(containing needle: String, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// Kills it (SIGKILL: a test process may pass SIGTERM on ignored, as signal handlers
    /// installed with dispatch sources leave it).
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Reads a notify socket's datagrams on a thread of its own, from before it returns, until
/// `STOPPING=1` or 30 s without one; `last()` waits for the end and gives the last read.
final class DatagramsUntilStopping: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var lastRead: String?

    init(_ listener: DatagramReceiver) {
        let reading = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [self] in
            reading.signal()
            while let next = listener.receive(timeout: 30) {
                lock.withLock { lastRead = next }
                if next == "STOPPING=1" { break }
            }
            finished.signal()
        }
        reading.wait()
    }

    /// Blocks until reading ends.
    func last() -> String? {
        finished.wait()
        return lock.withLock { lastRead }
    }
}
