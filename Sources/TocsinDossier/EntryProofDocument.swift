import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto

/// "An entry with its proof" (PROTOCOL.md §10): what `tocsin show REF --proof --json` prints
/// and what a dossier holds for each entry. Hashes are hex, bytes base64.
public struct EntryProofDocument: Codable, Sendable {
    public struct Proof: Codable, Sendable {
        public let treeSize: UInt64
        public let root: String
        public let hashes: [String]
        public let checkpoint: String
        /// The exporting node's own check: for people; a verifier recomputes it.
        public let verified: Bool?
        /// The checkpoint's witnesses under the witness policy of charter version
        /// `charterVersion` (the latest the exporting node holds).
        public let charterVersion: UInt64?
        public let witnesses: [String]?
        public let witnessedBy: [String]?
        public let witnessed: Bool?
    }

    public let reference: String
    public let origin: String
    public let index: UInt64
    /// For people (not checked by verifiers): the kind, a one-line summary, the author's time.
    public let kind: String?
    public let summary: String?
    public let authorTime: String?
    public let leafHash: String
    public let bytesBase64: String
    /// The entry decoded (its protobuf JSON), for people.
    public let entry: JSONValue?
    public let proof: Proof?

    /// The document of `bytes`, entry `index` of `origin`, with its inclusion `proof` to
    /// `checkpoint` (nil: no proof), the witnesses judged under `charter`. The proof is checked
    /// here: `proof.verified` says whether it leads to the checkpoint's root.
    public init(
        origin: FeedOrigin, index: UInt64, bytes: [UInt8], authorTimeMs: Int64, checkpoint: SignedCheckpoint?,
        proof hashes: [SHA256Digest], charter: Charter?, network: NetworkID
    ) {
        let summary = EntrySummary(bytes: bytes)
        let leafHash = MerkleHash.leaf(bytes)
        reference = EntryReference(group: origin.group, author: origin.author, index: index).description
        self.origin = origin.description
        self.index = index
        kind = summary.kind
        self.summary = summary.text
        authorTime = DossierTime.text(milliseconds: authorTimeMs)
        self.leafHash = leafHash.hex
        bytesBase64 = Data(bytes).base64EncodedString()
        entry = EntrySummary.json(bytes: bytes).flatMap { try? JSONValue(parsing: $0) }
        guard let checkpoint else {
            proof = nil
            return
        }
        let verified =
            (try? MerkleVerification.verifyInclusion(
                leafHash: leafHash, index: index, size: checkpoint.checkpoint.size, proof: hashes,
                root: checkpoint.checkpoint.root)) != nil
        let witnessing = charter.flatMap {
            WitnessStatus(checkpoint: checkpoint, origin: origin, charter: $0, network: network)
        }
        proof = Proof(
            treeSize: checkpoint.checkpoint.size, root: checkpoint.checkpoint.root.hex, hashes: hashes.map(\.hex),
            checkpoint: checkpoint.note.formatted, verified: verified,
            charterVersion: witnessing == nil ? nil : charter?.version, witnesses: witnessing?.policy.witnesses,
            witnessedBy: witnessing?.cosigned, witnessed: witnessing?.isWitnessed)
    }
}

/// Times in verifiers' documents: RFC 3339 in UTC with milliseconds (PROTOCOL.md §10).
public enum DossierTime {
    public static func text(milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// A time in whole seconds (a cosignature's), RFC 3339 UTC without fraction.
    public static func text(seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
    }
}
