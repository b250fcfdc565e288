import TocsinCrypto

/// A whole RFC 6962 tree in memory, every perfect subtree kept: for authors' tests,
/// simulations and proof cross-checks. Nodes store trees through `MerkleFrontier` instead.
public struct MerkleTree: Sendable {
    // levels[l][i] is the hash of perfect subtree i at level l; levels[0] are leaf hashes.
    private var levels: [[SHA256Digest]] = [[]]

    public init() {}

    /// Builds the tree of `entries` (raw entry bytes, hashed as leaves).
    public init(entries: [[UInt8]]) {
        for entry in entries { append(leafHash: MerkleHash.leaf(entry)) }
    }

    public var size: UInt64 { UInt64(levels[0].count) }

    public mutating func append(leafHash: SHA256Digest) {
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = MerkleHash.interior(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// Proofs over this tree.
    public var proofs: MerkleProofs<MerkleProofError> {
        let levels = self.levels
        return MerkleProofs { (level, index) throws(MerkleProofError) in
            guard level < levels.count, index < UInt64(levels[level].count) else {
                throw MerkleProofError.missingNode(level: level, index: index)
            }
            return levels[level][Int(index)]
        }
    }

    public func root(size: UInt64? = nil) -> SHA256Digest {
        // Sizes up to `self.size` only reach nodes that exist.
        (try? proofs.root(size: size ?? self.size)) ?? MerkleHash.emptyRoot
    }

    public var root: SHA256Digest { root() }
}
