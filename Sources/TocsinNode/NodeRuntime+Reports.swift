import Foundation
import NIOPosix
import TocsinAdmin
import TocsinCore
import TocsinDossier
import TocsinStore

/// What the node reports to its operator. Store reads run on NIO's blocking-work thread pool,
/// sync state is read on the node queue: the caller suspends, no thread waits.
extension NodeRuntime {
    /// Runs a blocking store read off the caller's executor.
    func read<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        do {
            return try await NIOThreadPool.singleton.runIfActive(body)
        } catch {
            throw ServiceError(error)
        }
    }

    /// The node, its network and what it holds.
    public func status() async throws -> NodeStatus {
        let store = self.store
        let (heads, forks) = try await read { (try store.heads(), try store.forkProofs().count) }
        let connected = await connectedPeers()
        let (failure, peerExpiry) = await onQueue { (self.storeFailure, self.peerCertificateExpiry) }
        let charter = self.charter
        let readiness = await readiness()
        return NodeStatus(
            nodeID: nodeID, role: charter.node(nodeID)?.role.rawValue ?? "unknown", network: charter.network,
            networkID: store.networkID.description, charterVersion: charter.version,
            groups: charter.groups.filter { permissions.permits(nodeID, .see(group: $0.id)) }.map(\.id),
            feeds: heads.count, entries: heads.reduce(0) { $0 &+ $1.size }, connectedPeers: connected, forks: forks,
            certificateWarnings: certificateWarnings(peers: peerExpiry),
            storeProblem: failure.map {
                NodeStatus.StoreProblem(
                    reason: $0.reason,
                    since: BulletinDraft.timeText(
                        milliseconds: Int64(($0.since.timeIntervalSince1970 * 1000).rounded(.down))))
            }, readiness: readiness)
    }

    /// Warnings for this node's certificate and its peers' (last seen), 30 days before they
    /// expire.
    func certificateWarnings(peers: [String: Date]) -> [String] {
        let now = clock()
        var warnings: [String] = []
        if let certificateNotAfter,
            let warning = CertificateExpiry.warning(
                for: "this node's certificate", notAfter: certificateNotAfter, now: now)
        {
            warnings.append(warning)
        }
        for (peer, notAfter) in peers.sorted(by: { $0.key < $1.key }) {
            if let warning = CertificateExpiry.warning(for: "\(peer)'s certificate", notAfter: notAfter, now: now) {
                warnings.append(warning)
            }
        }
        return warnings
    }

    /// The peers it dials, and any other peer connected.
    public func peerStatuses() async -> [PeerStatus] {
        let (connected, configured, unanswered, contact, lags) = await onQueue {
            let connected = Set(self.sessions.peers)
            let lags = Dictionary(uniqueKeysWithValues: connected.map { ($0, self.sync.lag(behind: $0)) })
            return (connected, self.peers, self.sync.unansweredWants, self.lastContact, lags)
        }
        let charter = self.charter
        func status(_ peer: String, address: String?) -> PeerStatus {
            PeerStatus(
                nodeID: peer, role: charter.node(peer)?.role.rawValue ?? "unknown", address: address,
                connected: connected.contains(peer), unansweredWants: unanswered[peer] ?? 0,
                lagEntries: lags[peer] ?? 0,
                lastContactMs: contact[peer].map { Int64(min(max(0, $0.timeIntervalSince1970 * 1000), 1e15)) })
        }
        var statuses = configured.map { status($0.nodeID, address: "\($0.host):\($0.port)") }
        for peer in connected.sorted() where !configured.contains(where: { $0.nodeID == peer }) {
            statuses.append(status(peer, address: nil))
        }
        return statuses
    }

    /// Every feed held, with its head and the witnesses of its latest checkpoint.
    public func feedReports() async throws -> [FeedReport] {
        let store = self.store
        let charter = self.charter
        return try await read {
            try store.heads().map { head in
                let witnessing = head.checkpoint.flatMap {
                    WitnessStatus(checkpoint: $0, origin: head.origin, charter: charter, network: store.networkID)
                }
                return FeedReport(
                    origin: head.origin.description, group: head.origin.group, author: head.origin.author,
                    size: head.size, root: head.root.hex, frozen: head.isFrozen,
                    checkpoint: head.checkpoint?.note.formatted,
                    cosignedBy: head.checkpoint?.cosignatures.map(\.witnessName) ?? [],
                    witnesses: witnessing?.policy.witnesses ?? [], witnessQuorum: witnessing?.policy.quorum ?? 0,
                    witnessedBy: witnessing?.cosigned ?? [], witnessed: witnessing?.isWitnessed ?? false,
                    firstIndex: head.firstIndex)
            }
        }
    }

    /// Entries in the order of the store (feed by feed), summarised.
    public func entryReports(
        group: String?, author: String?, from: UInt64, limit: Int
    ) async throws -> [EntryReport] {
        let store = self.store
        return try await read {
            try store.entries(group: group, author: author, from: from, limit: limit).map { entry in
                let summary = EntrySummary(bytes: entry.bytes)
                return EntryReport(
                    reference: entry.reference.description, origin: entry.origin.description, kind: summary.kind,
                    summary: summary.text, authorTimeMs: entry.authorTimeMs, leafHash: entry.leafHash.hex)
            }
        }
    }

    /// The fork proofs held.
    public func forkReports() async throws -> [ForkReport] {
        let store = self.store
        return try await read {
            try store.forkProofs().map {
                ForkReport(
                    origin: $0.origin, firstSize: $0.first.checkpoint.size, secondSize: $0.second.checkpoint.size,
                    proof: Data($0.serialized).base64EncodedString())
            }
        }
    }
}

extension NodeRuntime {
    /// An entry with its inclusion proof to the feed's latest checkpoint, as `tocsin show
    /// --proof --json` gives it, and whether that checkpoint is signed by one of the author's
    /// keys under the charter versions held (the console's log page and its verify button).
    public func entryProof(_ reference: EntryReference) async throws -> (document: EntryProofDocument, signed: Bool)? {
        let store = self.store
        return try await read {
            let origin = try FeedOrigin(network: store.networkID, group: reference.group, author: reference.author)
            guard let found = try store.inclusionProof(origin: origin, index: reference.index) else { return nil }
            let chain = try store.charterChain()
            let keys = chain.authorKeys(for: origin, through: chain.latest.version)
            let signed = keys.map { (try? found.checkpoint.verify(author: $0)) != nil } ?? false
            let document = EntryProofDocument(
                origin: origin, index: reference.index, bytes: found.entry.bytes,
                authorTimeMs: found.entry.authorTimeMs, checkpoint: found.checkpoint, proof: found.proof,
                charter: chain.latest.charter, network: store.networkID)
            return (document, signed)
        }
    }
}
