import TocsinCrypto

/// RFC 9162 §2.1.3.2 and §2.1.4.2 proof verification (the RFC 6962 proofs).
public enum MerkleVerification {
    /// Checks that `leafHash` is leaf `index` of the tree of `size` leaves with `root`.
    public static func verifyInclusion(
        leafHash: SHA256Digest, index: UInt64, size: UInt64, proof: [SHA256Digest], root: SHA256Digest
    ) throws(MerkleProofError) {
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof)
        guard computed == root else { throw MerkleProofError.rootMismatch(computed: computed, expected: root) }
    }

    /// The root that `proof` leads to from `leafHash` at `index` in a tree of `size` leaves.
    public static func rootFromInclusionProof(
        leafHash: SHA256Digest, index: UInt64, size: UInt64, proof: [SHA256Digest]
    ) throws(MerkleProofError) -> SHA256Digest {
        guard index < size else { throw MerkleProofError.indexOutOfRange(index: index, size: size) }
        var fn = index
        var sn = size - 1
        var result = leafHash
        for node in proof {
            guard sn != 0 else { throw MerkleProofError.proofTooLong }
            if fn & 1 == 1 || fn == sn {
                result = MerkleHash.interior(node, result)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                result = MerkleHash.interior(result, node)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw MerkleProofError.proofTooShort }
        return result
    }

    /// Checks that the tree (`oldSize`, `oldRoot`) is a prefix of (`newSize`, `newRoot`).
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: SHA256Digest, newRoot: SHA256Digest, proof: [SHA256Digest]
    ) throws(MerkleProofError) {
        let (computedOld, computedNew) = try rootsFromConsistencyProof(
            oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, proof: proof)
        guard computedOld == oldRoot else {
            throw MerkleProofError.rootMismatch(computed: computedOld, expected: oldRoot)
        }
        guard computedNew == newRoot else {
            throw MerkleProofError.rootMismatch(computed: computedNew, expected: newRoot)
        }
    }

    /// The old and new roots that a consistency proof leads to.
    ///
    /// When `oldSize` is a power of two the proof does not contain the old root, and
    /// `oldRoot` is taken as given: the caller then learns only the new root it implies.
    public static func rootsFromConsistencyProof(
        oldSize: UInt64, newSize: UInt64, oldRoot: SHA256Digest, proof: [SHA256Digest]
    ) throws(MerkleProofError) -> (old: SHA256Digest, new: SHA256Digest) {
        guard oldSize <= newSize else { throw MerkleProofError.sizesOutOfOrder(first: oldSize, second: newSize) }
        if oldSize == newSize {
            guard proof.isEmpty else { throw MerkleProofError.nonEmptyProofForEqualSizes }
            return (oldRoot, oldRoot)
        }
        if oldSize == 0 {
            // Everything is consistent with the empty tree; no proof can say more.
            guard proof.isEmpty else { throw MerkleProofError.proofTooLong }
            return (MerkleHash.emptyRoot, oldRoot)
        }
        guard !proof.isEmpty else { throw MerkleProofError.emptyProofForDifferentSizes }
        var path = proof[...]
        if oldSize & (oldSize - 1) == 0 {
            path = [oldRoot] + proof
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var oldResult = path.first!
        var newResult = path.first!
        for node in path.dropFirst() {
            guard sn != 0 else { throw MerkleProofError.proofTooLong }
            if fn & 1 == 1 || fn == sn {
                oldResult = MerkleHash.interior(node, oldResult)
                newResult = MerkleHash.interior(node, newResult)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                newResult = MerkleHash.interior(newResult, node)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw MerkleProofError.proofTooShort }
        return (oldResult, newResult)
    }
}
