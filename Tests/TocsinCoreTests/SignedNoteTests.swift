import Foundation
import Testing
import TocsinCore
import TocsinCrypto

@Suite struct SignedNoteTests {
    let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: 7, count: 32))
    let origin = "tocsin/0123456789abcdef/nro/XA"

    func signedCheckpoint(size: UInt64 = 5) throws -> SignedCheckpoint {
        try SignedCheckpoint.sign(Checkpoint(origin: origin, size: size, root: SHA256.hash([1, 2, 3])), key: key)
    }

    @Test func checkpointRoundTripsThroughItsWireForm() throws {
        let signed = try signedCheckpoint()
        let text = signed.note.formatted
        #expect(text.hasPrefix("\(origin)\n5\n"))
        #expect(text.contains("\n\n— \(origin) "))
        let parsed = try SignedCheckpoint(parsing: Array(text.utf8))
        #expect(parsed == signed)
        try parsed.verify(author: key.publicKey)
    }

    /// What a node stores and serves as the author's note: the author's lines only, not lines
    /// of other keys that a peer attached (which would travel on with every batch).
    @Test func theAuthorNoteKeepsOnlyTheAuthorsLines() throws {
        let signed = try signedCheckpoint()
        var note = signed.note
        note.signatures.append(
            NoteSignature(keyName: "someone-else", keyID: 9, signature: [UInt8](repeating: 3, count: 64)))
        let padded = try SignedCheckpoint(parsing: Array(note.formatted.utf8))
        #expect(padded.note.signatures.count == 2)
        #expect(padded.authorNote == signed.note)
    }

    @Test func keyIDFollowsTheSignedNoteSpecification() throws {
        let noteKey = try NoteKey(name: origin, publicKey: key.publicKey, type: .ed25519)
        let expected = SHA256.hash(Array(origin.utf8) + [0x0a, 0x01] + key.publicKey.rawRepresentation).bytes
        #expect(
            noteKey.keyID == UInt32(expected[0]) << 24 | UInt32(expected[1]) << 16 | UInt32(expected[2]) << 8
                | UInt32(expected[3]))
        #expect(try signedCheckpoint().note.signatures[0].keyID == noteKey.keyID)
    }

    @Test func alteredCheckpointsDoNotVerify() throws {
        let text = try signedCheckpoint().note.formatted
        for (original, replacement) in [("\n5\n", "\n6\n"), ("nro/XA", "nro/XB")] {
            let altered = text.replacingOccurrences(of: original, with: replacement)
            let parsed = try SignedCheckpoint(parsing: Array(altered.utf8))
            #expect(throws: NoteError.self) { try parsed.verify(author: self.key.publicKey) }
        }
        let otherKey = try Ed25519PrivateKey(seed: [UInt8](repeating: 8, count: 32))
        #expect(throws: NoteError.notSignedBy(keyName: origin)) {
            try SignedCheckpoint(parsing: Array(text.utf8)).verify(author: otherKey.publicKey)
        }
    }

    @Test func aSignatureByTheRightNameAndIDThatFailsRejectsTheNote() throws {
        var note = try signedCheckpoint().note
        note.signatures[0].signature[0] ^= 1
        #expect(throws: NoteError.badSignature(keyName: origin)) {
            try SignedCheckpoint(parsing: Array(note.formatted.utf8)).verify(author: self.key.publicKey)
        }
    }

    @Test(arguments: [
        ("", "empty"),
        ("no newline", "no final newline"),
        ("origin\n5\nAAAA\n", "no signature block"),
        ("origin\n5\n\n— \n", "empty signature line"),
        ("origin\n\n— name AAAA\n", "signature too short"),
        ("origin\n\n— name !!!!!!!!\n", "not base64"),
        ("origin\n\n- name AAAAAAAA\n", "hyphen instead of em dash"),
        ("origin\n\n— na+me AAAAAAAA\n", "plus in key name"),
        ("origin\n\n— name AAAAAAAA extra\n", "trailing field"),
        ("ori\u{01}gin\n\n— name AAAAAAAA\n", "control character"),
        ("origin\n\n— name AAAAAAAA", "truncated"),
    ])
    func malformedNotesAreRefused(text: String, reason: String) {
        #expect(throws: NoteError.self, "\(reason)") { try SignedNote(parsing: text) }
    }

    @Test func invalidUTF8AndOversizedNotesAreRefused() {
        #expect(throws: NoteError.notUTF8) { try SignedNote(parsing: [0x6f, 0xff, 0x0a, 0x0a]) }
        let huge = [UInt8](repeating: 0x61, count: SignedNote.maximumByteCount + 1)
        #expect(throws: NoteError.tooLarge(byteCount: huge.count, limit: SignedNote.maximumByteCount)) {
            try SignedNote(parsing: huge)
        }
        let line = "— w AAAAAAAA\n"
        let many = "o\n\n" + String(repeating: line, count: SignedNote.maximumSignatureCount + 1)
        #expect(throws: NoteError.tooManySignatures(limit: SignedNote.maximumSignatureCount)) {
            try SignedNote(parsing: many)
        }
    }

    @Test(arguments: [
        ("origin\n", "too few lines"),
        ("\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "empty origin"),
        ("o\n05\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "leading zero"),
        ("o\n-5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "negative size"),
        ("o\n99999999999999999999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", "size overflow"),
        ("o\n5\nAAAA\n", "short root"),
        ("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", "root with unused bits set (not canonical)"),
        ("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "root without its padding"),
        ("o\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n", "empty extension line"),
    ])
    func malformedCheckpointBodiesAreRefused(text: String, reason: String) {
        #expect(throws: NoteError.self, "\(reason)") { try Checkpoint(text: text) }
    }

    @Test func extensionLinesAreKeptAndSigned() throws {
        let checkpoint = Checkpoint(origin: origin, size: 1, root: SHA256.hash([9]), extensionLines: ["charter 2"])
        let signed = try SignedCheckpoint.sign(checkpoint, key: key)
        let parsed = try SignedCheckpoint(parsing: Array(signed.note.formatted.utf8))
        #expect(parsed.checkpoint.extensionLines == ["charter 2"])
        try parsed.verify(author: key.publicKey)
    }
}

@Suite struct CosignatureTests {
    let author = try! Ed25519PrivateKey(seed: [UInt8](repeating: 1, count: 32))
    let witness = try! Ed25519PrivateKey(seed: [UInt8](repeating: 2, count: 32))
    let checkpoint = Checkpoint(origin: "tocsin/0123456789abcdef/nro/XA", size: 3, root: SHA256.hash([3]))
    let witnessName = "tocsin/0123456789abcdef/RN"

    @Test func cosignatureVerifiesAndTravelsInTheNote() throws {
        let cosignature = try Cosignature.sign(
            checkpoint, witnessName: witnessName, key: witness, timestamp: 1_800_000_000)
        try cosignature.verify(checkpoint: checkpoint, publicKey: witness.publicKey)
        let cosigned = try SignedCheckpoint.sign(checkpoint, key: author).adding(cosignature)
        let parsed = try SignedCheckpoint(parsing: Array(cosigned.note.formatted.utf8))
        // The author's signature still verifies with the cosignature line beside it.
        try parsed.verify(author: author.publicKey)
        #expect(parsed.cosignatures == [cosignature])
        #expect(parsed.authorNote.signatures.count == 1)
        try parsed.cosignatures[0].verify(checkpoint: parsed.checkpoint, publicKey: witness.publicKey)
    }

    @Test func signedMessageIsTheC2SPCosignatureMessage() {
        let message = Cosignature.message(checkpointText: checkpoint.text, timestamp: 1_679_315_147)
        #expect(String(decoding: message, as: UTF8.self) == "cosignature/v1\ntime 1679315147\n" + checkpoint.text)
    }

    @Test func keyIDUsesTheCosignatureTypeByte() throws {
        let cosignature = try Cosignature.sign(checkpoint, witnessName: witnessName, key: witness, timestamp: 1)
        let expected = SHA256.hash(Array(witnessName.utf8) + [0x0a, 0x04] + witness.publicKey.rawRepresentation).bytes
        #expect(cosignature.keyID == expected[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    @Test func alteredCosignaturesDoNotVerify() throws {
        let cosignature = try Cosignature.sign(checkpoint, witnessName: witnessName, key: witness, timestamp: 100)
        var laterTime = cosignature
        laterTime.timestamp = 101
        #expect(throws: NoteError.self) {
            try laterTime.verify(checkpoint: self.checkpoint, publicKey: self.witness.publicKey)
        }
        var otherCheckpoint = checkpoint
        otherCheckpoint.size = 4
        #expect(throws: NoteError.self) {
            try cosignature.verify(checkpoint: otherCheckpoint, publicKey: self.witness.publicKey)
        }
        #expect(throws: NoteError.self) {
            try cosignature.verify(checkpoint: self.checkpoint, publicKey: self.author.publicKey)
        }
    }

    @Test func malformedCosignatureLinesAreRefused() {
        let short = NoteSignature(keyName: witnessName, keyID: 1, signature: [UInt8](repeating: 0, count: 64))
        #expect(throws: NoteError.self) { try Cosignature(signature: short) }
        let hugeTime = NoteSignature(
            keyName: witnessName, keyID: 1, signature: [0xff] + [UInt8](repeating: 0, count: 71))
        #expect(throws: NoteError.self) { try Cosignature(signature: hugeTime) }
    }
}
