import Foundation
import SwiftProtobuf
import TocsinCrypto

/// Evidence that a feed's author signed two checkpoints that cannot both be true.
///
/// Anyone with the author's public key can check it, without holding the feed: either both
/// checkpoints have the same size and different roots, or the larger one's tree provably
/// (by a consistency proof) starts with a different prefix than the smaller one signs.
public struct ForkProof: Hashable, Sendable {
    /// The checkpoint with the smaller (or equal) size.
    public let first: SignedCheckpoint
    public let second: SignedCheckpoint
    /// For different sizes: the root of the first `first.size` leaves of `second`'s tree.
    public let prefixRoot: SHA256Digest?
    /// For different sizes: consistency proof from (`first.size`, `prefixRoot`) to `second`.
    public let consistencyProof: [SHA256Digest]

    /// Two checkpoints of equal size and different roots.
    public init(sameSize first: SignedCheckpoint, _ second: SignedCheckpoint) {
        self.first = first
        self.second = second
        self.prefixRoot = nil
        self.consistencyProof = []
    }

    /// A smaller checkpoint and a larger one whose tree has a different prefix.
    public init(
        smaller first: SignedCheckpoint, larger second: SignedCheckpoint, prefixRoot: SHA256Digest,
        consistencyProof: [SHA256Digest]
    ) {
        self.first = first
        self.second = second
        self.prefixRoot = prefixRoot
        self.consistencyProof = consistencyProof
    }

    public var origin: String { first.checkpoint.origin }

    /// Checks the evidence against the author's key.
    public func verify(author: Ed25519PublicKey) throws(ForkProofError) {
        try verify(author: AuthorKeys(author))
    }

    /// Checks the evidence against the keys that may sign the feed: a checkpoint signed only
    /// by a key revoked below its size is not the author's, and proves nothing.
    public func verify(author: AuthorKeys) throws(ForkProofError) {
        let a = first.checkpoint
        let b = second.checkpoint
        guard a.origin == b.origin else { throw ForkProofError.differentOrigins }
        do {
            try first.verify(author: author)
            try second.verify(author: author)
        } catch {
            throw ForkProofError.signature(error)
        }
        if a.size == b.size {
            guard a.root != b.root else { throw ForkProofError.noContradiction }
            return
        }
        guard a.size < b.size, let prefixRoot else { throw ForkProofError.missingConsistencyEvidence }
        guard prefixRoot != a.root else { throw ForkProofError.noContradiction }
        do {
            try MerkleVerification.verifyConsistency(
                oldSize: a.size, newSize: b.size, oldRoot: prefixRoot, newRoot: b.root, proof: consistencyProof)
        } catch {
            throw ForkProofError.consistency(error)
        }
    }

    /// The protobuf `ForkProof` encoding, for storage and the wire.
    public var serialized: [UInt8] {
        var message = Tocsin_V1_ForkProof()
        message.firstCheckpoint = Data(first.note.formatted.utf8)
        message.secondCheckpoint = Data(second.note.formatted.utf8)
        if let prefixRoot { message.prefixRoot = Data(prefixRoot.bytes) }
        message.consistencyProof = consistencyProof.map { Data($0.bytes) }
        // Encoding a message built from valid fields cannot fail.
        return (try? message.serializedBytes()) ?? []
    }

    /// Reads the protobuf encoding; call `verify` before believing it.
    public init(serialized bytes: [UInt8]) throws(ForkProofError) {
        guard bytes.count <= 4 * SignedNote.maximumByteCount else { throw ForkProofError.malformed("too large") }
        let message: Tocsin_V1_ForkProof
        do {
            message = try Tocsin_V1_ForkProof(serializedBytes: bytes)
        } catch {
            throw ForkProofError.malformed("not a ForkProof message")
        }
        do {
            first = try SignedCheckpoint(parsing: Array(message.firstCheckpoint))
            second = try SignedCheckpoint(parsing: Array(message.secondCheckpoint))
        } catch {
            throw ForkProofError.signature(error)
        }
        if message.prefixRoot.isEmpty {
            prefixRoot = nil
        } else {
            guard let root = SHA256Digest(bytes: message.prefixRoot) else {
                throw ForkProofError.malformed("prefix root is not 32 bytes")
            }
            prefixRoot = root
        }
        var proof: [SHA256Digest] = []
        for (position, hash) in message.consistencyProof.enumerated() {
            guard let digest = SHA256Digest(bytes: hash) else {
                throw ForkProofError.consistency(.malformedHash(position: position))
            }
            proof.append(digest)
        }
        consistencyProof = proof
    }
}

/// Why a fork proof does not prove a fork.
public enum ForkProofError: Error, Sendable, Equatable, CustomStringConvertible {
    case differentOrigins
    case signature(NoteError)
    case noContradiction
    case missingConsistencyEvidence
    case consistency(MerkleProofError)
    case malformed(String)

    public var description: String {
        switch self {
        case .differentOrigins: return "the two checkpoints are of different feeds"
        case .signature(let error): return "a checkpoint is not the author's: \(error)"
        case .noContradiction: return "the two checkpoints agree; there is no fork"
        case .missingConsistencyEvidence:
            return "checkpoints of different sizes need a prefix root and consistency proof"
        case .consistency(let error): return "the consistency evidence does not hold: \(error)"
        case .malformed(let reason): return "malformed fork proof: \(reason)"
        }
    }
}
