import TocsinCrypto

/// Why a Merkle proof could not be made or did not verify.
public enum MerkleProofError: Error, Sendable, Equatable, CustomStringConvertible {
    case indexOutOfRange(index: UInt64, size: UInt64)
    case sizesOutOfOrder(first: UInt64, second: UInt64)
    case proofTooShort
    case proofTooLong
    case emptyProofForDifferentSizes
    case nonEmptyProofForEqualSizes
    case rootMismatch(computed: SHA256Digest, expected: SHA256Digest)
    case malformedFrontier(size: UInt64, nodeCount: Int)
    case malformedHash(position: Int)
    case missingNode(level: Int, index: UInt64)

    public var description: String {
        switch self {
        case .indexOutOfRange(let index, let size):
            return "leaf index \(index) is outside a tree of size \(size)"
        case .sizesOutOfOrder(let first, let second):
            return "a consistency proof goes from a smaller tree to a larger one, not \(first) to \(second)"
        case .proofTooShort:
            return "the proof has too few hashes for these sizes"
        case .proofTooLong:
            return "the proof has more hashes than these sizes need"
        case .emptyProofForDifferentSizes:
            return "an empty consistency proof only proves a tree consistent with itself"
        case .nonEmptyProofForEqualSizes:
            return "a consistency proof between equal sizes must be empty"
        case .rootMismatch(let computed, let expected):
            return "the proof leads to root \(computed.hex), not to the expected \(expected.hex)"
        case .malformedFrontier(let size, let nodeCount):
            return "a stored tree frontier is malformed (size \(size), \(nodeCount) nodes); run `tocsin verify`"
        case .malformedHash(let position):
            return "proof hash \(position + 1) is not 32 bytes"
        case .missingNode(let level, let index):
            return "the tree node at level \(level), index \(index) is not available"
        }
    }
}
