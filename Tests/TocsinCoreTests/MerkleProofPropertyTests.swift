import Testing
import TocsinCore
import TocsinCrypto

/// Randomized checks of proof generation and verification, and corruption probes: every
/// altered proof must be refused.
@Suite struct MerkleProofPropertyTests {
    static func tree(size: Int, generator: inout SeededGenerator) -> (MerkleTree, [SHA256Digest]) {
        var tree = MerkleTree()
        var leaves: [SHA256Digest] = []
        for number in 0..<size {
            // Distinct entries: a leading counter, then random bytes.
            let entry =
                withUnsafeBytes(of: UInt32(number)) { Array($0) }
                + (0..<Int.random(in: 0...24, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            let leaf = MerkleHash.leaf(entry)
            leaves.append(leaf)
            tree.append(leafHash: leaf)
        }
        return (tree, leaves)
    }

    @Test(arguments: [1, 2, 3, 7, 8, 9, 31, 64, 65, 100, 257])
    func everyInclusionProofVerifiesAndEveryCorruptionIsRefused(size: Int) throws {
        var generator = SeededGenerator(seed: UInt64(size))
        let (tree, leaves) = Self.tree(size: size, generator: &generator)
        let root = tree.root
        let treeSize = UInt64(size)
        for index in 0..<treeSize {
            let proof = try #require(try tree.proofs.inclusionProof(index: index, size: treeSize))
            let leaf = leaves[Int(index)]
            try MerkleVerification.verifyInclusion(
                leafHash: leaf, index: index, size: treeSize, proof: proof, root: root)

            // Wrong index, wrong size, other leaf.
            if treeSize > 1 {
                let otherIndex = (index + 1) % treeSize
                #expect(throws: MerkleProofError.self) {
                    try MerkleVerification.verifyInclusion(
                        leafHash: leaf, index: otherIndex, size: treeSize, proof: proof, root: root)
                }
                #expect(throws: MerkleProofError.self) {
                    try MerkleVerification.verifyInclusion(
                        leafHash: leaves[Int(otherIndex)], index: index, size: treeSize, proof: proof, root: root)
                }
            }
            // A proof binds the tree's shape, not its exact size (the signed checkpoint binds
            // size and root together); a tree of 2n+1 leaves is always deeper.
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyInclusion(
                    leafHash: leaf, index: index, size: 2 * treeSize + 1, proof: proof, root: root)
            }
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyInclusion(
                    leafHash: leaf, index: treeSize, size: treeSize, proof: proof, root: root)
            }
            // A flipped bit anywhere in the proof.
            for position in proof.indices {
                var corrupted = proof
                var bytes = corrupted[position].bytes
                bytes[Int.random(in: 0..<32, using: &generator)] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                corrupted[position] = SHA256Digest(bytes: bytes)!
                #expect(throws: MerkleProofError.self) {
                    try MerkleVerification.verifyInclusion(
                        leafHash: leaf, index: index, size: treeSize, proof: corrupted, root: root)
                }
            }
            // Truncated and extended proofs.
            if !proof.isEmpty {
                #expect(throws: MerkleProofError.self) {
                    try MerkleVerification.verifyInclusion(
                        leafHash: leaf, index: index, size: treeSize, proof: Array(proof.dropLast()), root: root)
                }
            }
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyInclusion(
                    leafHash: leaf, index: index, size: treeSize, proof: proof + [root], root: root)
            }
        }
    }

    @Test(arguments: [2, 5, 8, 13, 64, 100, 257])
    func everyConsistencyProofVerifiesAndEveryCorruptionIsRefused(size: Int) throws {
        var generator = SeededGenerator(seed: 1000 + UInt64(size))
        let (tree, _) = Self.tree(size: size, generator: &generator)
        let newSize = UInt64(size)
        let newRoot = tree.root
        for oldSize in 1..<newSize {
            let oldRoot = tree.root(size: oldSize)
            let proof = try #require(try tree.proofs.consistencyProof(oldSize: oldSize, newSize: newSize))
            try MerkleVerification.verifyConsistency(
                oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)

            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyConsistency(
                    oldSize: oldSize, newSize: newSize, oldRoot: newRoot, newRoot: newRoot, proof: proof)
            }
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyConsistency(
                    oldSize: oldSize, newSize: 2 * newSize + 1, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
            }
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyConsistency(
                    oldSize: newSize, newSize: oldSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
            }
            for position in proof.indices {
                var corrupted = proof
                var bytes = corrupted[position].bytes
                bytes[Int.random(in: 0..<32, using: &generator)] ^= 0x80
                corrupted[position] = SHA256Digest(bytes: bytes)!
                #expect(throws: MerkleProofError.self) {
                    try MerkleVerification.verifyConsistency(
                        oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: corrupted)
                }
            }
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyConsistency(
                    oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot,
                    proof: Array(proof.dropLast()))
            }
            #expect(throws: MerkleProofError.self) {
                try MerkleVerification.verifyConsistency(
                    oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof + [newRoot])
            }
        }
    }

    @Test func frontierRootMatchesTheWholeTreeAtEverySize() throws {
        var generator = SeededGenerator(seed: 7)
        var frontier = MerkleFrontier()
        var tree = MerkleTree()
        for _ in 0..<600 {
            let leaf = MerkleHash.leaf([UInt8.random(in: 0...255, using: &generator)])
            frontier.append(leaf)
            tree.append(leafHash: leaf)
            #expect(frontier.root == tree.root)
        }
        let restored = try MerkleFrontier(serialized: frontier.serialized)
        #expect(restored == frontier)
    }

    @Test func frontierReportsEveryCompletedSubtree() throws {
        var frontier = MerkleFrontier()
        var tree = MerkleTree()
        var completed: [(Int, UInt64, SHA256Digest)] = []
        for value in 0..<64 {
            let leaf = MerkleHash.leaf([UInt8(value)])
            tree.append(leafHash: leaf)
            frontier.append(leaf) { completed.append(($0, $1, $2)) }
        }
        // A tree of 64 leaves has 63 interior nodes, each reported once with its true hash.
        #expect(completed.count == 63)
        for (level, index, hash) in completed {
            #expect(try tree.proofs.perfectSubtree(level, index) == hash)
        }
    }

    @Test func malformedFrontiersAreRefused() {
        #expect(throws: MerkleProofError.self) { try MerkleFrontier(serialized: [1, 2, 3]) }
        // Size 3 needs two nodes.
        #expect(throws: MerkleProofError.self) {
            try MerkleFrontier(serialized: [0, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0, count: 32))
        }
    }

    @Test func proofsOutsideTheTreeAreNotMade() throws {
        let tree = MerkleTree(entries: [[1], [2], [3]])
        #expect(try tree.proofs.inclusionProof(index: 3, size: 3) == nil)
        #expect(try tree.proofs.consistencyProof(oldSize: 3, newSize: 2) == nil)
        #expect(throws: MerkleProofError.self) { try tree.proofs.root(size: 4) }
    }
}
