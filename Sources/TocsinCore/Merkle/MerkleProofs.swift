import TocsinCrypto

/// RFC 6962 proof generation over any source of perfect-subtree hashes.
///
/// A tree of any size is a sequence of aligned perfect subtrees, so every root, inclusion
/// path and consistency proof can be assembled from `perfectSubtree(level, index)`: the hash
/// of leaves `[index·2^level, (index+1)·2^level)`. The store answers that from the hashes it
/// keeps, so proofs never rehash a whole feed.
public struct MerkleProofs<Failure: Error> {
    /// Returns the hash of the perfect subtree at `level` (0 = a leaf hash) and `index`.
    public let perfectSubtree: (_ level: Int, _ index: UInt64) throws(Failure) -> SHA256Digest

    public init(perfectSubtree: @escaping (_ level: Int, _ index: UInt64) throws(Failure) -> SHA256Digest) {
        self.perfectSubtree = perfectSubtree
    }

    /// The root of the first `size` leaves (MTH(D[0:size])).
    public func root(size: UInt64) throws(Failure) -> SHA256Digest {
        size == 0 ? MerkleHash.emptyRoot : try rangeRoot(start: 0, count: size)
    }

    /// The RFC 6962 audit path (PATH) of leaf `index` in the tree of `size` leaves.
    public func inclusionProof(index: UInt64, size: UInt64) throws(Failure) -> [SHA256Digest]? {
        guard index < size else { return nil }
        return try path(index, start: 0, count: size)
    }

    /// The RFC 6962 consistency proof (PROOF) from the tree of `oldSize` leaves to `newSize`.
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws(Failure) -> [SHA256Digest]? {
        guard oldSize <= newSize else { return nil }
        if oldSize == 0 || oldSize == newSize { return [] }
        return try subproof(oldSize, start: 0, count: newSize, complete: true)
    }

    // MTH of leaves [start, start+count) where start is aligned to a power of two ≥ count.
    func rangeRoot(start: UInt64, count: UInt64) throws(Failure) -> SHA256Digest {
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return try perfectSubtree(level, start >> UInt64(level))
        }
        let split = largestPowerOfTwo(below: count)
        let left = try rangeRoot(start: start, count: split)
        let right = try rangeRoot(start: start + split, count: count - split)
        return MerkleHash.interior(left, right)
    }

    private func path(_ index: UInt64, start: UInt64, count: UInt64) throws(Failure) -> [SHA256Digest] {
        if count == 1 { return [] }
        let split = largestPowerOfTwo(below: count)
        if index < split {
            return try path(index, start: start, count: split) + [rangeRoot(start: start + split, count: count - split)]
        }
        return try path(index - split, start: start + split, count: count - split) + [
            rangeRoot(start: start, count: split)
        ]
    }

    private func subproof(_ old: UInt64, start: UInt64, count: UInt64, complete: Bool) throws(Failure) -> [SHA256Digest]
    {
        if old == count {
            return complete ? [] : [try rangeRoot(start: start, count: count)]
        }
        let split = largestPowerOfTwo(below: count)
        if old <= split {
            return try subproof(old, start: start, count: split, complete: complete)
                + [rangeRoot(start: start + split, count: count - split)]
        }
        return try subproof(old - split, start: start + split, count: count - split, complete: false)
            + [rangeRoot(start: start, count: split)]
    }
}

/// The largest power of two strictly below `value` (value ≥ 2).
func largestPowerOfTwo(below value: UInt64) -> UInt64 {
    precondition(value >= 2)
    return UInt64(1) << UInt64(63 - (value - 1).leadingZeroBitCount)
}
