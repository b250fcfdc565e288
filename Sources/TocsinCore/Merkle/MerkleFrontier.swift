import TocsinCrypto

/// The right edge of an RFC 6962 tree: one perfect-subtree hash per set bit of the size.
///
/// It is all a node needs to append leaves and compute the root without reading the tree
/// back, so catching up on a long feed costs one hash per leaf plus about one per interior
/// node, and the frontier is persisted beside the feed's head in a few hundred bytes.
public struct MerkleFrontier: Hashable, Sendable {
    /// The number of leaves.
    public private(set) var size: UInt64
    /// Perfect-subtree hashes, largest (leftmost) first.
    public private(set) var nodes: [SHA256Digest]

    /// The frontier of the empty tree.
    public init() {
        size = 0
        nodes = []
    }

    /// Restores a frontier; `nodes` must hold exactly one hash per set bit of `size`.
    public init(size: UInt64, nodes: [SHA256Digest]) throws(MerkleProofError) {
        guard nodes.count == size.nonzeroBitCount else {
            throw MerkleProofError.malformedFrontier(size: size, nodeCount: nodes.count)
        }
        self.size = size
        self.nodes = nodes
    }

    /// Appends one leaf hash. `completed` is told of every perfect subtree this append
    /// completes, as `(level, index, hash)` (level 1 = two leaves), smallest first.
    public mutating func append(
        _ leafHash: SHA256Digest,
        completed: (_ level: Int, _ index: UInt64, _ hash: SHA256Digest) -> Void = { _, _, _ in }
    ) {
        let leafIndex = size
        var hash = leafHash
        var level = 0
        var remaining = size
        while remaining & 1 == 1 {
            hash = MerkleHash.interior(nodes.removeLast(), hash)
            level += 1
            remaining >>= 1
            completed(level, leafIndex >> UInt64(level), hash)
        }
        nodes.append(hash)
        size += 1
    }

    /// The root hash of the tree.
    public var root: SHA256Digest {
        guard var root = nodes.last else { return MerkleHash.emptyRoot }
        for node in nodes.dropLast().reversed() {
            root = MerkleHash.interior(node, root)
        }
        return root
    }

    /// A compact encoding: the size as 8 big-endian bytes, then the node hashes.
    public var serialized: [UInt8] {
        var bytes = withUnsafeBytes(of: size.bigEndian) { Array($0) }
        for node in nodes { bytes += node.bytes }
        return bytes
    }

    /// Reads `serialized`.
    public init(serialized bytes: [UInt8]) throws(MerkleProofError) {
        guard bytes.count >= 8, (bytes.count - 8) % 32 == 0 else {
            throw MerkleProofError.malformedFrontier(size: 0, nodeCount: -1)
        }
        let size = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var nodes: [SHA256Digest] = []
        var offset = 8
        while offset < bytes.count {
            nodes.append(SHA256Digest(bytes: bytes[offset..<offset + 32])!)
            offset += 32
        }
        try self.init(size: size, nodes: nodes)
    }
}
