import Foundation
import TocsinCore
import TocsinStore

extension NodeRuntime {
    /// What the admin API reports about the node.
    public struct Status: Codable, Sendable {
        public let nodeID: String
        public let role: String
        public let network: String
        public let networkID: String
        public let charterVersion: UInt64
        public let groups: [String]
        public let feeds: Int
        public let entries: UInt64
        public let connectedPeers: [String]
        public let forks: Int
    }

    /// A configured or connected peer.
    public struct PeerStatus: Codable, Sendable {
        public let nodeID: String
        public let role: String
        public let address: String?
        public let connected: Bool
    }

    /// A feed held, with its head.
    public struct FeedReport: Codable, Sendable {
        public let origin: String
        public let group: String
        public let author: String
        public let size: UInt64
        public let root: String
        public let frozen: Bool
        public let checkpoint: String?
        public let cosignedBy: [String]
    }

    public func status() throws -> Status {
        let heads = try store.heads()
        let charter = self.charter.charter
        return Status(
            nodeID: nodeID, role: charter.node(nodeID)?.role.rawValue ?? "unknown", network: charter.network,
            networkID: store.networkID.description, charterVersion: charter.version,
            groups: charter.groups.filter { charter.maySee(nodeID: nodeID, groupID: $0.id) }.map(\.id),
            feeds: heads.count,
            entries: heads.reduce(0) { $0 + $1.size }, connectedPeers: connectedPeers,
            forks: try store.forkProofs().count)
    }

    public func peerStatuses() -> [PeerStatus] {
        let connected = Set(connectedPeers)
        let configured = configuredPeers
        var statuses = configured.map { peer in
            PeerStatus(
                nodeID: peer.nodeID, role: charter.charter.node(peer.nodeID)?.role.rawValue ?? "unknown",
                address: "\(peer.host):\(peer.port)", connected: connected.contains(peer.nodeID))
        }
        for peer in connected.sorted() where !configured.contains(where: { $0.nodeID == peer }) {
            statuses.append(
                PeerStatus(
                    nodeID: peer, role: charter.charter.node(peer)?.role.rawValue ?? "unknown", address: nil,
                    connected: true))
        }
        return statuses
    }

    public func feedReports() throws -> [FeedReport] {
        try store.heads().map { head in
            FeedReport(
                origin: head.origin.description, group: head.origin.group, author: head.origin.author, size: head.size,
                root: head.root.hex, frozen: head.isFrozen, checkpoint: head.checkpoint?.note.formatted,
                cosignedBy: head.checkpoint?.cosignatures.map(\.witnessName) ?? [])
        }
    }
}
