import Foundation
import TocsinCrypto

/// The body of a C2SP `tlog-checkpoint`: origin, tree size, base64 root hash, and optional
/// extension lines.
public struct Checkpoint: Hashable, Sendable {
    /// The largest tree a Tocsin feed may grow to: 2^40 entries (a store keys an entry by
    /// `feed · 2^40 + index`). A checkpoint of a larger tree is refused when it is read.
    public static let maximumSize: UInt64 = 1 << 40

    public var origin: String
    public var size: UInt64
    public var root: SHA256Digest
    public var extensionLines: [String]

    public init(origin: String, size: UInt64, root: SHA256Digest, extensionLines: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensionLines = extensionLines
    }

    /// The note text (each line newline-terminated).
    public var text: String {
        var text = "\(origin)\n\(size)\n\(Data(root.bytes).base64EncodedString())\n"
        for line in extensionLines { text += line + "\n" }
        return text
    }

    /// Parses checkpoint text (the text of a signed note).
    public init(text: String) throws(NoteError) {
        guard text.utf8.last == 0x0a else { throw NoteError.missingFinalNewline }
        // Split on the bytes: a newline is never part of a longer UTF-8 sequence.
        let lines = text.utf8.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard lines.count >= 3 else {
            throw NoteError.malformedCheckpoint(line: lines.count + 1, reason: "a checkpoint has at least three lines")
        }
        guard !lines[0].isEmpty else { throw NoteError.malformedCheckpoint(line: 1, reason: "the origin is empty") }
        let sizeLine = lines[1]
        guard !sizeLine.isEmpty, sizeLine.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            sizeLine == "0" || !sizeLine.hasPrefix("0"), let size = UInt64(sizeLine)
        else {
            throw NoteError.malformedCheckpoint(
                line: 2,
                reason: "\(sizeLine.prefix(40).debugDescription) is not a tree size (decimal, no leading zeros)")
        }
        guard size <= Self.maximumSize else {
            throw NoteError.malformedCheckpoint(line: 2, reason: "a tree of \(size) entries; a feed holds at most 2^40")
        }
        guard let rootBytes = Base64.decode(lines[2].utf8, canonical: true), let root = SHA256Digest(bytes: rootBytes)
        else {
            throw NoteError.malformedCheckpoint(line: 3, reason: "the root is not the base64 of 32 bytes")
        }
        for (offset, line) in lines.dropFirst(3).enumerated() where line.isEmpty {
            throw NoteError.malformedCheckpoint(line: offset + 4, reason: "extension lines must not be empty")
        }
        self.init(origin: lines[0], size: size, root: root, extensionLines: Array(lines.dropFirst(3)))
    }
}

/// A checkpoint with its signed note (author signature, cosignatures).
public struct SignedCheckpoint: Hashable, Sendable {
    public let checkpoint: Checkpoint
    public let note: SignedNote

    /// Parses a signed checkpoint note; signatures are not verified here.
    public init(parsing bytes: some Collection<UInt8>) throws(NoteError) {
        let note = try SignedNote(parsing: bytes)
        self.checkpoint = try Checkpoint(text: note.text)
        self.note = note
    }

    /// Wraps a note whose text is `checkpoint`.
    public init(checkpoint: Checkpoint, note: SignedNote) {
        precondition(checkpoint.text == note.text, "the note must carry the checkpoint")
        self.checkpoint = checkpoint
        self.note = note
    }

    /// Signs a checkpoint as its author; the key name is the origin.
    public static func sign(_ checkpoint: Checkpoint, key: Ed25519PrivateKey) throws(NoteError) -> SignedCheckpoint {
        let note = try SignedNote.sign(text: checkpoint.text, name: checkpoint.origin, key: key)
        return SignedCheckpoint(checkpoint: checkpoint, note: note)
    }

    /// Verifies the author's signature: the key named after the origin.
    public func verify(author: Ed25519PublicKey) throws(NoteError) {
        try note.verify(signedBy: NoteKey(name: checkpoint.origin, publicKey: author, type: .ed25519))
    }

    /// The cosignatures on this checkpoint (lines whose payload has the cosignature length).
    public var cosignatures: [Cosignature] {
        note.signatures.compactMap { try? Cosignature(signature: $0) }
    }

    /// Adds a cosignature line (replacing an earlier one by the same witness key).
    public func adding(_ cosignature: Cosignature) -> SignedCheckpoint {
        var note = self.note
        note.signatures.removeAll { $0.keyName == cosignature.witnessName && $0.keyID == cosignature.keyID }
        note.signatures.append(cosignature.noteSignature)
        return SignedCheckpoint(checkpoint: checkpoint, note: note)
    }

    /// The note with the author's signature lines only (named after the origin, of a plain
    /// signature's length): what the author signed. Lines of other keys are dropped, so that
    /// what a node stores and serves as the author's note is no larger than the author made it.
    public var authorNote: SignedNote {
        SignedNote(
            text: note.text,
            signatures: note.signatures.filter {
                $0.keyName == checkpoint.origin && $0.signature.count == Ed25519PublicKey.signatureByteCount
            })
    }
}
