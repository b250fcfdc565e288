import TocsinCrypto

/// The keys that may sign one feed's checkpoints: the author's key now, and keys it signed
/// with before (after a rotation, without limit; after a revocation, up to the last size the
/// charter names as legitimate).
public struct AuthorKeys: Hashable, Sendable {
    public struct Key: Hashable, Sendable {
        public let publicKey: Ed25519PublicKey
        /// The largest checkpoint this key may sign (nil: any).
        public let maximumSize: UInt64?

        public init(publicKey: Ed25519PublicKey, maximumSize: UInt64? = nil) {
            self.publicKey = publicKey
            self.maximumSize = maximumSize
        }
    }

    /// The current key first.
    public let keys: [Key]

    /// One key, without limit.
    public init(_ key: Ed25519PublicKey) {
        keys = [Key(publicKey: key)]
    }

    public init(keys: [Key]) {
        precondition(!keys.isEmpty, "a feed has at least one author key")
        self.keys = keys
    }

    /// The key the author signs with now.
    public var current: Ed25519PublicKey { keys[0].publicKey }
}

extension SignedCheckpoint {
    /// Verifies the author's signature with any of `author`'s keys that may sign a checkpoint
    /// of this size.
    ///
    /// Lines of other keys are ignored; a line of one of the author's keys that does not verify
    /// rejects the note; so does a note signed only by a key revoked below its size.
    public func verify(author: AuthorKeys) throws(NoteError) {
        if author.keys.count == 1, author.keys[0].maximumSize == nil {
            return try verify(author: author.current)
        }
        let message = note.textBytes
        var authentic = false
        var revokedSigner = false
        for key in author.keys {
            let noteKey = try NoteKey(name: checkpoint.origin, publicKey: key.publicKey, type: .ed25519)
            let lines = note.signatures.filter { noteKey.matches($0) }
            guard let line = lines.first else { continue }
            // One line per key: copies of a genuine line could only make the verifier check again.
            guard lines.count == 1 else { throw NoteError.duplicateSignature(keyName: checkpoint.origin) }
            guard key.publicKey.isValidSignature(line.signature, for: message) else {
                throw NoteError.badSignature(keyName: checkpoint.origin)
            }
            if let maximum = key.maximumSize, checkpoint.size > maximum {
                revokedSigner = true
            } else {
                authentic = true
            }
        }
        if authentic { return }
        throw revokedSigner
            ? NoteError.revokedKey(keyName: checkpoint.origin, size: checkpoint.size)
            : NoteError.notSignedBy(keyName: checkpoint.origin)
    }
}
