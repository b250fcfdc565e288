import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinMetrics
import TocsinStore

/// The bell: every two seconds it derives the events the node's state holds
/// (`NotificationSources`), queues those its rules ring for (durably, each once), and delivers
/// what is due through the channels, retrying failures with backoff until they succeed.
/// Nothing is lost across a restart: the queue is on disk, and an event derived again is
/// recognised by its id.
///
/// The queue's database, the command channel's process and the secret file are used on NIO's
/// thread pool, never on Swift concurrency's threads.
public actor Notifier {
    let runtime: NodeRuntime
    let consultation: ConsultationService?
    let channels: [NotificationChannel]
    let policy: NotificationPolicy
    let outbox: NotificationOutbox
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Every (event, channel) queued already: an event rings a channel once.
    var queued: Set<NotificationOutbox.Queued> = []
    /// When notifications were first set up here (what was made before does not ring).
    var sinceMs: Int64 = 0
    /// Since when each dialled peer has had no session (since the notifier started, at most).
    var unreachableSince: [String: Int64] = [:]
    /// When delivered bodies were last dropped (0: not since the node started).
    var lastPrunedMs: Int64 = 0
    var loop: Task<Void, Never>?
    /// How long a command or a webhook may take.
    static let deliveryTimeout: TimeInterval = 30

    public init(
        runtime: NodeRuntime, consultation: ConsultationService?, channels: [NotificationChannel],
        policy: NotificationPolicy, outbox: NotificationOutbox, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.runtime = runtime
        self.consultation = consultation
        self.channels = channels
        self.policy = policy
        self.outbox = outbox
        self.logger = logger
        self.clock = clock
        // Every channel's series exist from the start, so that alerts on their increase work.
        for channel in channels {
            runtime.metrics.counter(.notificationDeliveries, ["channel": channel.name]).increment(by: 0)
            runtime.metrics.counter(.notificationFailures, ["channel": channel.name]).increment(by: 0)
        }
    }

    /// Starts ringing: every `interval`, derive, queue and deliver.
    public func start(interval: Duration = .seconds(2)) async throws {
        let queue = self.outbox
        (queued, sinceMs) = try await NIOThreadPool.singleton.runIfActive {
            (try queue.queued(), try queue.createdMs())
        }
        loop = Task { [weak self] in
            while !Task.isCancelled {
                await self?.round()
                try? await Task.sleep(for: interval)
            }
        }
    }

    public func stop() {
        loop?.cancel()
        loop = nil
    }

    var nowMs: Int64 { Int64((clock().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// How long a delivered event's text is kept in the outbox (its id is kept for ever).
    static let deliveredRetentionMs: Int64 = 7 * 86_400_000

    /// One round: new events queued, due deliveries made, and once an hour the text of
    /// deliveries older than a week dropped.
    func round() async {
        do {
            try await queueNewEvents()
            try await deliverDue()
            let now = nowMs
            if now - lastPrunedMs >= 3_600_000 {
                let queue = self.outbox
                _ = try await NIOThreadPool.singleton.runIfActive {
                    try queue.forgetDeliveredBodies(before: now - Self.deliveredRetentionMs)
                }
                lastPrunedMs = now
            }
        } catch {
            logger.error("notifications: \(error)")
        }
    }

    func queueNewEvents() async throws {
        let now = nowMs
        var state = NotificationSources.State(node: runtime.nodeID, nowMs: now, sinceMs: sinceMs)
        if !policy.rules(of: .bulletin).isEmpty {
            state.bulletins = (try? await consultation?.bulletins(limit: 200)) ?? []
        }
        if policy.rules.contains(where: {
            [.proposalAwaitingVote, .deadline, .decision, .decisionFlagged].contains($0.kind)
        }) {
            state.proposals = (try? await consultation?.proposals()) ?? []
        }
        if !policy.rules(of: .fork).isEmpty { state.forks = (try? await runtime.forkReports()) ?? [] }
        for peer in await runtime.peerStatuses() where peer.address != nil {
            if peer.connected {
                unreachableSince[peer.nodeID] = nil
            } else if unreachableSince[peer.nodeID] == nil {
                unreachableSince[peer.nodeID] = now
            }
        }
        state.unreachableSince = unreachableSince
        state.certificateNotAfterMs = runtime.certificateExpiry.map { Int64($0.timeIntervalSince1970 * 1000) }
        for event in NotificationSources.events(state, policy: policy) {
            // Worked out every round: a bulletin updated to a higher severity, or a channel
            // added to a rule, rings the channels it did not ring before.
            let targets = policy.channels(for: event, every: channels.map(\.name)).filter {
                !queued.contains(.init(eventID: event.id, channel: $0))
            }
            guard !targets.isEmpty else { continue }
            let body = Array(try AdminJSON.encode(event))
            let queue = self.outbox
            _ = try await NIOThreadPool.singleton.runIfActive {
                try queue.enqueue(event, body: body, channels: targets, nowMs: now)
            }
            // Remembered once durable: a failed write is tried again next round.
            for target in targets { queued.insert(.init(eventID: event.id, channel: target)) }
            logger.info("notification queued", metadata: ["event": "\(event.id)", "channels": "\(targets)"])
        }
    }

    func deliverDue() async throws {
        let queue = self.outbox
        let now = nowMs
        let names = channels.map(\.name)
        let due = try await NIOThreadPool.singleton.runIfActive { try queue.due(nowMs: now, channels: names) }
        // A channel that fails is not tried again this round: one dead gateway does not make
        // every delivery behind it wait out its timeout.
        var failing: Set<String> = []
        for delivery in due where !failing.contains(delivery.channel) {
            guard let channel = channels.first(where: { $0.name == delivery.channel }) else { continue }
            let kind = (try? AdminJSON.decode(NotificationEvent.self, from: Data(delivery.body)))?.kind.rawValue ?? "?"
            let outcome = await Self.deliver(
                delivery.body, eventID: delivery.eventID, kind: kind, through: channel)
            let finished = nowMs
            switch outcome {
            case .success:
                runtime.metrics.counter(.notificationDeliveries, ["channel": channel.name]).increment()
                try await NIOThreadPool.singleton.runIfActive { try queue.delivered(delivery, nowMs: finished) }
            case .failure(let error):
                failing.insert(channel.name)
                runtime.metrics.counter(.notificationFailures, ["channel": channel.name]).increment()
                let retry = finished + Self.backoffMs(attempts: delivery.attempts)
                try await NIOThreadPool.singleton.runIfActive {
                    try queue.failed(delivery, error: error.description, nowMs: finished, retryAtMs: retry)
                }
                logger.warning(
                    "notification not delivered",
                    metadata: [
                        "channel": "\(channel.name)", "event": "\(delivery.eventID)",
                        "attempt": "\(delivery.attempts + 1)",
                        "reason": "\(error)", "retry_in_seconds": "\((retry - finished) / 1000)",
                    ])
            }
        }
    }

    /// 5 s after the first failure, doubling, at most an hour.
    static func backoffMs(attempts: Int) -> Int64 {
        min(5_000 << Int64(min(max(attempts, 0), 20)), 3_600_000)
    }

    /// Sends a test event through every channel now (not queued) and says what happened.
    public func test() async -> [NotificationTestResult] {
        let event = NotificationEvent(
            id: "test:\(nowMs)", kind: .test, node: runtime.nodeID, timeMs: nowMs,
            summary: "a test of \(runtime.nodeID)'s notifications (tocsin notify test)")
        let body = (try? AdminJSON.encode(event)).map(Array.init) ?? []
        var results: [NotificationTestResult] = []
        for channel in channels {
            switch await Self.deliver(body, eventID: event.id, kind: event.kind.rawValue, through: channel) {
            case .success: results.append(NotificationTestResult(channel: channel.name, delivered: true, error: nil))
            case .failure(let error):
                results.append(
                    NotificationTestResult(channel: channel.name, delivered: false, error: error.description))
            }
        }
        return results
    }

    /// Channels, deliveries owed and failing channels, for `tocsin status`.
    public func report() async -> NotificationReport {
        let queue = self.outbox
        let (pending, problems) =
            (try? await NIOThreadPool.singleton.runIfActive { (try queue.pendingCount(), try queue.problems()) })
            ?? (0, [])
        return NotificationReport(
            channels: channels.map(\.name), pending: pending,
            problems: problems.map {
                NotificationReport.Problem(
                    channel: $0.channel, undelivered: $0.undelivered, attempts: $0.attempts, lastError: $0.lastError,
                    since: BulletinDraft.timeText(milliseconds: $0.sinceMs))
            })
    }

    // MARK: - Channels

    /// Why a delivery failed.
    struct DeliveryFailure: Error, CustomStringConvertible {
        let description: String
    }

    static func deliver(
        _ body: [UInt8], eventID: String, kind: String, through channel: NotificationChannel
    ) async -> Result<Void, DeliveryFailure> {
        switch channel.delivery {
        case .command(let words):
            return await runCommand(words, input: body)
        case .webhook(let url, let secretFile):
            return await post(body, eventID: eventID, kind: kind, to: url, secretFile: secretFile)
        }
    }

    static func runCommand(_ words: [String], input: [UInt8]) async -> Result<Void, DeliveryFailure> {
        await run(words, input: input) { status, errors in
            "\(words[0]) exited with status \(status)\(errors.isEmpty ? "" : ": \(errors)")"
        }
    }

    /// Runs `words` with `input` on its standard input, killed after `deliveryTimeout`; a
    /// non-zero exit fails with `describe(status, the start of its standard error)`.
    static func run(
        _ words: [String], input: [UInt8], describe: @escaping @Sendable (Int32, String) -> String
    ) async -> Result<Void, DeliveryFailure> {
        switch await ChildProcess.run(words, input: input, timeout: deliveryTimeout) {
        case .failure(let failure):
            return .failure(DeliveryFailure(description: failure.description))
        case .success(let outcome) where outcome.status != 0:
            return .failure(DeliveryFailure(description: describe(outcome.status, outcome.errors)))
        case .success:
            return .success(())
        }
    }

    /// Where `tocsin` is; webhook deliveries run `tocsin notify deliver`.
    static var deliveryTool: URL? { ChildProcess.tocsinTool }

    /// Posts a webhook delivery through `tocsin notify deliver` (a child process: this daemon,
    /// which holds the node's key, links no HTTP client library), the body signed here.
    static func post(
        _ body: [UInt8], eventID: String, kind: String, to url: URL, secretFile: URL?
    ) async -> Result<Void, DeliveryFailure> {
        let shown = WebhookRequest.shown(url)
        var headers = ["X-Tocsin-Event": kind, "X-Tocsin-Delivery": eventID]
        if let secretFile {
            switch await readSecret(secretFile) {
            case .failure(let failure): return .failure(failure)
            case .success(let key):
                headers["X-Tocsin-Signature"] = "sha256=\(HMACSHA256.authenticationCode(for: body, key: key).hex)"
            }
        }
        guard let tool = deliveryTool else {
            return .failure(DeliveryFailure(description: "\(shown): \(NotificationChannel.missingDeliveryTool)"))
        }
        let request = WebhookRequest(
            url: url.absoluteString, headers: headers, body: body, timeoutSeconds: Int(deliveryTimeout) - 2)
        guard let input = try? AdminJSON.encode(request) else {
            return .failure(DeliveryFailure(description: "\(shown): the delivery could not be written"))
        }
        return await run([tool.path, "notify", "deliver"], input: Array(input)) { status, errors in
            errors.isEmpty ? "\(shown): tocsin notify deliver exited with status \(status)" : errors
        }
    }

    /// The HMAC key: the secret file's bytes without a trailing newline, from a file only its
    /// owner may read.
    static func readSecret(_ file: URL) async -> Result<[UInt8], DeliveryFailure> {
        let read = try? await NIOThreadPool.singleton.runIfActive { () -> Result<[UInt8], DeliveryFailure> in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                let data = FileManager.default.contents(atPath: file.path)
            else { return .failure(DeliveryFailure(description: "cannot read the secret file \(file.path)")) }
            if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
                return .failure(
                    DeliveryFailure(
                        description:
                            "the secret file \(file.path) may be read by others (mode \(String(mode, radix: 8))): chmod 600 it"
                    ))
            }
            var key = Array(data)
            while let last = key.last, last == 0x0a || last == 0x0d { key.removeLast() }
            guard !key.isEmpty else {
                return .failure(DeliveryFailure(description: "the secret file \(file.path) is empty"))
            }
            return .success(key)
        }
        return read ?? .failure(DeliveryFailure(description: "the node is stopping"))
    }
}

/// The notifier as a service of the daemon: it rings from start to graceful shutdown.
struct NotifierService: Service {
    let notifier: Notifier

    func run() async throws {
        try await notifier.start()
        try? await gracefulShutdown()
        await notifier.stop()
    }
}
