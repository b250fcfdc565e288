import TocsinCrypto

/// A named Ed25519 key as signed notes use it: checkpoint signatures (type 0x01) and
/// `cosignature/v1` witness cosignatures (type 0x04) share the format of a key ID.
public struct NoteKey: Hashable, Sendable {
    /// The C2SP signature type byte that the key ID commits to.
    public enum SignatureType: UInt8, Sendable {
        case ed25519 = 0x01
        case cosignatureV1 = 0x04
    }

    public let name: String
    public let publicKey: Ed25519PublicKey
    public let type: SignatureType

    public init(name: String, publicKey: Ed25519PublicKey, type: SignatureType) throws(NoteError) {
        guard NoteSignature.isValidKeyName(name) else { throw NoteError.invalidKeyName(name) }
        self.name = name
        self.publicKey = publicKey
        self.type = type
    }

    /// `SHA-256(name || 0x0A || type || public key)[:4]`, big-endian.
    public var keyID: UInt32 {
        let digest = SHA256.hash(Array(name.utf8) + [0x0a, type.rawValue] + publicKey.rawRepresentation)
        return digest.bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Whether a signature line claims to be by this key (name and key ID both match).
    public func matches(_ signature: NoteSignature) -> Bool {
        signature.keyName == name && signature.keyID == keyID
    }
}

extension SignedNote {
    /// Signs `text` (which must end in a newline) as a note with one Ed25519 signature.
    public static func sign(text: String, name: String, key: Ed25519PrivateKey) throws(NoteError) -> SignedNote {
        let noteKey = try NoteKey(name: name, publicKey: key.publicKey, type: .ed25519)
        let signature = key.signature(for: Array(text.utf8))
        return SignedNote(
            text: text, signatures: [NoteSignature(keyName: name, keyID: noteKey.keyID, signature: signature)])
    }

    /// Verifies the signature of `key` (type 0x01) on this note.
    ///
    /// Signatures of other keys are ignored, as C2SP requires; a matching signature that fails
    /// to verify rejects the note.
    public func verify(signedBy key: NoteKey) throws(NoteError) {
        precondition(key.type == .ed25519, "use Cosignature.verify for witness keys")
        let matching = signatures.filter { key.matches($0) }
        guard let signature = matching.first else { throw NoteError.notSignedBy(keyName: key.name) }
        // One line per key: copies of a genuine line could only make the verifier check again.
        guard matching.count == 1 else { throw NoteError.duplicateSignature(keyName: key.name) }
        guard key.publicKey.isValidSignature(signature.signature, for: textBytes) else {
            throw NoteError.badSignature(keyName: key.name)
        }
    }
}
