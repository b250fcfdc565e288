import Foundation
import Logging
import Testing
import TocsinCore
import TocsinDevelopment

@testable import TocsinMetrics
@testable import TocsinNode

#if canImport(Glibc)
    import Glibc
#endif

/// The operator's instruments inside one process: readiness through a restore, the metrics'
/// text, the process figures, systemd notifications, JSON logs and their configuration.
@Suite struct ObservabilityTests {
    @Test func aRestoredNodeIsNotReadyUntilItHasCaughtUpItsOwnFeedAndHeardAPeer() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 2, relays: 1) { local in
            // Restored from an old copy, alone: not ready, and it says why.
            let origin = try await local.restoreXAFromAnOldCopy()
            let restored = local.nodes["XA"]!
            let alone = await restored.readiness()
            #expect(!alone.ready)
            #expect(alone.missing.contains { $0.hasPrefix("restore guard in nro") }, "\(alone.missing)")
            #expect(alone.missing.contains("no peer is connected"), "\(alone.missing)")
            #expect(alone.text.hasPrefix("not ready:\n- "))
            let status = try await restored.status()
            #expect(status.readiness == alone)

            // The relay is back: the node catches up its own feed, then it is ready.
            try await local.start("RN", peers: [])
            #expect(await local.waiter.wait { await restored.readiness().ready })
            // Ready once the batches are verified; the write of the last may still be queued.
            #expect(await local.waiter.wait { local.size("XA", origin) == 5 })
            let snapshot = await restored.metricsSnapshot()
            #expect(snapshot.peers.first { $0.nodeID == "RN" }?.lagEntries == 0)
            #expect(snapshot.feeds.contains { $0.group == "nro" && $0.author == "XA" && $0.entries == 5 })
        }
    }

    @Test func everyMetricIsRenderedWithHelpTypeAndItsLabels() throws {
        let metrics = NodeMetrics()
        metrics.countRejection(peer: "XB", reason: "unverifiable")
        metrics.countAdminRequest(method: "POST", status: 403)
        metrics.recordStoreCommit(.milliseconds(3))
        metrics.recordAppend(.milliseconds(12))
        metrics.recordReplication(authorTimeMs: 1_000, storedTimeMs: 1_250)
        // An author's clock ahead of this one counts as no delay, never a negative one.
        metrics.recordReplication(authorTimeMs: 5_000, storedTimeMs: 1_000)
        metrics.traffic(peer: "XB").sentBytes.increment(by: 100)
        metrics.counter(.notificationDeliveries, ["channel": "mail"]).increment()
        metrics.counter(.notificationFailures, ["channel": "gateway"]).increment()
        let text = metrics.render(
            MetricsSnapshot(
                feeds: [.init(group: "nro", author: "XA", entries: 7)], forkProofs: 1, frozenFeeds: 1,
                charterVersion: 2, storeWritable: false,
                peers: [
                    .init(nodeID: "XB", connected: true, lastContact: Date(timeIntervalSince1970: 10), lagEntries: 4)
                ],
                certificateExpiry: ["XA": Date(timeIntervalSince1970: 1_000)],
                consultation: .init(openProposals: 3, votesAwaiting: 2, flaggedDecisions: 1), ready: false))
        let samples = PrometheusText(text)
        #expect(samples.value("tocsin_feed_entries", ["group": "nro", "author": "XA"]) == 7)
        #expect(samples.value("tocsin_fork_proofs") == 1)
        #expect(samples.value("tocsin_store_writable") == 0)
        #expect(samples.value("tocsin_ready") == 0)
        #expect(samples.value("tocsin_peer_lag_entries", ["peer": "XB"]) == 4)
        #expect(samples.value("tocsin_peer_last_contact_timestamp_seconds", ["peer": "XB"]) == 10)
        #expect(samples.value("tocsin_peer_rejected_messages_total", ["peer": "XB", "reason": "unverifiable"]) == 1)
        #expect(samples.value("tocsin_peer_sent_bytes_total", ["peer": "XB"]) == 100)
        #expect(samples.value("tocsin_admin_refused_requests_total", ["status": "403"]) == 1)
        #expect(samples.value("tocsin_votes_awaiting") == 2)
        #expect(samples.value("tocsin_certificate_expiry_timestamp_seconds", ["node": "XA"]) == 1_000)
        #expect(samples.value("tocsin_replication_delay_seconds_count") == 2)
        #expect(samples.value("tocsin_replication_delay_seconds_sum") == 0.25)
        #expect(samples.value("tocsin_append_duration_seconds_count") == 1)
        #expect(samples.value("tocsin_store_commit_duration_seconds_bucket", ["le": "0.005"]) == 1)
        #expect((samples.value("process_resident_memory_bytes") ?? 0) > 0)
        #expect((samples.value("process_open_fds") ?? 0) > 0)
        // Every series carries exactly the labels of its metric (histogram buckets add `le`).
        for sample in samples.samples {
            let base = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                MetricName(rawValue: name) == nil && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
            }
            let metric = try #require(MetricName(rawValue: base), "\(sample.name) is not in the catalogue")
            let expected = Set(metric.labels + (sample.name.hasSuffix("_bucket") ? ["le"] : []))
            #expect(Set(sample.labels.keys) == expected, "\(sample.name) \(sample.labels)")
        }
        // Every metric of the catalogue is there with its help text and type.
        for name in MetricName.allCases {
            #expect(text.contains("# HELP \(name.rawValue) \(name.help)\n"), "\(name.rawValue)")
            #expect(text.contains("# TYPE \(name.rawValue) \(name.kind.rawValue)\n"), "\(name.rawValue)")
        }
    }

    @Test func aFeedOrAPeerNoLongerThereLeavesTheNextScrape() {
        let metrics = NodeMetrics()
        let before = PrometheusText(
            metrics.render(
                MetricsSnapshot(
                    feeds: [
                        .init(group: "nro", author: "XA", entries: 3), .init(group: "nro", author: "XB", entries: 2),
                    ],
                    peers: [.init(nodeID: "XA", connected: true, lastContact: nil, lagEntries: 0)],
                    certificateExpiry: ["XA": Date(timeIntervalSince1970: 1)])))
        #expect(before.value("tocsin_feed_entries", ["author": "XB"]) == 2)
        #expect(before.value("tocsin_peer_connected", ["peer": "XA"]) == 1)
        // An amendment removed XB and the session with XA ended as XA left the network.
        let after = PrometheusText(
            metrics.render(MetricsSnapshot(feeds: [.init(group: "nro", author: "XA", entries: 4)])))
        #expect(after.value("tocsin_feed_entries", ["author": "XA"]) == 4)
        #expect(after.value("tocsin_feed_entries", ["author": "XB"]) == nil)
        #expect(after.all("tocsin_peer_connected").isEmpty)
        #expect(after.all("tocsin_certificate_expiry_timestamp_seconds").isEmpty)
    }

    @Test func counterNamesEndInTotalAndOthersNeverDo() {
        for name in MetricName.allCases {
            #expect(name.rawValue.hasSuffix("_total") == (name.kind == .counter), "\(name.rawValue)")
            #expect(name.kind == .histogram ? !name.buckets.isEmpty : name.buckets.isEmpty, "\(name.rawValue)")
        }
    }

    @Test func processFiguresAreReadFromProcEvenWithParenthesesInTheCommandName() throws {
        let stat =
            "4242 (tocsin (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 4 0 1000 0 0"
        let (start, cpu) = ProcessFigures.times(
            stat: stat, procStat: "cpu 1 2\nbtime 1700000000\n", ticksPerSecond: 100)
        #expect(cpu == 4)
        #expect(start == 1_700_000_010)
        #expect(ProcessFigures.statusKilobytes("Name:\tx\nVmRSS:\t  2048 kB\n", field: "VmRSS") == 2048)
        #expect(ProcessFigures.statusKilobytes("VmRSS: lots kB\n", field: "VmRSS") == nil)
        #expect(ProcessFigures.times(stat: "no parenthesis", procStat: "", ticksPerSecond: 100) == (nil, nil))
        let own = ProcessFigures(reading: "/proc/self")
        #expect((own.residentMemoryBytes ?? 0) > 0)
        #expect((own.maximumFileDescriptors ?? 0) > 0)
    }

    @Test func systemdIsToldThroughAnAbstractOrAPathSocket() throws {
        for name in ["@tocsin-notify-\(UUID().uuidString)", NSTemporaryDirectory() + "notify-\(UUID().uuidString)"] {
            let listener = try DatagramReceiver(name: name)
            defer { listener.close() }
            let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": name]))
            try notifier.notify("READY=1\nSTATUS=listening")
            #expect(listener.receive(timeout: 5) == "READY=1\nSTATUS=listening")
        }
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(throws: SystemdNotifyError.self) { try SystemdNotifier(socketPath: "relative").notify("READY=1") }
        // A reader that stops reading: the queue fills (the kernel keeps a few datagrams), and
        // each send then fails at once instead of blocking the daemon (its shutdown once hung so).
        let name = "@tocsin-notify-\(UUID().uuidString)"
        let silent = try DatagramReceiver(name: name)
        defer { silent.close() }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": name]))
        var refused = 0
        for _ in 0..<1_000 {
            do { try notifier.notify("WATCHDOG=1") } catch { refused += 1 }
        }
        #expect(refused > 0)
        #expect(silent.receive(timeout: 5) == "WATCHDOG=1")
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(15))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"], processID: 2)
                == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "-5"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }

    @Test func aJSONLogLineHoldsTimeLevelMessageAndEveryMetadataKey() throws {
        let event = LogEvent(
            level: .warning, message: "closing session", metadata: ["peer": "XB", "message": "shadowed"], source: "x",
            file: #fileID, function: #function, line: #line)
        let line = JSONLogHandler.line(
            event: event, label: "tocsind", handlerMetadata: ["node": "XA"], time: Date(timeIntervalSince1970: 0))
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(
            object == [
                "time": "1970-01-01T00:00:00.000Z", "level": "warning", "label": "tocsind",
                "message": "closing session",
                "peer": "XB", "node": "XA", "metadata.message": "shadowed",
            ])
    }

    @Test func theConfigurationTakesAMetricsAddressAndALogFormat() throws {
        let base = NodeConfiguration.minimalTOML
        let folder = URL(fileURLWithPath: "/tmp")
        let plain = try NodeConfiguration(toml: base, relativeTo: folder)
        #expect(plain.metrics == nil && plain.logFormat == .text)
        let configured = try NodeConfiguration(
            toml: "metrics = \"[::1]:9740\"\nlog-format = \"json\"\n" + base, relativeTo: folder)
        #expect(configured.metrics == NodeConfiguration.ListenAddress(host: "::1", port: 9740))
        #expect(configured.logFormat == .json)
        #expect(throws: ConfigurationError.invalid(key: "log-format", reason: "`text` or `json`")) {
            try NodeConfiguration(toml: "log-format = \"xml\"\n" + base, relativeTo: folder)
        }
        #expect(throws: ConfigurationError.invalid(key: "metrics", reason: "the port must not be 0")) {
            try NodeConfiguration(toml: "metrics = \"127.0.0.1:0\"\n" + base, relativeTo: folder)
        }
        #expect(throws: ConfigurationError.self) {
            try NodeConfiguration(toml: "metrics = \"nowhere\"\n" + base, relativeTo: folder)
        }
    }
}

extension ObservabilityTests {
    @Test func everyMetricIsDocumentedAndEveryDocumentedMetricExists() throws {
        let document = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Docs/METRICS.md"), encoding: .utf8)
        let documented = Set(
            document.split(separator: "\n").filter { $0.hasPrefix("| `") }.map {
                String($0.dropFirst(3).prefix { $0 != "`" })
            }.filter { $0.allSatisfy { $0.isLowercase || $0 == "_" } })
        #expect(documented == Set(MetricName.allCases.map(\.rawValue)))
        for name in MetricName.allCases {
            let row = document.split(separator: "\n").first { $0.hasPrefix("| `\(name.rawValue)` |") } ?? ""
            #expect(row.contains("| \(name.kind.rawValue) |"), "\(name.rawValue)")
        }
    }
}
