import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinMetrics
import TocsinNet
import TocsinStore

/// A running node: its store, its sync machine and its peer sessions.
///
/// Two serial executors, neither of which ever waits for the other:
/// - the **node queue** holds every piece of sync state. Event loops hand it session events
///   with `async`; the `SyncNode` answers with actions, which the queue carries out in order
///   (sends, reads for serving, and store writes handed to the writer).
/// - the **writer** is the store's only writer: batches, cosignatures and fork proofs are
///   written there in order, each durable before the writer reports back to the node queue.
///
/// Async callers (the admin API, the consultation service, tests) reach the node queue
/// through continuations: they suspend, they never block a thread.
public final class NodeRuntime: @unchecked Sendable {
    /// A peer to keep a session with.
    public struct PeerAddress: Sendable, Hashable {
        public let nodeID: String
        public let host: String
        public let port: Int

        public init(nodeID: String, host: String, port: Int) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
        }
    }

    /// How long to wait before dialling again: capped exponential backoff with jitter.
    public struct Backoff: Sendable {
        public var initial: TimeAmount = .milliseconds(200)
        public var maximum: TimeAmount = .seconds(30)

        public init(initial: TimeAmount = .milliseconds(200), maximum: TimeAmount = .seconds(30)) {
            self.initial = initial
            self.maximum = maximum
        }

        /// The delay before attempt `attempt` (0-based), `jitter` in [0, 1) from the injected
        /// generator: between half and all of the capped exponential delay.
        public func delay(attempt: Int, jitter: Double) -> TimeAmount {
            let exponential = initial.nanoseconds << min(max(attempt, 0), 30)
            let capped = min(exponential, maximum.nanoseconds)
            return .nanoseconds(capped / 2 + Int64(Double(capped / 2) * min(max(jitter, 0), 1)))
        }
    }

    public let nodeID: String
    /// The node's data. Reading it is safe from any thread; every write goes through the
    /// writer (appends through `append`).
    public let store: FeedStore
    /// The version of the charter in force. Changed on the node queue when an amendment takes
    /// effect; read from anywhere (certificate pins during handshakes, the consultation
    /// service, reports): a lock held only to copy a reference out.
    let charterInForce: NIOLockedValueBox<CharterVersion>
    let key: Ed25519PrivateKey
    let tlsContext: TLSContext
    let group: any EventLoopGroup
    let logger: Logger
    let clock: @Sendable () -> Date
    let random: @Sendable () -> Double
    let backoff: Backoff
    /// The operator's override of the restore guard (`trust-local-log`).
    let trustLocalLog: Bool
    /// Connections still in their TLS handshake, bounded in total and per source address.
    public let handshakes: HandshakeLimiter
    /// The node's metrics (its own registry: nodes sharing a process never mix figures).
    public let metrics: NodeMetrics
    /// Connections refused at those bounds since the last report, and when the next is due.
    let refusedHandshakes = NIOLockedValueBox<(count: Int, nextReport: NIODeadline)>((0, .uptimeNanoseconds(0)))
    /// The node executor: every `var` below is confined to it.
    let queue = DispatchQueue(label: "tocsin.node.core")
    /// The store's writer executor.
    let writer = DispatchQueue(label: "tocsin.node.store")
    /// Verified batches from peers waiting for the writer, oldest first. Each `.store` queues
    /// one writer task, and the first of them to run writes every batch waiting (up to
    /// `maximumStoreBytes`) in one transaction: a node catching up writes many batches per
    /// fsync. A batch is only ever written earlier than its own task, never later. Sessions
    /// whose batches outrun the writer wait for it (`StoreBacklog`).
    let storeBacklog = NIOLockedValueBox(StoreBacklog())
    /// The most entry bytes written in one transaction of batches from peers: half the
    /// backlog's limit (`StoreBacklog`), so that verifying goes on while the writer commits.
    static let maximumStoreBytes = 4 << 20

    var sync: SyncNode
    var sessions: PeerSessions<ObjectIdentifier>
    var channels: [ObjectIdentifier: Channel] = [:]
    /// Batches each session owes its peer, sent as the peer reads.
    var serving: [ObjectIdentifier: ServingQueue] = [:]
    /// Per session, answers to `Want`s waiting for the writes queued before them: a batch
    /// pushed meanwhile would overtake them.
    var deferredServes: [ObjectIdentifier: Int] = [:]
    /// Where each feed starts for a member admitted at a time (`serveFromAdmission`): found,
    /// or not within the entries searched so far.
    var admissionCuts: [AdmissionCut: AdmissionCutSearch] = [:]
    struct AdmissionCut: Hashable {
        let origin: FeedOrigin
        let admittedMs: Int64
    }
    enum AdmissionCutSearch {
        case found(UInt64)
        case notBefore(UInt64)
    }
    /// Since when (monotonic nanoseconds) each session's send buffer has been over its
    /// high-water mark while the node had more to send.
    var unwritableSince: [ObjectIdentifier: UInt64] = [:]
    /// How long a peer may leave its send buffer full before its session is closed.
    static let unreadLimit: TimeAmount = .seconds(60)
    var dialAttempts: [String: Int] = [:]
    /// When each peer's certificate expires, from its last session (warned 30 days before).
    var peerCertificateExpiry: [String: Date] = [:]
    /// When each peer last sent a frame.
    var lastContact: [String: Date] = [:]
    /// The key of each peer's certificate in its current session.
    var peerKeys: [String: Ed25519PublicKey] = [:]
    /// When this node's own certificate expires.
    let certificateNotAfter: Date?
    var peers: [PeerAddress] = []
    var listener: Channel?
    var antiEntropyTask: RepeatedTask?
    /// Every second: `Want`s unanswered past their timeout are asked of another peer.
    var wantTimeoutTask: RepeatedTask?
    var stopped = false
    var observers: [@Sendable (NodeEvent) -> Void] = []
    /// Called with each batch stored, just before its `.stored` event.
    var batchObservers: [@Sendable (FeedBatch) -> Void] = []
    /// Sync frames written to peers since start (benchmarks count frames per bulletin), and
    /// by kind of message.
    var framesSent: UInt64 = 0
    var framesSentByKind: [String: UInt64] = [:]
    /// This node's own feeds with appends signed and not yet durable: the frontier the next
    /// append builds on, and how many are in flight.
    var authoring: [FeedOrigin: (frontier: MerkleFrontier, inFlight: Int)] = [:]
    /// Appends checked and waiting for the writer (group commit), in the order they came.
    var pendingAppends: [PendingAppend] = []
    /// Whether a write of this node's appends is on the writer.
    var appendWriteInFlight = false
    /// Appends waiting for the restore guard to clear.
    var readinessWaiters: [UInt64: ReadinessWaiter] = [:]
    var nextWaiterID: UInt64 = 0
    /// Set while the store cannot write (`storeFailed`), until a probe write succeeds.
    var storeFailure: StoreFailure?
    /// How often a store that cannot write is tried again.
    let storeProbeInterval: DispatchTimeInterval

    /// - Parameters:
    ///   - witness: whether to cosign every verified checkpoint (relays always do).
    ///   - maximumClockSkewSeconds: how far ahead of `clock` a cosignature may be dated.
    ///   - clock: the time for cosignatures and stored rows; `random`: jitter in [0, 1) for backoff.
    public init(
        nodeID: String, key: Ed25519PrivateKey, certificateChain: [Certificate], authority: Certificate,
        store: FeedStore, group: any EventLoopGroup, logger: Logger, witness: Bool, backoff: Backoff = Backoff(),
        trustLocalLog: Bool = false, maximumClockSkewSeconds: UInt64 = 300,
        handshakes: HandshakeLimiter = HandshakeLimiter(), storeProbeInterval: Duration = .seconds(2),
        metrics: NodeMetrics = NodeMetrics(),
        clock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) throws {
        let chain = try store.charterChain()
        let inForce = chain.inForce(atMs: Self.milliseconds(since1970: clock()))
        // The key may be pinned by an amendment held that has yet to take effect (a node
        // rotating its key, or admitted, starts with it and is accepted from then on).
        guard
            inForce.charter.pins(nodeID: nodeID, publicKey: key.publicKey)
                || chain.latest.charter.pins(nodeID: nodeID, publicKey: key.publicKey)
        else {
            throw NodeError.keyNotInCharter(nodeID: nodeID)
        }
        self.nodeID = nodeID
        self.key = key
        self.store = store
        certificateNotAfter = certificateChain.first?.notAfter
        charterInForce = NIOLockedValueBox(inForce)
        self.group = group
        self.logger = logger
        self.clock = clock
        self.random = random
        self.backoff = backoff
        self.trustLocalLog = trustLocalLog
        self.handshakes = handshakes
        self.metrics = metrics
        self.storeProbeInterval = .milliseconds(Self.milliseconds(storeProbeInterval))
        tlsContext = try TLSContext(certificateChain: certificateChain, key: key, authority: authority)
        let isRelay = inForce.charter.node(nodeID)?.role == .relay
        sessions = PeerSessions(nodeID: nodeID)
        let (feeds, forkProofs) = try Self.loadFeeds(store: store, chain: chain, through: inForce.version)
        sync = SyncNode(
            configuration: .init(
                nodeID: nodeID, network: store.networkID, charter: inForce.charter, witnessKey: key,
                maximumClockSkewSeconds: maximumClockSkewSeconds, chain: chain, witnessesEverything: witness || isRelay),
            feeds: feeds, forkProofs: forkProofs, ownFeedKnown: try store.ownFeedKnown())
    }

    /// The feeds held, each with the keys that may sign it under the versions up to `version`,
    /// and the fork proofs that still hold under them (one made with a key since revoked
    /// below its sizes proves nothing).
    static func loadFeeds(
        store: FeedStore, chain: CharterChain, through version: UInt64
    ) throws -> (feeds: [SyncFeed], forkProofs: [ForkProof]) {
        func keys(_ origin: FeedOrigin) -> AuthorKeys? { chain.authorKeys(for: origin, through: version) }
        let proofs = try store.forkProofs().filter { proof in
            guard let origin = try? FeedOrigin(parsing: proof.origin), let keys = keys(origin) else { return false }
            return (try? proof.verify(author: keys)) != nil
        }
        let frozen = Set(proofs.compactMap { try? FeedOrigin(parsing: $0.origin) })
        let feeds = try store.heads().compactMap { head -> SyncFeed? in
            guard let author = keys(head.origin) else { return nil }
            return SyncFeed(
                origin: head.origin, author: author, frontier: head.frontier, latest: head.checkpoint,
                checkpointRoots: try store.checkpointRoots(of: head.origin), isFrozen: frozen.contains(head.origin),
                firstHeldIndex: head.firstIndex)
        }
        return (feeds, proofs)
    }

    /// The charter in force.
    public var charter: Charter { charterInForce.withLockedValue { $0.charter } }
    /// The charter in force, as the authority signed it.
    public var signedCharter: SignedCharter { charterInForce.withLockedValue { $0.signed } }
    /// Who may do what under the charter in force.
    public var permissions: Permissions { Permissions(charter: charter) }

    static func milliseconds(since1970 date: Date) -> Int64 {
        Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded(.down)).map { max($0, 0) } ?? 0
    }

    /// Registers a callback for node events (called on the node queue, in order); every event
    /// after this returns reaches it.
    public func observe(_ observer: @escaping @Sendable (NodeEvent) -> Void) async {
        await onQueue { self.observers.append(observer) }
    }

    /// Calls `observer` on the node queue with every batch stored (this node's appends and
    /// batches from peers), just before the `.stored` event of the same batch: an observer
    /// that follows the log takes the entries from here instead of reading them back.
    public func observeStoredBatches(_ observer: @escaping @Sendable (FeedBatch) -> Void) async {
        await onQueue { self.batchObservers.append(observer) }
    }

    /// Hands a stored batch to its observers, then reports `.stored`.
    func emitStored(_ batch: FeedBatch) {
        guard !stopped else { return }
        for observer in batchObservers { observer(batch) }
        emit(.stored(origin: batch.origin, size: batch.frontier.size))
    }

    func emit(_ event: NodeEvent) {
        // Observers hear nothing once the node has stopped.
        guard !stopped else { return }
        for observer in observers { observer(event) }
    }

    /// Runs `body` on the node queue and returns its result, suspending (not blocking) the caller.
    func onQueue<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    // MARK: - Lifecycle

    /// Listens on `host:port` (port 0: any free port), dials `peers`, and starts anti-entropy.
    /// Returns the port listened on.
    @discardableResult
    public func start(
        host: String, port: Int, peers: [PeerAddress], antiEntropyInterval: TimeAmount = .seconds(30)
    ) async throws -> Int {
        let listener: Channel
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture { try self.configure(channel, role: .server) }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw NodeError.cannotListen(address: "\(host):\(port)", reason: String(describing: error))
        }
        let task = group.next().scheduleRepeatedTask(initialDelay: antiEntropyInterval, delay: antiEntropyInterval) {
            [self] _ in
            queue.async { self.perform(self.sync.antiEntropy()) }
        }
        let wantTask = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            queue.async {
                // An amendment that takes effect now is adopted within the second.
                self.perform(self.sync.adoptDue(nowMs: Self.milliseconds(since1970: self.clock())))
                guard !self.sync.pendingWantsAreEmpty else { return }
                self.perform(self.sync.expireWants(now: UInt64(max(0, self.clock().timeIntervalSince1970))))
            }
        }
        await onQueue { [self] in
            self.listener = listener
            self.peers = peers
            antiEntropyTask = task
            wantTimeoutTask = wantTask
            perform(sync.witnessHeldCheckpoints(now: UInt64(max(0, clock().timeIntervalSince1970))))
            for peer in peers { dial(peer) }
        }
        let bound = listener.localAddress?.port ?? port
        logger.info("listening", metadata: ["node": "\(nodeID)", "address": "\(host):\(bound)"])
        for warning in certificateWarnings(peers: [:]) { logger.warning("\(warning)") }
        return bound
    }

    /// Stops: no new sessions, every session closed with close_notify, every verified batch
    /// durable, and every append still waiting for the restore guard refused.
    public func stop() async {
        let (listener, open, tasks): (Channel?, [Channel], [RepeatedTask]) = await onQueue { [self] in
            stopped = true
            failReadinessWaiters(with: NodeError.stopped)
            return (self.listener, Array(channels.values), [antiEntropyTask, wantTimeoutTask].compactMap { $0 })
        }
        for task in tasks { task.cancel() }
        try? await listener?.close().get()
        for channel in open { try? await channel.close().get() }
        await withCheckedContinuation { continuation in writer.async { continuation.resume() } }
        // What the writes and the closed sessions enqueued has run: nothing runs after this.
        await onQueue {}
    }

    /// Calls `body` (on the writer's queue) once every store write asked for so far is done,
    /// those the node queue has yet to ask for included: after it, the store holds every
    /// cosignature this node made before the call.
    func afterQueuedWrites(_ body: @escaping @Sendable () -> Void) {
        queue.async { self.writer.async(execute: body) }
    }

    /// Keepalive: a Ping after this much silence from us; the session closes after
    /// `idleTimeout` of silence from the peer.
    static let keepaliveInterval = TimeAmount.seconds(20)
    static let idleTimeout = TimeAmount.seconds(75)

    /// Builds a session's pipeline. Runs on the channel's event loop. `dialled` is the node a
    /// dialled session must reach: a certificate naming any other node closes it.
    func configure(_ channel: Channel, role: TLSConnection.Role, dialled: String? = nil) throws {
        let charterInForce = self.charterInForce
        // An accepted connection takes a place among those in their TLS handshake, or is
        // closed before any TLS work.
        var place: HandshakePlaceHandler?
        if role == .server {
            switch handshakes.admit(channel.remoteAddress, close: { channel.close(promise: nil) }) {
            case .success(let admitted):
                place = HandshakePlaceHandler(limiter: handshakes, place: admitted)
            case .failure(let refusal):
                noteRefusedHandshake(refusal)
                throw refusal
            }
        }
        // Frames and bytes count against the peer once it is authenticated.
        let meter = SessionMeter(metrics: metrics)
        // Bounded outgoing data per peer: serving stops queueing past the high mark.
        _ = channel.setOption(.writeBufferWaterMark, value: .init(low: 8 << 20, high: 32 << 20))
        let handlers: [any ChannelHandler] = [
            IdleStateHandler(readTimeout: Self.idleTimeout, writeTimeout: Self.keepaliveInterval),
            OpenSSLHandler(
                context: tlsContext, role: role,
                authorize: { node, key in
                    charterInForce.withLockedValue { $0.charter }.pins(nodeID: node, publicKey: key)
                }),
        ]
        try channel.pipeline.syncOperations.addHandlers(
            handlers + (place.map { [$0] } ?? []) + [
                MessageFramer(onFrame: meter.count),
                SessionHandler(
                    runtime: self, isClient: role == .client, dialled: dialled, meter: meter),
            ])
    }

    /// Connections refused at the handshake limits are counted and logged at most once every
    /// 10 seconds (a flood of them must not flood the log).
    func noteRefusedHandshake(_ refusal: HandshakeLimiter.Refusal) {
        let now = NIODeadline.now()
        metrics.countRefusedConnection(reason: "handshake-limit")
        let report: (count: Int, refusal: HandshakeLimiter.Refusal)? = refusedHandshakes.withLockedValue { state in
            state.count += 1
            guard now >= state.nextReport else { return nil }
            state.nextReport = now + .seconds(10)
            defer { state.count = 0 }
            return (state.count, refusal)
        }
        if let report {
            logger.warning(
                "connections refused before TLS", metadata: ["count": "\(report.count)", "reason": "\(report.refusal)"])
        }
    }

    // MARK: - What the node holds, for operators

    /// The peers with an established session.
    public func connectedPeers() async -> [String] { await onQueue { self.sessions.peers } }

    /// The peers this node dials.
    public func configuredPeers() async -> [PeerAddress] { await onQueue { self.peers } }

    /// Whether the restore guard lets this node append to its feed in `group` now.
    public func appendReadiness(group: String) async -> SyncNode.AppendReadiness {
        trustLocalLog ? .ready : await onQueue { self.sync.appendReadiness(group: group) }
    }

    /// Sync frames this node has written to its peers (not keepalive pings).
    public func sentFrameCount() async -> UInt64 { await onQueue { self.framesSent } }

    /// The same by kind of message (`heads`, `want`, `entries`, `checkpoint`, `cosignature`, …).
    public func sentFrameCountsByKind() async -> [String: UInt64] { await onQueue { self.framesSentByKind } }

    /// Counts one frame sent. On the node queue.
    func countFrame(_ message: Tocsin_V1_Message) {
        let kind: String
        switch message.body {
        case .hello: kind = "hello"
        case .heads: kind = "heads"
        case .want: kind = "want"
        case .entries: kind = "entries"
        case .checkpoint: kind = "checkpoint"
        case .cosignature: kind = "cosignature"
        case .forkProof: kind = "fork-proof"
        case .error: kind = "error"
        case .ping, .pong: kind = "keepalive"
        case nil: kind = "empty"
        }
        countFrame(kind: kind)
    }

    /// Counts one frame sent of `kind`. On the node queue.
    func countFrame(kind: String) {
        framesSent &+= 1
        framesSentByKind[kind, default: 0] &+= 1
    }
}
