import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinStore

@testable import TocsinNode

/// What a node's state rings, and the outbox that keeps what it owes.
@Suite struct NotifierUnitTests {
    static let now: Int64 = 1_800_000_000_000

    static func decision(_ reference: String, holds: Bool?, closedMs: Int64 = now) -> ProposalSummary.Decision {
        ProposalSummary.Decision(
            reference: reference, author: "RN", outcome: "adopted", closedMs: closedMs, counted: [], holds: holds,
            findings: holds == false ? ["a witnessed vote is left out"] : [])
    }

    static func proposal(
        notVoted: [String], deadlineMs: Int64, decisions: [ProposalSummary.Decision] = []
    ) -> ProposalSummary {
        ProposalSummary(
            reference: "all/XB/0", group: "all", author: "XB", title: "Consultation", action: "regional-consultation",
            priority: "normal", policy: "majority", deadlineMs: deadlineMs, closesMs: nil,
            state: decisions.isEmpty ? "open" : "decided",
            standing: .init(
                outcome: nil, final: false, endorsements: 0, objections: 0, abstentions: 0, votingMembers: 2,
                notVoted: notVoted, explanation: ""),
            decisions: decisions, charterVersion: 1, convener: "RN")
    }

    static let everything = NotificationPolicy(
        rules: NotificationEvent.Kind.allCases.filter { $0 != .test }.map {
            NotificationRule(kind: $0, before: [3_600_000], after: 60_000, within: 86_400_000, channels: ["mail"])
        })

    @Test func eachKindOfStateGivesItsEventWithAStableID() throws {
        var state = NotificationSources.State(node: "XA", nowMs: Self.now)
        state.proposals = [
            Self.proposal(notVoted: ["XA"], deadlineMs: Self.now + 1_000_000),
            Self.proposal(
                notVoted: [], deadlineMs: Self.now - 1, decisions: [Self.decision("all/RN/4", holds: false)]),
        ]
        state.forks = [ForkReport(origin: "tocsin/x/nro/XB", firstSize: 3, secondSize: 3, proof: "")]
        state.unreachableSince = ["RS": Self.now - 120_000, "RN": Self.now - 10_000]
        state.certificateNotAfterMs = Self.now + 3_600_000
        let events = NotificationSources.events(state, policy: Self.everything)
        let ids = Set(events.map(\.id))
        #expect(ids.contains("proposal-awaiting-vote:all/XB/0"))
        #expect(ids.contains("deadline:all/XB/0:3600000"))
        #expect(ids.contains("decision:all/RN/4"))
        #expect(ids.contains("decision-flagged:all/RN/4"))
        #expect(ids.contains("fork:tocsin/x/nro/XB"))
        #expect(ids.contains("peer-unreachable:RS:\(Self.now - 120_000):60000"))
        #expect(!ids.contains { $0.hasPrefix("peer-unreachable:RN") }, "unreachable for 10 s only")
        #expect(ids.contains { $0.hasPrefix("certificate-expiring:XA:") })
        // The same state gives the same events.
        #expect(NotificationSources.events(state, policy: Self.everything) == events)
    }

    @Test func onlyTheNearestDeadlineOffsetRingsAndEachRuleHearsItsOwnThreshold() {
        var state = NotificationSources.State(node: "XA", nowMs: Self.now)
        // First seen 30 minutes before its deadline: "within 1 h", not "within 24 h" too.
        state.proposals = [Self.proposal(notVoted: ["XA"], deadlineMs: Self.now + 1_800_000)]
        let policy = NotificationPolicy(rules: [
            NotificationRule(kind: .deadline, before: [86_400_000], channels: ["a"]),
            NotificationRule(kind: .deadline, before: [3_600_000], channels: ["b"]),
        ])
        let deadlines = NotificationSources.events(state, policy: policy).filter { $0.kind == .deadline }
        #expect(deadlines.map(\.id) == ["deadline:all/XB/0:3600000"])
        #expect(policy.channels(for: deadlines[0], every: []) == ["b"])
        let unreachable = NotificationPolicy(rules: [
            NotificationRule(kind: .peerUnreachable, after: 600_000, channels: ["soon"]),
            NotificationRule(kind: .peerUnreachable, after: 3_600_000, channels: ["late"]),
        ])
        var down = NotificationSources.State(node: "XA", nowMs: Self.now)
        down.unreachableSince = ["RN": Self.now - 700_000]
        let rung = NotificationSources.events(down, policy: unreachable)
        #expect(rung.count == 1)
        #expect(unreachable.channels(for: rung[0], every: []) == ["soon"])
    }

    @Test func textFromOtherMembersIsOneLineInASummary() {
        #expect(
            NotificationSources.plain("Exercise\nBcc: someone@example.org\r\u{2028}x")
                == "Exercise Bcc: someone@example.org  x")
    }

    @Test func oldDecisionsAndDistantDeadlinesRingNothingButAFlaggedDecisionAlwaysRings() {
        var state = NotificationSources.State(node: "XA", nowMs: Self.now, sinceMs: Self.now - 60_000)
        state.proposals = [
            Self.proposal(notVoted: ["XA"], deadlineMs: Self.now + 7_200_000),
            Self.proposal(
                notVoted: [], deadlineMs: Self.now - 1,
                decisions: [Self.decision("all/RN/1", holds: true, closedMs: Self.now - 2 * 86_400_000)]),
            Self.proposal(
                notVoted: [], deadlineMs: Self.now - 1,
                decisions: [Self.decision("all/RN/2", holds: false, closedMs: Self.now - 2 * 86_400_000)]),
        ]
        let ids = NotificationSources.events(state, policy: Self.everything).map(\.id)
        #expect(ids == ["proposal-awaiting-vote:all/XB/0", "decision-flagged:all/RN/2"])
    }

    @Test func theOutboxQueuesAnEventOnceKeepsItAcrossReopeningAndRetriesFailures() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let event = NotificationEvent(id: "fork:x", kind: .fork, node: "XA", timeMs: Self.now, summary: "a fork")
        do {
            let outbox = try NotificationOutbox.open(directory: directory)
            #expect(try outbox.enqueue(event, body: [1, 2], channels: ["mail", "gateway"], nowMs: Self.now) == 2)
            #expect(try outbox.enqueue(event, body: [1, 2], channels: ["mail", "gateway"], nowMs: Self.now) == 0)
            let due = try outbox.due(nowMs: Self.now, channels: ["mail", "gateway"])
            #expect(due.map(\.channel) == ["gateway", "mail"])
            // A channel no longer configured holds nothing up.
            #expect(try outbox.due(nowMs: Self.now, channels: ["mail"]).map(\.channel) == ["mail"])
            try outbox.delivered(due[1], nowMs: Self.now)
            try outbox.failed(due[0], error: "HTTP 500", nowMs: Self.now, retryAtMs: Self.now + 5_000)
        }
        // Reopened, as after a restart.
        let outbox = try NotificationOutbox.open(directory: directory)
        #expect(
            try outbox.queued() == [
                .init(eventID: "fork:x", channel: "mail"), .init(eventID: "fork:x", channel: "gateway"),
            ])
        #expect(try outbox.createdMs() > 0)
        #expect(try outbox.due(nowMs: Self.now + 4_999, channels: ["mail", "gateway"]).isEmpty)
        #expect(try outbox.due(nowMs: Self.now + 5_000, channels: ["mail", "gateway"]).map(\.channel) == ["gateway"])
        #expect(try outbox.pendingCount() == 1)
        // A delivered body is dropped once old; the undelivered one is kept, and both events
        // stay known, so neither is queued again.
        #expect(try outbox.forgetDeliveredBodies(before: Self.now) == 0)
        #expect(try outbox.forgetDeliveredBodies(before: Self.now + 1) == 1)
        #expect(try outbox.forgetDeliveredBodies(before: Self.now + 1) == 0)
        #expect(try outbox.due(nowMs: Self.now + 5_000, channels: ["gateway"]).first?.body == [1, 2])
        #expect(try outbox.enqueue(event, body: [1, 2], channels: ["mail", "gateway"], nowMs: Self.now) == 0)
        let problem = try #require(try outbox.problems().first)
        #expect(problem.channel == "gateway" && problem.lastError == "HTTP 500" && problem.attempts == 1)
        #expect(Notifier.backoffMs(attempts: 0) == 5_000)
        #expect(Notifier.backoffMs(attempts: 3) == 40_000)
        #expect(Notifier.backoffMs(attempts: 1_000) == 3_600_000)
    }

    @Test func aDeadChannelsBacklogNeverCrowdsOutTheDeliveriesOwedToAnother() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outbox = try NotificationOutbox.open(directory: directory)
        // 100 events owed to a gateway that is down, queued before one owed to the mail.
        for number in 0..<100 {
            let event = NotificationEvent(
                id: "fork:\(number)", kind: .fork, node: "XA", timeMs: Self.now, summary: "a fork")
            try outbox.enqueue(event, body: [1], channels: ["gateway"], nowMs: Self.now)
        }
        let late = NotificationEvent(id: "fork:late", kind: .fork, node: "XA", timeMs: Self.now, summary: "a fork")
        try outbox.enqueue(late, body: [1], channels: ["mail"], nowMs: Self.now + 1)
        let due = try outbox.due(nowMs: Self.now + 1, channels: ["mail", "gateway"], limit: 64)
        #expect(due.filter { $0.channel == "gateway" }.count == 64)
        #expect(due.filter { $0.channel == "mail" }.map(\.eventID) == ["fork:late"])
    }

    @Test func channelsAndRulesAreCheckedWhenTheConfigurationIsRead() throws {
        let base = NodeConfiguration.minimalTOML
        let folder = URL(fileURLWithPath: "/etc/tocsin")
        func configuration(_ extra: String) throws(ConfigurationError) -> NodeConfiguration {
            try NodeConfiguration(toml: base + extra, relativeTo: folder)
        }
        let good = try configuration(
            """
            [[notify-channel]]
            name = "gateway"
            url = "https://gateway.example.org/hook"
            secret-file = "webhook.secret"

            [[notify-rule]]
            on = "deadline"
            before = ["1d", "2h"]
            channels = ["gateway"]
            """)
        #expect(
            good.notificationChannels == [
                NotificationChannel(
                    name: "gateway",
                    delivery: .webhook(
                        url: URL(string: "https://gateway.example.org/hook")!,
                        secretFile: URL(fileURLWithPath: "/etc/tocsin/webhook.secret")))
            ])
        #expect(good.notificationPolicy.rules.first?.before == [86_400_000, 7_200_000])
        let refusals: [(String, String)] = [
            (
                "[[notify-rule]]\non = \"bulletin\"\nchannels = [\"nowhere\"]\n",
                "no [[notify-channel]] is named nowhere"
            ),
            ("[[notify-channel]]\nname = \"x\"\ncommand = [\"sendmail\"]\n", "absolute path"),
            ("[[notify-channel]]\nname = \"x\"\nurl = \"ftp://example.org\"\n", "http or https"),
            ("[[notify-channel]]\nname = \"x\"\n", "needs `command` or `url`"),
            // A secret that is not a path would leave the webhook unsigned without a word.
            ("[[notify-channel]]\nname = \"x\"\nurl = \"https://example.org/\"\nsecret-file = 5\n", "`secret-file`"),
            ("[[notify-channel]]\nname = \"x\"\ncommand = [\"/bin/true\"]\nsecret-file = \"s\"\n", "`secret-file`"),
            ("[[notify-channel]]\nname = \"x\"\nurl = 5\n", "`url` must be an http or https URL"),
            (
                "[[notify-channel]]\nname = \"x\"\ncommand = [\"/bin/true\"]\n[[notify-rule]]\non = \"rain\"\nchannels = [\"x\"]\n",
                "`on` is one of"
            ),
            (
                "[[notify-channel]]\nname = \"x\"\ncommand = [\"/bin/true\"]\n[[notify-rule]]\non = \"bulletin\"\nmin-severity = \"huge\"\nchannels = [\"x\"]\n",
                "`min-severity` is one of"
            ),
            ("[notify-channel]\nname = \"x\"\n", "an array of [[notify-channel]] tables"),
            (
                "[[notify-channel]]\nname = \"x\"\ncommand = [\"/bin/true\"]\n[[notify-rule]]\non = \"fork\"\ngroups = [\"nro\"]\nchannels = [\"x\"]\n",
                "`groups` does not apply to `on = \"fork\"`"
            ),
        ]
        for (extra, reason) in refusals {
            #expect {
                try configuration(extra)
            } throws: { error in
                "\(error)".contains(reason)
            }
        }
    }

    @Test func aSecretFileOthersMayReadOrThatIsEmptyIsRefusedAndATrailingNewlineIsNotKey() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func secret(_ text: String, mode: Int) throws -> URL {
            let file = directory.appendingPathComponent(UUID().uuidString)
            try Data(text.utf8).write(to: file)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
            return file
        }
        guard case .success(let key) = await Notifier.readSecret(try secret("s3cret\r\n", mode: 0o600)) else {
            Issue.record("a good secret file was refused")
            return
        }
        #expect(key == Array("s3cret".utf8))
        guard case .failure(let open) = await Notifier.readSecret(try secret("s3cret", mode: 0o644)) else {
            Issue.record("a secret others may read was used")
            return
        }
        #expect(open.description.contains("may be read by others (mode 644)"))
        guard case .failure(let empty) = await Notifier.readSecret(try secret("\n", mode: 0o600)) else {
            Issue.record("an empty secret was used")
            return
        }
        #expect(empty.description.contains("is empty"))
        guard case .failure(let missing) = await Notifier.readSecret(directory.appendingPathComponent("none")) else {
            Issue.record("a missing secret file was used")
            return
        }
        #expect(missing.description.contains("cannot read the secret file"))
    }

    @Test func aWebhookThatCannotBeReachedFailsWithoutShowingItsPathOrQuery() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let url = URL(string: "http://127.0.0.1:1/hooks/s3cret-token?key=abc")!
        guard
            case .failure(let failure) = await Notifier.post(
                [1], eventID: "test:1", kind: "test", to: url, secretFile: nil)
        else {
            Issue.record("a POST to a closed port was delivered")
            return
        }
        #expect(failure.description.hasPrefix("http://127.0.0.1:1"), "\(failure)")
        #expect(!failure.description.contains("s3cret") && !failure.description.contains("key=abc"), "\(failure)")
    }

    @Test func aCommandThatFailsSaysHowAndOneThatCannotRunToo() async {
        guard
            case .failure(let failed) = await Notifier.runCommand(
                ["/bin/sh", "-c", "cat > /dev/null; echo 'no route to the mail relay' >&2; exit 3"], input: [1, 2, 3])
        else {
            Issue.record("a command exiting 3 counted as a delivery")
            return
        }
        #expect(failed.description == "/bin/sh exited with status 3: no route to the mail relay ")
        guard case .failure(let missing) = await Notifier.runCommand(["/nonexistent/tocsin-mail"], input: []) else {
            Issue.record("a missing program counted as a delivery")
            return
        }
        #expect(missing.description.hasPrefix("cannot run /nonexistent/tocsin-mail"))
        guard case .success = await Notifier.runCommand(["/bin/sh", "-c", "cat > /dev/null"], input: [1]) else {
            Issue.record("a command exiting 0 was not a delivery")
            return
        }
    }
}
