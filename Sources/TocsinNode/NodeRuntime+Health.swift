import Foundation
import NIOConcurrencyHelpers
import TocsinAdmin
import TocsinCore
import TocsinMetrics

extension NodeRuntime {
    /// Whether the node is ready (`/readyz`, `tocsin status`): the store writes, the restore
    /// guard has cleared in every group the node writes in (or the operator overrode it with
    /// `trust-local-log`), and at least one peer is connected.
    public func readiness() async -> Readiness {
        let charter = self.charter
        let groups = charter.groups.map(\.id).filter {
            $0 != AuthorityFeed.group && permissions.permits(nodeID, .see(group: $0))
        }
        return await onQueue { [self] in
            var missing: [String] = []
            if let storeFailure {
                missing.append("the store cannot write (\(storeFailure.reason)); appends resume once it can")
            }
            if !trustLocalLog {
                for group in groups {
                    switch sync.appendReadiness(group: group) {
                    case .ready:
                        break
                    case .waitingForPeers:
                        missing.append(
                            "restore guard in \(group): no peer of the group has said yet what it holds of this node's feed"
                        )
                    case .catchingUp(let held, let known):
                        missing.append(
                            "restore guard in \(group): catching up this node's own feed (\(held) of \(known) entries)")
                    }
                }
            }
            if sessions.peers.isEmpty { missing.append("no peer is connected") }
            return Readiness(missing: missing)
        }
    }

    /// The figures sampled at a scrape; `consultation` from the consultation service, if any.
    public func metricsSnapshot(consultation: MetricsSnapshot.Consultation? = nil) async -> MetricsSnapshot {
        let charter = self.charter
        let ownExpiry = certificateNotAfter
        let ready = await readiness().ready
        return await onQueue { [self] in
            let feeds = sync.feeds.values.map {
                MetricsSnapshot.Feed(group: $0.origin.group, author: $0.origin.author, entries: $0.size)
            }
            let connected = Set(sessions.peers)
            // Every node this one dials or has met: a peer never reached shows as disconnected.
            let known = Set(peers.map(\.nodeID)).union(connected).union(lastContact.keys)
                .filter { charter.node($0) != nil }
            let peerFigures = known.sorted().map { peer in
                MetricsSnapshot.Peer(
                    nodeID: peer, connected: connected.contains(peer), lastContact: lastContact[peer],
                    lagEntries: connected.contains(peer) ? sync.lag(behind: peer) : 0)
            }
            // Only nodes of the charter in force: a removed node's certificate is no concern.
            var expiry = peerCertificateExpiry.filter { charter.node($0.key) != nil }
            if let ownExpiry { expiry[nodeID] = ownExpiry }
            return MetricsSnapshot(
                feeds: feeds, forkProofs: sync.forkProofs.count, frozenFeeds: sync.frozenFeedCount,
                charterVersion: charter.version, storeWritable: storeFailure == nil, peers: peerFigures,
                certificateExpiry: expiry, consultation: consultation, ready: ready)
        }
    }
}

extension NodeRuntime {
    /// When this node's own certificate expires.
    public var certificateExpiry: Date? { certificateNotAfter }

    /// Whether the node queue runs a task within `limit`: false when the node's core is stuck.
    /// Returns after `limit` at the latest (a stuck queue never holds the caller).
    public func ping(within limit: Duration) async -> Bool {
        let pending = NIOLockedValueBox<CheckedContinuation<Bool, Never>?>(nil)
        @Sendable func finish(_ answered: Bool) {
            pending.withLockedValue { $0.take() }?.resume(returning: answered)
        }
        return await withCheckedContinuation { continuation in
            pending.withLockedValue { $0 = continuation }
            queue.async { finish(true) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Self.milliseconds(limit))) {
                finish(false)
            }
        }
    }
}
