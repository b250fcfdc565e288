import Foundation
import Logging
import NIOCore
import NIOPosix
import TocsinCore
import TocsinCrypto
import TocsinNet
import TocsinStore

/// A running node: its store, its sync machine and its peer sessions.
///
/// All sync state lives on one serial queue: session events arrive there in order from the
/// event loops, the `SyncNode` answers with actions, and the queue carries them out (store
/// writes, reads for serving, sends). Event loops never wait for the disk.
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
            let exponential = initial.nanoseconds << min(attempt, 30)
            let capped = min(exponential, maximum.nanoseconds)
            return .nanoseconds(capped / 2 + Int64(Double(capped / 2) * jitter))
        }
    }

    public let nodeID: String
    public let store: FeedStore
    let charter: SignedCharter
    /// The charter this node runs under.
    public var signedCharter: SignedCharter { charter }
    let key: Ed25519PrivateKey
    let tlsContext: TLSContext
    let group: any EventLoopGroup
    let logger: Logger
    let clock: @Sendable () -> Date
    let random: @Sendable () -> Double
    let backoff: Backoff
    /// The operator's override of the restore guard (`trust-local-log`).
    let trustLocalLog: Bool
    /// Sync frames written to peers since start (benchmarks count frames per bulletin).
    /// Whether this node opened (dialled) each held session.
    private var sessionOpenedHere: [String: Bool] = [:]
    private var framesSent: UInt64 = 0
    let queue = DispatchQueue(label: "tocsin.node.core")
    /// Store writes, in order: the node queue verifies the next batch while one is written.
    let writer = DispatchQueue(label: "tocsin.node.store")

    // Confined to `queue`.
    private var sync: SyncNode
    private var sessions: [String: Channel] = [:]
    private var dialAttempts: [String: Int] = [:]
    private var peers: [PeerAddress] = []
    private var listener: Channel?
    private var antiEntropyTask: RepeatedTask?
    private var stopped = false
    private var observers: [@Sendable (NodeEvent) -> Void] = []

    /// - Parameters:
    ///   - witness: whether to cosign every verified checkpoint (relays always do).
    ///   - clock: the time for cosignatures; `random`: jitter in [0, 1) for backoff.
    public init(
        nodeID: String, key: Ed25519PrivateKey, certificateChain: [Certificate], authority: Certificate,
        store: FeedStore, group: any EventLoopGroup, logger: Logger, witness: Bool, backoff: Backoff = Backoff(),
        trustLocalLog: Bool = false,
        clock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) throws {
        let charter = try store.charter()
        guard charter.charter.pins(nodeID: nodeID, publicKey: key.publicKey) else {
            throw NodeError.keyNotInCharter(nodeID: nodeID)
        }
        self.nodeID = nodeID
        self.key = key
        self.store = store
        self.charter = charter
        self.group = group
        self.logger = logger
        self.clock = clock
        self.random = random
        self.backoff = backoff
        self.trustLocalLog = trustLocalLog
        tlsContext = try TLSContext(certificateChain: certificateChain, key: key, authority: authority)
        let isRelay = charter.charter.node(nodeID)?.role == .relay
        sync = SyncNode(
            configuration: .init(
                nodeID: nodeID, network: store.networkID, charter: charter.charter,
                witnessKey: witness || isRelay ? key : nil),
            feeds: try Self.loadFeeds(store: store, charter: charter.charter), forkProofs: try store.forkProofs())
    }

    static func loadFeeds(store: FeedStore, charter: Charter) throws -> [SyncFeed] {
        try store.heads().compactMap { head in
            guard let author = charter.node(head.origin.author)?.publicKey else { return nil }
            return SyncFeed(
                origin: head.origin, author: author, frontier: head.frontier, latest: head.checkpoint,
                checkpointRoots: try store.checkpointRoots(of: head.origin), isFrozen: head.isFrozen)
        }
    }

    /// Registers a callback for node events (called on the node's queue).
    public func observe(_ observer: @escaping @Sendable (NodeEvent) -> Void) {
        queue.sync { observers.append(observer) }
    }

    private func emit(_ event: NodeEvent) {
        for observer in observers { observer(event) }
    }

    // MARK: - Lifecycle

    /// Listens on `host:port` (port 0: any free port), dials `peers`, and starts anti-entropy.
    /// Returns the port listened on.
    @discardableResult
    public func start(
        host: String, port: Int, peers: [PeerAddress], antiEntropyInterval: TimeAmount = .seconds(30)
    )
        throws -> Int
    {
        let listener: Channel
        do {
            listener = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture { try self.configure(channel, role: .server) }
                }
                .bind(host: host, port: port).wait()
        } catch {
            throw NodeError.cannotListen(address: "\(host):\(port)", reason: String(describing: error))
        }
        queue.sync {
            self.listener = listener
            self.peers = peers
        }
        for peer in peers { dial(peer) }
        let task = group.next().scheduleRepeatedTask(initialDelay: antiEntropyInterval, delay: antiEntropyInterval) {
            [self] _ in
            queue.async { self.perform(self.sync.antiEntropy()) }
        }
        queue.sync { antiEntropyTask = task }
        logger.info(
            "listening", metadata: ["node": "\(nodeID)", "address": "\(host):\(listener.localAddress?.port ?? port)"])
        return listener.localAddress?.port ?? port
    }

    /// Stops: no new sessions, every session closed with close_notify.
    public func stop() {
        let (listener, sessions, task): (Channel?, [Channel], RepeatedTask?) = queue.sync {
            stopped = true
            return (self.listener, Array(self.sessions.values), antiEntropyTask)
        }
        task?.cancel()
        try? listener?.close().wait()
        for channel in sessions { try? channel.close().wait() }
        // Every verified batch is on disk before the node reports it has stopped.
        writer.sync {}
    }

    /// Keepalive: a Ping after this much silence from us; the session closes after
    /// `idleTimeout` of silence from the peer.
    static let keepaliveInterval = TimeAmount.seconds(20)
    static let idleTimeout = TimeAmount.seconds(75)

    func configure(_ channel: Channel, role: TLSConnection.Role) throws {
        let charter = self.charter.charter
        // Bounded outgoing data per peer: serving stops queueing past the high mark.
        _ = channel.setOption(.writeBufferWaterMark, value: .init(low: 8 << 20, high: 32 << 20))
        try channel.pipeline.syncOperations.addHandlers([
            IdleStateHandler(readTimeout: Self.idleTimeout, writeTimeout: Self.keepaliveInterval),
            OpenSSLHandler(context: tlsContext, role: role, authorize: { charter.pins(nodeID: $0, publicKey: $1) }),
            MessageFramer(), SessionHandler(runtime: self, isClient: role == .client),
        ])
    }

    private func dial(_ peer: PeerAddress) {
        let connect = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.configure(channel, role: .client) }
            }
            .connect(host: peer.host, port: peer.port)
        connect.whenFailure { [self] error in
            logger.debug("dial failed", metadata: ["peer": "\(peer.nodeID)", "error": "\(error)"])
            redial(peer)
        }
        connect.whenSuccess { [self] channel in
            channel.closeFuture.whenComplete { _ in self.redial(peer) }
        }
    }

    /// Dials again after the backoff delay, unless stopped or already connected.
    private func redial(_ peer: PeerAddress) {
        queue.async { [self] in
            guard !stopped, sessions[peer.nodeID] == nil else { return }
            let attempt = dialAttempts[peer.nodeID, default: 0]
            dialAttempts[peer.nodeID] = attempt + 1
            let delay = backoff.delay(attempt: attempt, jitter: random())
            group.next().scheduleTask(in: delay) { [self] in
                let proceed = queue.sync { !stopped && sessions[peer.nodeID] == nil }
                if proceed { dial(peer) }
            }
        }
    }

    // MARK: - Session events (from event loops)

    func sessionEstablished(peer: String, channel: Channel, isClient: Bool) {
        queue.async { [self] in
            guard !stopped else {
                channel.close(promise: nil)
                return
            }
            if let existing = sessions[peer], existing !== channel {
                // Opened from the same side as the session held: the opener gave that one up
                // (a restarted peer, a path that died without a FIN), so the new one wins.
                // Both sides dialled: keep the session the smaller node id opened.
                let sameSide = sessionOpenedHere[peer] == isClient
                let keepNew = sameSide || isClient == (nodeID < peer)
                if !keepNew {
                    channel.close(promise: nil)
                    return
                }
                sessions[peer] = nil
                sync.disconnected(peer: peer)
                existing.close(promise: nil)
            }
            sessions[peer] = channel
            sessionOpenedHere[peer] = isClient
            dialAttempts[peer] = 0
            logger.info("session established", metadata: ["peer": "\(peer)"])
            emit(.sessionEstablished(peer: peer))
            perform(sync.connected(peer: peer))
        }
    }

    func received(_ message: Tocsin_V1_Message, from peer: String, channel: Channel) {
        queue.async { [self] in
            guard sessions[peer] === channel else { return }
            let now = UInt64(max(0, clock().timeIntervalSince1970))
            perform(sync.received(message, from: peer, now: now))
            if case .heads = message.body { emit(.headsReceived(peer: peer)) }
        }
    }

    func sessionEnded(peer: String, channel: Channel) {
        queue.async { [self] in
            guard sessions[peer] === channel else { return }
            sessions[peer] = nil
            sync.disconnected(peer: peer)
            logger.info("session ended", metadata: ["peer": "\(peer)"])
            emit(.sessionEnded(peer: peer))
        }
    }

    func sessionFailed(peer: String?, address: SocketAddress?, error: any Error) {
        logger.warning(
            "session failed",
            metadata: [
                "peer": "\(peer ?? "unauthenticated")", "address": "\(address.map { "\($0)" } ?? "?")",
                "error": "\(error)",
            ])
    }

    // MARK: - Local authoring

    /// Appends as `append(group:entries:)` does, first giving the restore guard up to `timeout`
    /// to clear: a node that has just started learns its own heads from the first peer it meets.
    public func appendWhenReady(
        group groupID: String, entries: [[UInt8]], timeout: Duration = .seconds(10)
    ) async throws -> FeedBatch {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try append(group: groupID, entries: entries)
            } catch NodeError.ownFeedUnconfirmed(_, _) where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Appends entries to this node's feed in `group`, stores them with a signed checkpoint,
    /// and pushes the checkpoint to the peers that may see the group.
    public func append(group groupID: String, entries: [[UInt8]]) throws -> FeedBatch {
        try queue.sync {
            guard charter.charter.maySee(nodeID: nodeID, groupID: groupID) else {
                throw NodeError.notAMember(nodeID: nodeID, group: groupID)
            }
            let origin = try FeedOrigin(network: store.networkID, group: groupID, author: nodeID)
            guard sync.forkProofs[origin] == nil else { throw StoreError.frozen(origin: origin.description) }
            let readiness = sync.appendReadiness(group: groupID)
            guard trustLocalLog || readiness == .ready else {
                throw NodeError.ownFeedUnconfirmed(group: groupID, readiness)
            }
            var author = FeedAuthor(
                origin: origin, key: key, frontier: sync.feeds[origin]?.verifier.frontier ?? MerkleFrontier())
            let batch = try author.append(entries)
            // After every write already queued, and durable before the caller hears back.
            _ = try writer.sync { try store.append(batch, now: clock()) }
            emit(.stored(origin: origin, size: batch.frontier.size))
            perform(sync.appended(batch))
            return batch
        }
    }

    // MARK: - Actions

    /// Writes one frame to `peer`'s session, if it has one. Runs on `queue`.
    private func send(_ message: Tocsin_V1_Message, to peer: String) {
        guard let session = sessions[peer] else { return }
        framesSent &+= 1
        session.writeAndFlush(message, promise: nil)
    }

    /// Carries out the sync machine's actions, in order. Runs on `queue`.
    private func perform(_ actions: [SyncAction]) {
        for action in actions {
            switch action {
            case .send(let peer, let message):
                send(message, to: peer)
            case .store(let batch):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.append(batch, now: now)
                        // Reported after the writes queued behind it (its cosignatures) too.
                        writer.async {
                            self.queue.async { self.emit(.stored(origin: batch.origin, size: batch.frontier.size)) }
                        }
                    } catch {
                        logger.error(
                            "storing a verified batch failed",
                            metadata: ["origin": "\(batch.origin)", "error": "\(error)"])
                        queue.async { self.reloadFromStore() }
                    }
                }
            case .storeCosignature(let cosignature, let checkpoint):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.addCosignature(cosignature, to: checkpoint, now: now)
                    } catch {
                        logger.error("storing a cosignature failed", metadata: ["error": "\(error)"])
                    }
                }
            case .storeForkProof(let proof):
                let now = clock()
                writer.async { [self] in
                    do {
                        try store.recordForkProof(proof, now: now)
                        if let origin = try? FeedOrigin(parsing: proof.origin) {
                            queue.async { self.emit(.forkRecorded(origin: origin)) }
                        }
                    } catch {
                        logger.error("storing a fork proof failed", metadata: ["error": "\(error)"])
                    }
                }
            case .serve(let peer, let origin, let range):
                serve(peer: peer, origin: origin, range: range)
            case .examine(let origin, let checkpoint):
                examine(origin: origin, checkpoint: checkpoint)
            case .close(let peer, let reason):
                logger.warning("closing session", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
                sessions[peer]?.close(promise: nil)
            case .forwardCosignaturesSoon:
                queue.asyncAfter(deadline: .now() + .milliseconds(25)) { [self] in
                    perform(sync.forwardCosignatures())
                }
            case .log(let peer, let text):
                logger.notice("\(text)", metadata: peer.map { ["peer": "\($0)"] } ?? [:])
            }
        }
    }

    private func serve(peer: String, origin: FeedOrigin, range: Range<UInt64>, afterQueuedWrites: Bool = false) {
        // A peer that does not read does not make the node buffer without bound: the range is
        // asked for again after anti-entropy.
        guard let channel = sessions[peer], channel.isWritable else {
            logger.debug("not serving a peer that is not reading", metadata: ["peer": "\(peer)"])
            return
        }
        do {
            let entries = try store.entries(of: origin, in: range)
            guard entries.count == range.count,
                let checkpoint = try store.checkpoint(of: origin, size: range.upperBound)
            else {
                // Verified and announced but still queued for the store: serve once the writes
                // queued before this request are done.
                if !afterQueuedWrites {
                    writer.async { [self] in
                        queue.async { self.serve(peer: peer, origin: origin, range: range, afterQueuedWrites: true) }
                    }
                } else {
                    logger.debug(
                        "a wanted range is not stored", metadata: ["origin": "\(origin)", "range": "\(range)"])
                }
                return
            }
            let message = Tocsin_V1_Message.with {
                $0.entries = .with {
                    $0.origin = origin.description
                    $0.firstIndex = range.lowerBound
                    $0.entries = entries.map { Data($0.bytes) }
                    $0.checkpoint = Data(checkpoint.note.formatted.utf8)
                }
            }
            send(message, to: peer)
        } catch {
            logger.error("reading entries to serve failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }

    private func examine(origin: FeedOrigin, checkpoint: SignedCheckpoint) {
        guard let verifier = sync.feeds[origin]?.verifier else { return }
        do {
            let examination = try store.withProofs(origin: origin) { proofs, _ in
                try verifier.examine(checkpoint, proofs: proofs)
            }
            if case .fork(let proof) = examination { perform(sync.recordFork(proof)) }
        } catch {
            logger.error("examining a checkpoint failed", metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }

    /// After a failed write, the sync state is rebuilt from what the store really holds and
    /// every session starts over (peers reconnect and exchange heads again).
    private func reloadFromStore() {
        writer.sync {}
        guard let feeds = try? Self.loadFeeds(store: store, charter: charter.charter) else { return }
        let configuration = sync.configuration
        sync = SyncNode(configuration: configuration, feeds: feeds, forkProofs: (try? store.forkProofs()) ?? [])
        let channels = sessions.values
        sessions = [:]
        for channel in channels { channel.close(promise: nil) }
    }

    /// The peers with an established session.
    public var connectedPeers: [String] { queue.sync { sessions.keys.sorted() } }

    /// Whether the restore guard lets this node append to its feed in `group` now.
    public func appendReadiness(group: String) -> SyncNode.AppendReadiness {
        trustLocalLog ? .ready : queue.sync { sync.appendReadiness(group: group) }
    }

    /// Sync frames this node has written to its peers (not keepalive pings).
    public var sentFrameCount: UInt64 { queue.sync { framesSent } }

    /// The peers this node dials.
    public var configuredPeers: [PeerAddress] { queue.sync { peers } }
}

/// Why the node could not start or act.
public enum NodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case keyNotInCharter(nodeID: String)
    case notAMember(nodeID: String, group: String)
    case cannotListen(address: String, reason: String)
    case ownFeedUnconfirmed(group: String, SyncNode.AppendReadiness)

    public var description: String {
        switch self {
        case .keyNotInCharter(let nodeID):
            return
                "the node key is not the key the charter pins for \(nodeID); check `node-id` and `key` in the configuration"
        case .notAMember(let nodeID, let group):
            return "\(nodeID) is not a member of group \(group) in the charter"
        case .cannotListen(let address, let reason):
            return "cannot listen on \(address): \(reason) (is another process using the port?)"
        case .ownFeedUnconfirmed(let group, let readiness):
            switch readiness {
            case .catchingUp(let held, let known):
                return
                    "this node holds \(held) entries of its own feed in \(group), a peer holds \(known): it is catching up before it appends (retry shortly)"
            default:
                return
                    "no peer sharing \(group) has told this node its own latest checkpoint yet; it appends nothing until then, so that a restored node never forks its own feed (retry once connected, or set trust-local-log = true if no other copy of this node's log exists)"
            }
        }
    }
}
