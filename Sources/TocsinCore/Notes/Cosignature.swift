import TocsinCrypto

/// A C2SP `cosignature/v1`: a witness's timestamped Ed25519 signature of a checkpoint.
///
/// It states: "at `timestamp`, this was the largest consistent tree I had seen of this origin".
public struct Cosignature: Hashable, Sendable {
    public var witnessName: String
    public var keyID: UInt32
    /// POSIX seconds, the witness's clock.
    public var timestamp: UInt64
    public var signature: [UInt8]

    /// Reads a note signature line as a cosignature (8-byte timestamp + 64-byte signature).
    public init(signature line: NoteSignature) throws(NoteError) {
        guard line.signature.count == 8 + Ed25519PublicKey.signatureByteCount else {
            throw NoteError.malformedCosignature(keyName: line.keyName, reason: "expected 72 bytes after the key ID")
        }
        let timestamp = line.signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= UInt64(Int64.max) else {
            throw NoteError.malformedCosignature(keyName: line.keyName, reason: "the timestamp exceeds 2^63-1")
        }
        self.witnessName = line.keyName
        self.keyID = line.keyID
        self.timestamp = timestamp
        self.signature = Array(line.signature[8...])
    }

    /// The message a witness signs: header, time line, then the checkpoint text.
    public static func message(checkpointText: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(checkpointText)".utf8)
    }

    /// Cosigns `checkpoint` at `timestamp` (POSIX seconds) as witness `name`.
    public static func sign(
        _ checkpoint: Checkpoint, witnessName name: String, key: Ed25519PrivateKey, timestamp: UInt64
    ) throws(NoteError) -> Cosignature {
        let noteKey = try NoteKey(name: name, publicKey: key.publicKey, type: .cosignatureV1)
        let signature = key.signature(for: message(checkpointText: checkpoint.text, timestamp: timestamp))
        let timestampBytes = withUnsafeBytes(of: timestamp.bigEndian) { Array($0) }
        return try Cosignature(
            signature: NoteSignature(keyName: name, keyID: noteKey.keyID, signature: timestampBytes + signature))
    }

    /// The note signature line carrying this cosignature.
    public var noteSignature: NoteSignature {
        let timestampBytes = withUnsafeBytes(of: timestamp.bigEndian) { Array($0) }
        return NoteSignature(keyName: witnessName, keyID: keyID, signature: timestampBytes + signature)
    }

    /// Verifies this cosignature of `checkpoint` by the witness key `publicKey`.
    public func verify(checkpoint: Checkpoint, publicKey: Ed25519PublicKey) throws(NoteError) {
        let key = try NoteKey(name: witnessName, publicKey: publicKey, type: .cosignatureV1)
        guard key.keyID == keyID else { throw NoteError.notSignedBy(keyName: witnessName) }
        let message = Self.message(checkpointText: checkpoint.text, timestamp: timestamp)
        guard publicKey.isValidSignature(signature, for: message) else {
            throw NoteError.badSignature(keyName: witnessName)
        }
    }

    /// Verifies with whichever of `keys` the line names (by key ID): a witness keeps the
    /// cosignatures it made with a key it has since rotated.
    public func verify(checkpoint: Checkpoint, anyOf keys: [Ed25519PublicKey]) throws(NoteError) {
        for key in keys {
            guard let noteKey = try? NoteKey(name: witnessName, publicKey: key, type: .cosignatureV1),
                noteKey.keyID == keyID
            else { continue }
            return try verify(checkpoint: checkpoint, publicKey: key)
        }
        throw NoteError.notSignedBy(keyName: witnessName)
    }
}
