import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinStore

extension Show {
    /// The `--consistency --json` output (Docs/PROTOCOL.md §10, "A consistency proof").
    struct ConsistencyReport: Encodable {
        let origin: String
        let oldSize: UInt64
        let newSize: UInt64
        /// The roots of the first `oldSize` and `newSize` entries, hex.
        let oldRoot: String
        let newRoot: String
        /// The RFC 6962 consistency proof, hex, in order.
        let hashes: [String]
        /// The stored checkpoints of those sizes (signed notes with their cosignature lines),
        /// when the node holds one; nil otherwise.
        let oldCheckpoint: String?
        let newCheckpoint: String?
        let verified: Bool
    }

    /// Prints the consistency proof of the feed between two sizes: both roots, the proof
    /// hashes, and the stored checkpoints of those sizes, checked before they are shown.
    func printConsistency(store: FeedStore) throws {
        guard consistency.count == 2 else {
            throw ValidationError("--consistency takes two sizes: FROM TO")
        }
        let (oldSize, newSize) = (consistency[0], consistency[1])
        guard oldSize <= newSize else {
            throw ValidationError("--consistency FROM TO: FROM (\(oldSize)) must not be larger than TO (\(newSize))")
        }
        guard index == nil, origin.split(separator: "/").count != 3 || origin.hasPrefix("tocsin/") else {
            throw ValidationError("--consistency names a feed (<group>/<author> or its origin), not an entry")
        }
        let feed = try resolveFeed(network: store.networkID)
        guard let head = try store.head(of: feed) else {
            throw CommandFailure("\(feed.shortName) is not held in \(store.directory.path)")
        }
        guard newSize <= head.size else {
            throw CommandFailure("\(feed.shortName) holds \(head.size) entries here, fewer than \(newSize)")
        }
        guard oldSize == 0 || oldSize >= head.firstIndex else {
            throw CommandFailure(
                "\(feed.shortName) is held here from entry \(head.firstIndex) (from this node's admission): no proof from \(oldSize)"
            )
        }
        guard let hashes = try store.consistencyProof(origin: feed, oldSize: oldSize, newSize: newSize),
            let oldRoot = store.root(of: feed, size: oldSize), let newRoot = store.root(of: feed, size: newSize)
        else {
            throw CommandFailure("the store cannot prove \(feed.shortName) from \(oldSize) to \(newSize)")
        }
        let verified: Bool
        do {
            try MerkleVerification.verifyConsistency(
                oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: hashes)
            verified = true
        } catch {
            verified = false
        }
        let oldCheckpoint = try store.checkpoint(of: feed, size: oldSize)?.note.formatted
        let newCheckpoint = try store.checkpoint(of: feed, size: newSize)?.note.formatted
        if json {
            try printJSON(
                ConsistencyReport(
                    origin: feed.description, oldSize: oldSize, newSize: newSize, oldRoot: oldRoot.hex,
                    newRoot: newRoot.hex, hashes: hashes.map(\.hex), oldCheckpoint: oldCheckpoint,
                    newCheckpoint: newCheckpoint, verified: verified))
        } else {
            print(
                "consistency proof of \(feed) from \(oldSize) to \(newSize) entries (\(verified ? "verified" : "DOES NOT VERIFY")):"
            )
            for (position, hash) in hashes.enumerated() { print("  \(position)  \(hash.hex)") }
            print(
                "root at \(oldSize)  \(oldRoot.hex)\(oldCheckpoint == nil ? "  (no checkpoint of that size held)" : "")"
            )
            print(
                "root at \(newSize)  \(newRoot.hex)\(newCheckpoint == nil ? "  (no checkpoint of that size held)" : "")"
            )
            for note in [oldCheckpoint, newCheckpoint].compactMap({ $0 }) {
                print("")
                print(note, terminator: "")
            }
        }
        if !verified { throw ExitCode(1) }
    }

    /// The feed `origin` names: a full origin, or `<group>/<author>`.
    func resolveFeed(network: NetworkID) throws -> FeedOrigin {
        if origin.hasPrefix("tocsin/") { return try FeedOrigin(parsing: origin) }
        let parts = origin.split(separator: "/").map(String.init)
        guard parts.count == 2 else {
            throw CommandFailure("\(origin.debugDescription) is not <group>/<author> nor a full origin")
        }
        return try FeedOrigin(network: network, group: parts[0], author: parts[1])
    }
}
