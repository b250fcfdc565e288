import Foundation
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// A deterministic network of `SyncNode`s with in-memory stores, driven by a seeded
/// generator: message loss, duplication, reordering, partitions, crashes and restarts.
final class SyncSimulation {
    /// A node's durable state: what survives a crash.
    struct Store {
        var entries: [FeedOrigin: [[UInt8]]] = [:]
        var checkpoints: [FeedOrigin: [SignedCheckpoint]] = [:]
        var cosignatures: [FeedOrigin: [UInt64: [Cosignature]]] = [:]
        var forkProofs: [FeedOrigin: ForkProof] = [:]
        /// What peers showed of the node's own feeds (the restore guard's durable memory).
        var ownFeedKnown: [FeedOrigin: UInt64] = [:]
    }

    final class Node {
        let id: String
        let member: FictionalNetwork.Member
        var store = Store()
        var sync: SyncNode
        var configuration: SyncNode.Configuration
        var crashed = false
        /// Batches verified and not yet durable (`deferStores`): written in order later, as the
        /// runtime's writer does; lost in a crash.
        var pendingStores: [FeedBatch] = []
        let network: FictionalNetwork

        init(member: FictionalNetwork.Member, network: FictionalNetwork) {
            id = member.node.id
            self.member = member
            self.network = network
            configuration = Self.configuration(member: member, network: network, chain: network.genesisChain, now: 0)
            sync = SyncNode(configuration: configuration, feeds: [])
        }

        static func configuration(
            member: FictionalNetwork.Member, network: FictionalNetwork, chain: CharterChain, now: UInt64
        ) -> SyncNode.Configuration {
            SyncNode.Configuration(
                nodeID: member.node.id, network: network.networkID,
                charter: chain.inForce(atMs: Int64(now) * 1000).charter,
                witnessKey: member.node.role == .relay ? member.key : nil, maximumBatchEntries: 7,
                // Three sample entries (about 1 KiB each): the byte cut is exercised as well as the entry count.
                maximumBatchBytes: 3_500, maximumBatchesPerWant: 3, chain: chain)
        }

        /// Restart from the durable store, as after a crash: the charter's versions from the
        /// authority feed held, and the one in force at `now`.
        func restart(now: UInt64 = 1_800_000_000) {
            let authority = AuthorityFeed.origin(of: network.networkID)
            let chain = try! CharterChain(
                genesis: network.signedCharter, authority: network.authority.key.publicKey,
                amendments: store.entries[authority] ?? [])
            configuration = Self.configuration(member: member, network: network, chain: chain, now: now)
            let feeds = store.entries.keys.sorted().map { origin -> SyncFeed in
                var frontier = MerkleFrontier()
                for entry in store.entries[origin]! { frontier.append(MerkleHash.leaf(entry)) }
                var checkpoints = store.checkpoints[origin] ?? []
                if let last = checkpoints.last {
                    var cosigned = last
                    for cosignature in store.cosignatures[origin]?[last.checkpoint.size] ?? [] {
                        cosigned = cosigned.adding(cosignature)
                    }
                    checkpoints[checkpoints.count - 1] = cosigned
                }
                let keys = chain.authorKeys(for: origin, through: configuration.charter.version)!
                return SyncFeed(
                    origin: origin, author: keys, frontier: frontier, checkpoints: checkpoints,
                    isFrozen: store.forkProofs[origin] != nil)
            }
            sync = SyncNode(
                configuration: configuration, feeds: feeds, forkProofs: Array(store.forkProofs.values),
                ownFeedKnown: store.ownFeedKnown)
            crashed = false
        }

        func tree(_ origin: FeedOrigin) -> MerkleTree { MerkleTree(entries: store.entries[origin] ?? []) }
    }

    struct Envelope {
        let from: String
        let to: String
        let session: Int
        let message: Tocsin_V1_Message
        let isHello: Bool
    }

    let network: FictionalNetwork
    var generator: SeededGenerator
    var nodes: [String: Node] = [:]
    var links: [(String, String)] = []
    /// The current session of each linked pair (absent: down).
    var sessions: [String: Int] = [:]
    var nextSession = 1
    var queue: [Envelope] = []
    /// Nodes that asked to forward their gathered cosignatures (`forwardCosignaturesSoon`).
    var cosignaturesDue: Set<String> = []
    var helloDelivered: Set<String> = []
    var partitioned: Set<String> = []
    var lossRate = 0.0
    var duplicationRate = 0.0
    /// Whether a verified batch is durable only some deliveries later, as with the runtime's
    /// writer (a later batch of the same feed may be recorded before an earlier one is
    /// written), instead of at once.
    var deferStores = false
    var now: UInt64 = 1_800_000_000
    /// Every (receiver, origin) that a delivered message carried: checked for confidentiality.
    var deliveredOrigins: [(receiver: String, origin: String)] = []
    var refusals: [String] = []
    var dishonest: Set<String> = []
    var crashes = 0
    var lostMessages = 0
    var duplicatedMessages = 0

    init(network: FictionalNetwork, seed: UInt64) {
        self.network = network
        generator = SeededGenerator(seed: seed)
        for member in network.members { nodes[member.node.id] = Node(member: member, network: network) }
    }

    static func pairKey(_ a: String, _ b: String) -> String { a < b ? "\(a)|\(b)" : "\(b)|\(a)" }

    // MARK: - Sessions

    func connect(_ a: String, _ b: String) {
        let key = Self.pairKey(a, b)
        guard sessions[key] == nil, !partitioned.contains(key), !nodes[a]!.crashed, !nodes[b]!.crashed else { return }
        sessions[key] = nextSession
        nextSession += 1
        perform(nodes[a]!.sync.connected(peer: b), at: a)
        perform(nodes[b]!.sync.connected(peer: a), at: b)
    }

    func disconnect(_ a: String, _ b: String) {
        let key = Self.pairKey(a, b)
        guard let session = sessions[key] else { return }
        sessions[key] = nil
        helloDelivered = helloDelivered.filter { !$0.hasPrefix("\(session):") }
        let (fromA, fromB) = (
            nodes[a]!.sync.disconnected(peer: b, now: now), nodes[b]!.sync.disconnected(peer: a, now: now)
        )
        if !nodes[a]!.crashed { perform(fromA, at: a) }
        if !nodes[b]!.crashed { perform(fromB, at: b) }
    }

    /// Connects `a` and `b` (healing a partition between them) and delivers their Hellos at
    /// once: a session ready for messages.
    func establish(_ a: String, _ b: String) {
        partitioned.remove(Self.pairKey(a, b))
        connect(a, b)
        guard let session = sessions[Self.pairKey(a, b)] else { return }
        while let index = queue.firstIndex(where: { $0.isHello && $0.session == session }) {
            let envelope = queue.remove(at: index)
            helloDelivered.insert("\(session):\(envelope.from)")
            perform(nodes[envelope.to]!.sync.received(envelope.message, from: envelope.from, now: now), at: envelope.to)
        }
    }

    /// Delivers `message` from `from` to `to` at once, without loss (a session must be up).
    func deliverNow(_ message: Tocsin_V1_Message, from: String, to: String) {
        record(
            Envelope(
                from: from, to: to, session: sessions[Self.pairKey(from, to)] ?? -1, message: message, isHello: false))
        perform(nodes[to]!.sync.received(message, from: from, now: now), at: to)
    }

    func connectAll() {
        for (a, b) in links { connect(a, b) }
    }

    func crash(_ id: String) {
        for (a, b) in links where a == id || b == id { disconnect(a, b) }
        nodes[id]!.pendingStores = []
        nodes[id]!.crashed = true
        crashes += 1
    }

    // MARK: - Actions

    func perform(_ actions: [SyncAction], at id: String) {
        let node = nodes[id]!
        for action in actions {
            switch action {
            case .send(let peer, let message):
                send(message, from: id, to: peer)
            case .sendEntries(let peer, let origin, let entries, let announcement):
                // A session that takes the batch at once, or one that is slow: the checkpoint,
                // and the machine told so, as the runtime tells it.
                if Bool.random(using: &generator) {
                    send(entries, from: id, to: peer)
                } else {
                    send(announcement, from: id, to: peer)
                    node.sync.entriesWithheld(from: peer, of: origin)
                }
            case .store(let batch):
                if deferStores {
                    node.pendingStores.append(batch)
                } else {
                    write(batch, at: id)
                }
            case .storeCosignature(let cosignature, let checkpoint):
                let origin = try! FeedOrigin(parsing: checkpoint.origin)
                node.store.cosignatures[origin, default: [:]][checkpoint.size, default: []].append(cosignature)
            case .storeOwnCosignature(let cosignature, let checkpoint):
                let origin = try! FeedOrigin(parsing: checkpoint.origin)
                node.store.cosignatures[origin, default: [:]][checkpoint.size, default: []].append(cosignature)
                perform(node.sync.ownCosignatureStored(cosignature, of: checkpoint), at: id)
            case .storeForkProof(let proof):
                node.store.forkProofs[try! FeedOrigin(parsing: proof.origin)] = proof
            case .rememberOwnFeed(let origin, let size):
                node.store.ownFeedKnown[origin] = max(node.store.ownFeedKnown[origin] ?? 0, size)
            case .serve(let peer, let origin, let span):
                // The runtime serves a range still queued for the store once it is written.
                flushStores(at: id)
                let entries = node.store.entries[origin]!
                let sizes = entries[Int(span.lowerBound)..<Int(span.upperBound)].map(\.count)
                for range in node.sync.batches(serving: span, of: origin, entryBytes: sizes) {
                    let checkpoint = node.store.checkpoints[origin]!.first { $0.checkpoint.size == range.upperBound }!
                    let message = Tocsin_V1_Entries.with {
                        $0.origin = origin.description
                        $0.firstIndex = range.lowerBound
                        $0.entries = entries[Int(range.lowerBound)..<Int(range.upperBound)].map { Data($0) }
                        $0.checkpoint = Data(checkpoint.note.formatted.utf8)
                    }
                    send(.with { $0.entries = message }, from: id, to: peer)
                }
            case .examine(let origin, let checkpoint):
                // Read from the store, as the runtime reads it: entries verified and not yet
                // written cannot answer (the runtime logs it; a later announcement asks again).
                guard
                    let examination = try? node.sync.feeds[origin]!.verifier.examine(
                        checkpoint, proofs: node.tree(origin).proofs)
                else { break }
                if case .fork(let proof) = examination {
                    perform(node.sync.recordFork(proof), at: id)
                }
            case .close(let peer, let reason):
                refusals.append("\(id) closed \(peer): \(reason)")
                disconnect(id, peer)
            case .forwardCosignaturesSoon:
                cosignaturesDue.insert(id)
            case .log, .adoptCharter, .serveFromAdmission:
                break
            }
        }
    }

    /// A batch durable: what the runtime reports once the write is done.
    func write(_ batch: FeedBatch, at id: String) {
        let node = nodes[id]!
        precondition(UInt64(node.store.entries[batch.origin]?.count ?? 0) == batch.firstIndex)
        node.store.entries[batch.origin, default: []] += batch.entries
        node.store.checkpoints[batch.origin, default: []].append(batch.checkpoint)
        perform(node.sync.stored(origin: batch.origin, size: batch.frontier.size, now: now), at: id)
    }

    /// Writes the batches waiting at node `id`, in order.
    func flushStores(at id: String) {
        while !nodes[id]!.pendingStores.isEmpty {
            write(nodes[id]!.pendingStores.removeFirst(), at: id)
        }
    }

    func send(_ message: Tocsin_V1_Message, from: String, to: String) {
        guard let session = sessions[Self.pairKey(from, to)] else { return }
        var isHello = false
        if case .hello = message.body { isHello = true }
        queue.append(Envelope(from: from, to: to, session: session, message: message, isHello: isHello))
    }

    // MARK: - Running

    /// Delivers up to `count` messages, picked at random among those deliverable.
    func deliver(_ count: Int) {
        for _ in 0..<count {
            // A session's Hello arrives before anything else of it (TLS), the rest in any order.
            let deliverable = queue.indices.filter { index in
                let envelope = queue[index]
                return envelope.isHello || helloDelivered.contains("\(envelope.session):\(envelope.from)")
            }
            guard !deliverable.isEmpty else { return }
            let index = deliverable[Int.random(in: 0..<deliverable.count, using: &generator)]
            let envelope = queue[index]
            if Double.random(in: 0..<1, using: &generator) >= duplicationRate || envelope.isHello {
                queue.remove(at: index)
            } else {
                duplicatedMessages += 1
            }
            guard sessions[Self.pairKey(envelope.from, envelope.to)] == envelope.session else { continue }
            if !envelope.isHello, Double.random(in: 0..<1, using: &generator) < lossRate {
                lostMessages += 1
                continue
            }
            if envelope.isHello { helloDelivered.insert("\(envelope.session):\(envelope.from)") }
            record(envelope)
            let receiver = nodes[envelope.to]!
            perform(receiver.sync.received(envelope.message, from: envelope.from, now: now), at: envelope.to)
            // Some time passes for the writers: a node's waiting batches are written, or not yet.
            if deferStores {
                for id in nodes.keys.sorted() where !nodes[id]!.pendingStores.isEmpty {
                    if Int.random(in: 0..<4, using: &generator) == 0 { flushStores(at: id) }
                }
            }
        }
        forwardDueCosignatures()
    }

    /// What the runtime does a moment after `forwardCosignaturesSoon`.
    func forwardDueCosignatures() {
        let due = cosignaturesDue
        cosignaturesDue = []
        for id in due.sorted() where !nodes[id]!.crashed {
            perform(nodes[id]!.sync.forwardCosignatures(), at: id)
        }
    }

    func record(_ envelope: Envelope) {
        var origins: [String] = []
        switch envelope.message.body {
        case .heads(let heads): origins = heads.heads.map(\.origin)
        case .checkpoint(let head), .cosignature(let head): origins = [head.origin]
        case .entries(let entries): origins = [entries.origin]
        case .want(let want): origins = [want.origin]
        case .forkProof(let proof):
            origins = [(try? SignedCheckpoint(parsing: Array(proof.firstCheckpoint)))?.checkpoint.origin ?? "?"]
        default: break
        }
        for origin in origins { deliveredOrigins.append((envelope.to, origin)) }
    }

    /// What the runtime's one-second timer does: an amendment that took effect is adopted, and
    /// unanswered `Want`s are asked of another peer.
    func expireWants() {
        for id in nodes.keys.sorted() where !nodes[id]!.crashed {
            perform(nodes[id]!.sync.adoptDue(nowMs: Int64(now) * 1000), at: id)
            perform(nodes[id]!.sync.expireWants(now: now), at: id)
        }
    }

    func antiEntropy() {
        for id in nodes.keys.sorted() where !nodes[id]!.crashed {
            perform(nodes[id]!.sync.antiEntropy(), at: id)
        }
    }

    /// Runs without faults until no message is left, with anti-entropy rounds between.
    func settle(rounds: Int = 12) {
        lossRate = 0
        duplicationRate = 0
        partitioned = []
        for id in nodes.keys.sorted() where nodes[id]!.crashed { nodes[id]!.restart(now: now) }
        for _ in 0..<rounds {
            connectAll()
            now += 10
            expireWants()
            antiEntropy()
            quiesce()
        }
    }

    /// Delivers every message and writes every waiting batch, until nothing is left of either.
    func quiesce() {
        var guardCount = 0
        while guardCount < 200_000 {
            while !queue.isEmpty && guardCount < 200_000 {
                deliver(500)
                guardCount += 500
            }
            let waiting = nodes.keys.sorted().filter { !nodes[$0]!.pendingStores.isEmpty }
            guard !waiting.isEmpty || !queue.isEmpty else { return }
            for id in waiting { flushStores(at: id) }
            forwardDueCosignatures()
        }
    }
}
