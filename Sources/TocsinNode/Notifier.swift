import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinMetrics
import TocsinStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
    /// Event ids queued (or rung for no channel) already.
    var known: Set<String> = []
    /// Since when each dialled peer has had no session (since the notifier started, at most).
    var unreachableSince: [String: Int64] = [:]
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
        known = try await NIOThreadPool.singleton.runIfActive { try queue.eventIDs() }
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

    /// One round: new events queued, due deliveries made.
    func round() async {
        do {
            try await queueNewEvents()
            try await deliverDue()
        } catch {
            logger.error("notifications: \(error)")
        }
    }

    func queueNewEvents() async throws {
        let now = nowMs
        var state = NotificationSources.State(node: runtime.nodeID, nowMs: now)
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
        for event in NotificationSources.events(state, policy: policy) where !known.contains(event.id) {
            known.insert(event.id)
            let targets = policy.channels(for: event, every: channels.map(\.name))
            guard !targets.isEmpty else { continue }
            let body = Array(try AdminJSON.encode(event))
            let queue = self.outbox
            _ = try await NIOThreadPool.singleton.runIfActive {
                try queue.enqueue(event, body: body, channels: targets, nowMs: now)
            }
            logger.info("notification queued", metadata: ["event": "\(event.id)", "channels": "\(targets)"])
        }
    }

    func deliverDue() async throws {
        let queue = self.outbox
        let now = nowMs
        let due = try await NIOThreadPool.singleton.runIfActive { try queue.due(nowMs: now) }
        for delivery in due {
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
        let outcome: Result<Void, DeliveryFailure>? = try? await NIOThreadPool.singleton.runIfActive {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: words[0])
            process.arguments = Array(words.dropFirst())
            let stdin = Pipe()
            let stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = FileHandle.nullDevice
            process.standardError = stderr
            do {
                try process.run()
            } catch {
                return .failure(DeliveryFailure(description: "cannot run \(words[0]): \(error)"))
            }
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdin.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(deliveryTimeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                return .failure(
                    DeliveryFailure(description: "\(words[0]) did not finish within \(Int(deliveryTimeout)) s"))
            }
            let errorText = String(
                decoding: (try? stderr.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self
            ).prefix(200)
            guard process.terminationStatus == 0 else {
                return .failure(
                    DeliveryFailure(
                        description:
                            "\(words[0]) exited with status \(process.terminationStatus)\(errorText.isEmpty ? "" : ": \(errorText)")"
                    ))
            }
            return .success(())
        }
        return outcome ?? .failure(DeliveryFailure(description: "the node is stopping"))
    }

    static func post(
        _ body: [UInt8], eventID: String, kind: String, to url: URL, secretFile: URL?
    ) async -> Result<Void, DeliveryFailure> {
        var request = URLRequest(url: url, timeoutInterval: deliveryTimeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(kind, forHTTPHeaderField: "X-Tocsin-Event")
        request.setValue(eventID, forHTTPHeaderField: "X-Tocsin-Delivery")
        if let secretFile {
            let secret = try? await NIOThreadPool.singleton.runIfActive {
                FileManager.default.contents(atPath: secretFile.path)
            }
            guard let key = secret ?? nil, !key.isEmpty else {
                return .failure(DeliveryFailure(description: "cannot read the secret file \(secretFile.path)"))
            }
            let trimmed = Array(key).reversed().drop { $0 == 0x0a || $0 == 0x0d }.reversed()
            let code = HMACSHA256.authenticationCode(for: body, key: Array(trimmed))
            request.setValue("sha256=\(code.hex)", forHTTPHeaderField: "X-Tocsin-Signature")
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = deliveryTimeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (_, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else {
                return .failure(DeliveryFailure(description: "\(url.absoluteString) answered HTTP \(status)"))
            }
            return .success(())
        } catch {
            return .failure(DeliveryFailure(description: "\(url.absoluteString): \(error.localizedDescription)"))
        }
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
