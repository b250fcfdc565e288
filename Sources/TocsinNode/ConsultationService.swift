import Foundation
import Logging
import TocsinCore
import TocsinCrypto
import TocsinDossier
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// Consultation in a running node: between the admin API and the runtime.
///
/// It drives the pure `ConsultationMachine` (receipts, the convener's decisions, the audit)
/// with every entry the node stores and a tick each second, and carries out its actions; and
/// it serves operators: issue, update and cancel bulletins, acknowledge, propose, vote, and
/// the reports on all of these. Every rule it applies is asked of TocsinCore (`Permissions`,
/// the drafts' checks, the machine), never written here.
///
/// Its operations throw `ServiceError` (untyped in their signatures: typed throws across
/// async calls crashes the optimiser of this toolchain).
///
/// Its state lives on its own serial queue. It reads the store there (never writes: appends go
/// through the runtime, whose answers come back to the queue), and async callers reach it
/// through continuations.
public final class ConsultationService: @unchecked Sendable {
    let runtime: NodeRuntime
    let logger: Logger
    let clock: @Sendable () -> Date
    /// How long an operator's append waits for the restore guard before it is refused (503).
    let readinessTimeout: Duration
    let queue = DispatchQueue(label: "tocsin.node.consultation")
    /// Confined to `queue`.
    var machine: ConsultationMachine
    var processed: [FeedOrigin: UInt64] = [:]
    var timer: DispatchSourceTimer?
    /// Set once the log held at start has been read: requests are answered from then on.
    var started = false
    /// Set by `stop`: nothing more is read, decided or appended.
    var stopped = false
    /// Bulletins (originals) with an update or cancel being written.
    var revising: Set<EntryReference> = []
    /// See `currentRevision()`.
    var revision: UInt64 = 0
    /// Whether a tick is already queued (stored batches arriving in a burst share one).
    var tickQueued = false
    /// Whether a tick waits for the store's writes, and whether another was asked for meanwhile.
    var tickRunning = false
    var tickAgain = false
    /// Hands memory back once the log is read, and when the node goes quiet after work.
    let memoryRelease: IdleMemoryRelease

    /// - Parameters:
    ///   - deadlineGrace: after a deadline, how long the convener waits for votes witnessed
    ///     just before it to be stored, before it records the decision.
    ///   - readinessTimeout: how long an operator's append waits for the restore guard.
    ///   - clock: the time of authored entries, deadlines and standings.
    public init(
        runtime: NodeRuntime, logger: Logger, deadlineGrace: Duration = .seconds(2),
        readinessTimeout: Duration = .seconds(10), clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.runtime = runtime
        memoryRelease = IdleMemoryRelease(store: runtime.store)
        self.readinessTimeout = readinessTimeout
        self.logger = logger
        self.clock = clock
        machine = ConsultationMachine(
            configuration: .init(
                nodeID: runtime.nodeID, network: runtime.store.networkID, charter: runtime.charter,
                deadlineGraceMs: Int64(NodeRuntime.milliseconds(deadlineGrace)),
                referralDossierCheck: { [network = runtime.store.networkID] dossier, decision, chain in
                    DossierVerifier.referredDecision(in: dossier, decision: decision, network: network, chain: chain)
                }))
    }

    var store: FeedStore { runtime.store }
    var nodeID: String { runtime.nodeID }
    var permissions: Permissions { runtime.permissions }
    /// The injected clock in milliseconds since 1970 (0 for a clock before 1970 or absurdly
    /// far ahead).
    var nowMs: Int64 { NodeRuntime.milliseconds(since1970: clock()) }

    /// Reads what is stored, then follows every new entry; ticks each second.
    public func start() async {
        await runtime.observeStoredBatches { [weak self] batch in
            guard let self else { return }
            let charter = runtime.charter
            queue.async {
                // An amendment held before it takes effect: proposals may already name it.
                if AuthorityFeed.isAuthorityFeed(batch.origin) {
                    self.machine.adopt(charter, chain: try? self.store.charterChain())
                }
                self.take(batch)
                self.tickSoon()
            }
        }
        await runtime.observe { [weak self] event in
            guard let self else { return }
            switch event {
            case .charterAdopted:
                let charter = runtime.charter
                queue.async {
                    self.machine.adopt(charter, chain: try? self.store.charterChain())
                    self.tickSoon()
                }
            default:
                return
            }
        }
        let charter = runtime.charter
        await onQueue { [self] in
            machine.adopt(charter, chain: try? store.charterChain())
            for head in (try? store.heads()) ?? [] { read(head.origin, upTo: head.size) }
            // Reading the whole log left slack in the book and freed buffers behind.
            machine.compact()
            memoryRelease.start()
            started = true
            tick()
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.resume()
            self.timer = timer
        }
    }

    /// Stops following the log; returns once nothing of the service runs any more.
    public func stop() async {
        await onQueue { [self] in
            stopped = true
            timer?.cancel()
            timer = nil
        }
        memoryRelease.stop()
    }

    /// Runs `body` on the consultation queue, suspending (not blocking) the caller.
    func onQueue<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    func onQueue<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    // MARK: - Driving the machine (on the queue)

    /// A batch just stored: its entries as they came, when they follow what was read (read
    /// back from the store otherwise, as after a gap).
    func take(_ batch: FeedBatch) {
        guard !stopped else { return }
        let origin = batch.origin
        // A feed held from a member's admission starts at its base.
        guard (processed[origin] ?? batch.base?.size ?? 0) == batch.firstIndex else {
            read(origin, upTo: batch.frontier.size)
            return
        }
        let decoded = batch.decoded.count == batch.entries.count
        for (offset, bytes) in batch.entries.enumerated() {
            let reference = EntryReference(
                group: origin.group, author: origin.author, index: batch.firstIndex + UInt64(offset))
            if decoded {
                machine.stored(
                    reference: reference, leafHash: batch.leafHashes[offset], entry: batch.decoded[offset], bytes: bytes
                )
            } else {
                machine.stored(reference: reference, leafHash: batch.leafHashes[offset], bytes: bytes)
            }
        }
        processed[origin] = batch.frontier.size
        revision &+= UInt64(batch.entries.count)
    }

    func read(_ origin: FeedOrigin, upTo size: UInt64) {
        guard !stopped else { return }
        if processed[origin] == nil {
            // Where the feed starts here: 0, or the base of a feed held from this member's admission.
            guard let head = try? store.head(of: origin) else { return }
            processed[origin] = head.firstIndex
        }
        // In slices, so that a long feed read at start never sits in memory whole.
        while let from = processed[origin], size > from {
            let end = min(size, from + 1000)
            let entries: [StoredEntry]
            do {
                entries = try store.entries(of: origin, in: from..<end)
            } catch {
                // Read again with the feed's next stored batch.
                logger.warning(
                    "reading stored entries for consultation failed",
                    metadata: ["origin": "\(origin)", "error": "\(error)"])
                return
            }
            guard !entries.isEmpty else { return }
            for entry in entries {
                machine.stored(reference: entry.reference, leafHash: entry.leafHash, bytes: entry.bytes)
            }
            guard let last = entries.last?.index, last >= from else { return }
            processed[origin] = last + 1
            revision &+= UInt64(entries.count)
        }
    }

    /// A number that changes whenever the consultation this node holds changes (an entry read,
    /// its own included, or a verdict reached): what the console's live pages follow.
    public func currentRevision() async -> UInt64 {
        await onQueue { [self] in revision &+ machine.judgements }
    }

    /// Runs the machine at the time now, once every cosignature this node made by then is
    /// stored: a convener counts a vote it witnessed just before its deadline even when the
    /// store is slow. One tick at a time; a tick asked for meanwhile runs after it.
    func tick() {
        guard !stopped else { return }
        guard !tickRunning else {
            tickAgain = true
            return
        }
        tickRunning = true
        let now = nowMs
        runtime.afterQueuedWrites { [self] in
            queue.async { [self] in
                tickRunning = false
                guard !stopped else { return }
                perform(machine.tick(nowMs: now, ledger: store))
                if tickAgain {
                    tickAgain = false
                    tick()
                }
            }
        }
    }

    /// A tick shortly (`gathering`) after the first of a run of stored batches: a burst (a
    /// catch-up, or bulletins arriving by the thousand) is read whole, then acted on once, so
    /// the receipts of many bulletins go in one append, one checkpoint and one push.
    func tickSoon() {
        guard !tickQueued else { return }
        tickQueued = true
        queue.asyncAfter(deadline: .now() + Self.gathering) { [self] in
            tickQueued = false
            tick()
        }
    }

    /// How long stored batches gather before the tick that acts on them.
    static let gathering: DispatchTimeInterval = .milliseconds(20)

    func perform(_ actions: [ConsultationMachine.Action]) {
        guard !stopped else { return }
        for action in actions {
            switch action {
            case .append(let group, let entries, let purpose):
                runtime.append(group: group, entries: entries) { [self] result in
                    queue.async { [self] in
                        switch result {
                        case .success(let appended):
                            let first = EntryReference(group: group, author: nodeID, index: appended.firstIndex)
                            perform(machine.appended(purpose, first: first))
                        case .failure(let error):
                            perform(machine.appendFailed(purpose, reason: "\(error)"))
                        }
                    }
                }
            case .refer(let decision, let leafHash, let group, let observers):
                refer(decision: decision, leafHash: leafHash, group: group, observers: observers)
            case .log(let line):
                let level: Logger.Level
                switch line.level {
                case .debug: level = .debug
                case .info: level = .info
                case .notice: level = .notice
                case .warning: level = .warning
                }
                logger.log(
                    level: level, "\(line.message)",
                    metadata: line.metadata.mapValues { Logger.MetadataValue.string($0) })
            }
        }
    }

    /// Exports the dossier of this node's `decision` off the queue (it reads every feed held),
    /// then appends the referral carrying it.
    func refer(decision: EntryReference, leafHash: SHA256Digest, group: String, observers: [String]) {
        let purpose = ConsultationMachine.Purpose.refer(decision: decision)
        let (store, nodeID, nowMs) = (store, nodeID, nowMs)
        DispatchQueue.global().async { [self] in
            let entry: [UInt8]
            do {
                let (dossier, unwitnessed) = try DossierExporter(store: store).export(
                    subjects: [decision], exportedBy: nodeID, nowMs: nowMs)
                guard unwitnessed.isEmpty else {
                    let reason = "not yet witnessed: \(unwitnessed.map(\.description).joined(separator: ", "))"
                    queue.async { [self] in perform(machine.referralDeferred(decision, reason: reason)) }
                    return
                }
                entry = try ConsultationEntries.referral(
                    of: decision, leafHash: leafHash, observers: observers, dossier: dossier, authorTimeMs: nowMs)
            } catch {
                queue.async { [self] in perform(machine.appendFailed(purpose, reason: "\(error)")) }
                return
            }
            queue.async { [self] in perform([.append(group: group, entries: [entry], purpose: purpose)]) }
        }
    }

    // MARK: - Helpers for operators' requests (on the queue)

    /// Refuses requests until the log held at start has been read (the node just started).
    func checkStarted() throws {
        guard started, !stopped else {
            throw ServiceError(
                .notReady(retryAfterSeconds: 1),
                stopped ? "the node is stopping" : "the node is still reading its log: retry in a moment")
        }
    }

    /// Throws the refusal a verdict carries: by the charter (403) unless `kind` says otherwise.
    func refuse(_ verdict: Permissions.Verdict, as kind: ServiceError.Kind = .refused) throws {
        guard case .refused(let refusal) = verdict else { return }
        throw ServiceError(kind, refusal.description)
    }

    /// A held entry named by `text`, decoded; `field` names where the reference came from
    /// (nil: the request's path, so a missing entry is "not found").
    func held(_ text: String, field: String?) throws -> (EntryReference, SHA256Digest, Tocsin_V1_Entry) {
        let reference: EntryReference
        do {
            reference = try EntryReference(parsing: text)
        } catch {
            throw ServiceError(
                field.map { .invalid(field: $0) } ?? .malformed, "\(field.map { "\($0): " } ?? "")\(error)")
        }
        return try held(reference, field: field)
    }

    func held(_ reference: EntryReference, field: String?) throws -> (EntryReference, SHA256Digest, Tocsin_V1_Entry) {
        let origin = try FeedOrigin(network: store.networkID, group: reference.group, author: reference.author)
        guard let stored = try store.entry(origin: origin, index: reference.index) else {
            let text = "\(reference) is not held by this node"
            throw ServiceError(field.map { .invalid(field: $0) } ?? .notFound, field.map { "\($0): \(text)" } ?? text)
        }
        do {
            return (reference, stored.leafHash, try EntryDecoder.decode(stored.bytes))
        } catch {
            throw ServiceError(.conflict, "\(reference) is held but cannot be read as an entry: \(error)")
        }
    }

    /// Appends an entry this node authored for its operator, once the restore guard allows,
    /// and reads it into the book before answering: what an operator wrote, the next request
    /// sees.
    func author(_ entry: [UInt8], in group: String) async throws -> EntryReference {
        let appended: AppendedEntries
        do {
            appended = try await runtime.appendWhenReady(group: group, entries: [entry], timeout: readinessTimeout)
        } catch {
            throw ServiceError(error)
        }
        await onQueue { [self] in read(appended.origin, upTo: appended.storedSize) }
        return EntryReference(group: group, author: nodeID, index: appended.firstIndex)
    }
}
