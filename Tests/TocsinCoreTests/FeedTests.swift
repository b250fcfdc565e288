import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// A feed of fictional state XA, with deterministic keys.
struct FeedFixture {
    let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: 11, count: 32))
    let network = NetworkID(genesisCharter: Array("fixture charter".utf8))
    var origin: FeedOrigin { try! FeedOrigin(network: network, group: "nro", author: "XA") }

    func entries(_ range: Range<Int>) -> [[UInt8]] {
        range.map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 200, authorTimeMs: 1_800_000_000_000) }
    }
}

@Suite struct FeedTests {
    let fixture = FeedFixture()

    @Test func aReceiverAcceptsWhatTheAuthorSigned() throws {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        for range in [0..<1, 1..<5, 5..<300] {
            let batch = try author.append(fixture.entries(range))
            let verified = try verifier.verify(
                firstIndex: batch.firstIndex, entries: batch.entries,
                checkpointNote: Array(batch.checkpoint.note.formatted.utf8))
            #expect(verified.leafHashes == batch.leafHashes)
            #expect(verified.completedNodes == batch.completedNodes)
            verifier.commit(verified)
        }
        #expect(verifier.frontier == author.frontier)
        #expect(verifier.latest?.checkpoint.size == 300)
        // 300 entries complete one persisted subtree: leaves 0..<256 at level 8.
        #expect(MerkleTree(entries: fixture.entries(0..<300)).root == author.frontier.root)
    }

    /// The held checkpoint sent again with other cosignatures is accepted without a second
    /// signature check; whatever differs from it in its text's bytes or in the lines under the
    /// author's name is checked in full, and refused if the full check refuses it.
    @Test func theHeldCheckpointWithOtherLinesIsCheckedOnlyWhereItDiffers() throws {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        let batch = try author.append(fixture.entries(0..<3))
        verifier.commit(
            try verifier.verify(
                firstIndex: 0, entries: batch.entries, checkpointNote: Array(batch.checkpoint.note.formatted.utf8)))
        let witness = try Ed25519PrivateKey(seed: [UInt8](repeating: 12, count: 32))
        let cosigned = batch.checkpoint.adding(
            try Cosignature.sign(batch.checkpoint.checkpoint, witnessName: "witness", key: witness, timestamp: 5))
        #expect(try verifier.authenticate(checkpointNote: Array(cosigned.note.formatted.utf8)) == cosigned)

        // The author's line altered (its last signature byte).
        var altered = cosigned.note
        altered.signatures[0].signature[63] ^= 1
        // A second line under the author's name and key ID, of a cosignature's length.
        var doubled = cosigned.note
        let authorLine = doubled.signatures[0]
        doubled.signatures.append(
            NoteSignature(
                keyName: authorLine.keyName, keyID: authorLine.keyID, signature: [UInt8](repeating: 1, count: 72)))
        for (name, note) in [("altered", altered), ("doubled", doubled)] {
            #expect(throws: FeedRejection.self, "\(name)") {
                try verifier.authenticate(checkpointNote: Array(note.formatted.utf8))
            }
        }
        // The held text but for a character written as a canonically equivalent one (KELVIN
        // SIGN for K): equal as Swift strings, not as the bytes the author signed.
        let withK = try SignedCheckpoint.sign(
            Checkpoint(
                origin: fixture.origin.description, size: 3, root: batch.checkpoint.checkpoint.root,
                extensionLines: ["K"]), key: fixture.key)
        let holding = FeedVerifier(
            origin: fixture.origin, author: fixture.key.publicKey, frontier: verifier.frontier, latest: withK)
        var kelvin = withK.note
        kelvin.text = withK.note.text.replacingOccurrences(of: "\nK\n", with: "\n\u{212A}\n")
        #expect(kelvin.text == withK.note.text && !kelvin.text.utf8.elementsEqual(withK.note.text.utf8))
        #expect(throws: FeedRejection.self) {
            try holding.authenticate(checkpointNote: Array(kelvin.formatted.utf8))
        }
    }

    @Test func rejectionsNameTheFaultAndLeaveTheVerifierAsItWas() throws {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        let first = try author.append(fixture.entries(0..<3))
        verifier.commit(
            try verifier.verify(
                firstIndex: 0, entries: first.entries, checkpointNote: Array(first.checkpoint.note.formatted.utf8)))
        let before = verifier.frontier
        let second = try author.append(fixture.entries(3..<6))
        let note = Array(second.checkpoint.note.formatted.utf8)

        var altered = second.entries
        altered[1][altered[1].count - 1] ^= 1
        #expect {
            try verifier.verify(firstIndex: 3, entries: altered, checkpointNote: note)
        } throws: { error in
            guard case .rootMismatch = error as? FeedRejection else { return false }
            return true
        }
        #expect(throws: FeedRejection.gap(expectedFirstIndex: 3, found: 4)) {
            try verifier.verify(firstIndex: 4, entries: second.entries, checkpointNote: note)
        }
        #expect(throws: FeedRejection.sizeMismatch(checkpointSize: 6, entriesEndAt: 5)) {
            try verifier.verify(firstIndex: 3, entries: Array(second.entries.prefix(2)), checkpointNote: note)
        }
        #expect(throws: FeedRejection.emptyBatch) {
            try verifier.verify(firstIndex: 3, entries: [], checkpointNote: note)
        }
        #expect {
            try verifier.verify(firstIndex: 3, entries: second.entries + [[0xff, 0xff]], checkpointNote: note)
        } throws: { error in
            // The signature is checked first; a malformed entry fails on its own when sizes match.
            error is FeedRejection
        }

        // A checkpoint signed by someone else, for another origin, or not a note at all.
        let impostor = try Ed25519PrivateKey(seed: [UInt8](repeating: 12, count: 32))
        let forged = try SignedCheckpoint.sign(second.checkpoint.checkpoint, key: impostor)
        #expect {
            try verifier.verify(
                firstIndex: 3, entries: second.entries, checkpointNote: Array(forged.note.formatted.utf8))
        } throws: { error in
            guard case .notSignedByAuthor = error as? FeedRejection else { return false }
            return true
        }
        let elsewhere = try FeedOrigin(network: fixture.network, group: "all", author: "XA")
        let wrongOrigin = try SignedCheckpoint.sign(
            Checkpoint(origin: elsewhere.description, size: 6, root: second.checkpoint.checkpoint.root),
            key: fixture.key)
        #expect(throws: FeedRejection.wrongOrigin(expected: fixture.origin.description, found: elsewhere.description)) {
            try verifier.verify(
                firstIndex: 3, entries: second.entries, checkpointNote: Array(wrongOrigin.note.formatted.utf8))
        }
        #expect {
            try verifier.verify(firstIndex: 3, entries: second.entries, checkpointNote: Array("garbage".utf8))
        } throws: { error in
            guard case .malformedCheckpoint = error as? FeedRejection else { return false }
            return true
        }
        #expect(verifier.frontier == before)

        // And the genuine batch still goes through afterwards.
        verifier.commit(try verifier.verify(firstIndex: 3, entries: second.entries, checkpointNote: note))
        #expect(verifier.frontier.size == 6)
    }

    @Test func malformedEntriesAreRefusedEvenWhenSigned() throws {
        // An author that signs garbage: the receiver still refuses to store it.
        let garbage: [[UInt8]] = [[0x08, 0x01, 0x10]]
        var frontier = MerkleFrontier()
        frontier.append(MerkleHash.leaf(garbage[0]))
        let checkpoint = try SignedCheckpoint.sign(
            Checkpoint(origin: fixture.origin.description, size: 1, root: frontier.root), key: fixture.key)
        let verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        #expect {
            try verifier.verify(firstIndex: 0, entries: garbage, checkpointNote: Array(checkpoint.note.formatted.utf8))
        } throws: { error in
            guard case .malformedEntry(index: 0, _) = error as? FeedRejection else { return false }
            return true
        }
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        #expect(throws: FeedRejection.self) { try author.append(garbage) }
        #expect(author.frontier.size == 0)
    }

    @Test func oversizedBatchesAreRefused() throws {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        let tooMany = [[UInt8]](repeating: fixture.entries(0..<1)[0], count: FeedAuthor.maximumBatchCount + 1)
        #expect(throws: FeedRejection.batchTooLarge(count: tooMany.count, limit: FeedAuthor.maximumBatchCount)) {
            try author.append(tooMany)
        }
        let verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        #expect(throws: FeedRejection.batchTooLarge(count: tooMany.count, limit: FeedVerifier.maximumBatchCount)) {
            try verifier.verify(firstIndex: 0, entries: tooMany, checkpointNote: [])
        }
    }

    @Test func aFrozenFeedAcceptsNothing() throws {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        verifier.freeze()
        let batch = try author.append(fixture.entries(0..<1))
        #expect(throws: FeedRejection.frozen(origin: fixture.origin.description)) {
            try verifier.verify(
                firstIndex: 0, entries: batch.entries, checkpointNote: Array(batch.checkpoint.note.formatted.utf8))
        }
    }

    @Test func originsAndReferencesParseAndRefuseGarbage() throws {
        let origin = fixture.origin
        #expect(try FeedOrigin(parsing: origin.description) == origin)
        #expect(origin.description == "tocsin/\(fixture.network.shortHex)/nro/XA")
        for bad in [
            "", "tocsin", "tocsin/xyz/nro/XA", "tocsin/0123456789ABCDEF/nro/XA", "other/0123456789abcdef/nro/XA",
            "tocsin/0123456789abcdef/nro/XA/1", "tocsin/0123456789abcdef/n ro/XA", "tocsin/0123456789abcdef//XA",
        ] {
            #expect(throws: FeedOriginError.self, "\(bad)") { try FeedOrigin(parsing: bad) }
        }
        #expect(try EntryReference(parsing: "nro/XA/12") == EntryReference(group: "nro", author: "XA", index: 12))
        for bad in ["nro/XA", "nro/XA/-1", "nro/XA/x", "nro/XA/1/2", "/XA/1", "nro/XA/99999999999999999999999"] {
            #expect(throws: FeedOriginError.self, "\(bad)") { try EntryReference(parsing: bad) }
        }
    }
}

@Suite struct ForkProofTests {
    let fixture = FeedFixture()

    /// Two authors' views from the same key: a common prefix, then different entries.
    func forkedBranches(prefix: Int, left: Int, right: Int) throws -> (FeedBatch, FeedBatch, FeedBatch) {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        let common = try author.append(fixture.entries(0..<prefix))
        var branchA = author
        var branchB = author
        let a = try branchA.append(fixture.entries(1000..<(1000 + left)))
        let b = try branchB.append(fixture.entries(2000..<(2000 + right)))
        return (common, a, b)
    }

    @Test func sameSizeDifferentRootsIsAFork() throws {
        let (common, a, b) = try forkedBranches(prefix: 4, left: 3, right: 3)
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        verifier.commit(common)
        verifier.commit(a)
        let tree = MerkleTree(entries: common.entries + a.entries)
        let examination = try verifier.examine(b.checkpoint, proofs: tree.proofs)
        guard case .fork(let proof) = examination else {
            Issue.record("expected a fork, got \(examination)")
            return
        }
        try proof.verify(author: fixture.key.publicKey)
        let decoded = try ForkProof(serialized: proof.serialized)
        #expect(decoded == proof)
        try decoded.verify(author: fixture.key.publicKey)
    }

    @Test func aSmallerCheckpointOffTheHeldTreeIsAFork() throws {
        let (common, a, b) = try forkedBranches(prefix: 5, left: 20, right: 2)
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        verifier.commit(common)
        verifier.commit(a)
        let tree = MerkleTree(entries: common.entries + a.entries)
        guard case .fork(let proof) = try verifier.examine(b.checkpoint, proofs: tree.proofs) else {
            Issue.record("expected a fork")
            return
        }
        #expect(proof.first.checkpoint.size == 7)
        #expect(proof.second.checkpoint.size == 25)
        try proof.verify(author: fixture.key.publicKey)
        try ForkProof(serialized: proof.serialized).verify(author: fixture.key.publicKey)
    }

    @Test func consistentCheckpointsAreNotForks() throws {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        let first = try author.append(fixture.entries(0..<3))
        let second = try author.append(fixture.entries(3..<9))
        var verifier = FeedVerifier(origin: fixture.origin, author: fixture.key.publicKey)
        verifier.commit(first)
        verifier.commit(second)
        let tree = MerkleTree(entries: first.entries + second.entries)
        #expect(try verifier.examine(first.checkpoint, proofs: tree.proofs) == .known)
        #expect(try verifier.examine(second.checkpoint, proofs: tree.proofs) == .known)
        let third = try author.append(fixture.entries(9..<10))
        #expect(try verifier.examine(third.checkpoint, proofs: tree.proofs) == .ahead(size: 10))

        // Claiming a fork between consistent checkpoints does not verify.
        let bogus = ForkProof(
            smaller: first.checkpoint, larger: second.checkpoint, prefixRoot: first.checkpoint.checkpoint.root,
            consistencyProof: try tree.proofs.consistencyProof(oldSize: 3, newSize: 9)!)
        #expect(throws: ForkProofError.noContradiction) { try bogus.verify(author: self.fixture.key.publicKey) }
        let invented = ForkProof(
            smaller: first.checkpoint, larger: second.checkpoint, prefixRoot: SHA256.hash([0]),
            consistencyProof: try tree.proofs.consistencyProof(oldSize: 3, newSize: 9)!)
        #expect(throws: ForkProofError.self) { try invented.verify(author: self.fixture.key.publicKey) }
    }

    @Test func forkProofsNeedTheAuthorsSignatures() throws {
        let (_, a, _) = try forkedBranches(prefix: 2, left: 1, right: 1)
        let impostor = try Ed25519PrivateKey(seed: [UInt8](repeating: 99, count: 32))
        var other = a.checkpoint.checkpoint
        other.root = SHA256.hash([42])
        let forged = ForkProof(sameSize: a.checkpoint, try SignedCheckpoint.sign(other, key: impostor))
        #expect(throws: ForkProofError.self) { try forged.verify(author: self.fixture.key.publicKey) }
        #expect(throws: ForkProofError.self) { try ForkProof(serialized: [0xff, 0x01, 0x02]) }
    }
}

@Suite struct ForkProofParsingTests {
    let fixture = FeedFixture()

    func validProof() throws -> ForkProof {
        var author = FeedAuthor(origin: fixture.origin, key: fixture.key)
        let common = try author.append(fixture.entries(0..<3))
        var branch = author
        let held = try author.append(fixture.entries(3..<9))
        let other = try branch.append(fixture.entries(50..<52))
        let tree = MerkleTree(entries: common.entries + held.entries)
        return ForkProof(
            smaller: other.checkpoint, larger: held.checkpoint, prefixRoot: tree.root(size: 5),
            consistencyProof: try tree.proofs.consistencyProof(oldSize: 5, newSize: 9)!)
    }

    @Test func garbageTruncatedAndOversizedProofsAreRefused() throws {
        let bytes = try validProof().serialized
        try ForkProof(serialized: bytes).verify(author: fixture.key.publicKey)
        #expect(throws: ForkProofError.self) { try ForkProof(serialized: [0x0a, 0xff, 0xff, 0xff, 0x0f]) }
        for length in [1, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ForkProofError.self, "truncated to \(length)") {
                try ForkProof(serialized: Array(bytes.prefix(length)))
            }
        }
        #expect(throws: ForkProofError.malformed("too large")) {
            try ForkProof(serialized: [UInt8](repeating: 0, count: 4 * SignedNote.maximumByteCount + 1))
        }
    }

    @Test func validButWrongProofsAreRefused() throws {
        let proof = try validProof()
        // A consistency hash of the wrong length.
        var message = try Tocsin_V1_ForkProof(serializedBytes: proof.serialized)
        message.consistencyProof[0] = message.consistencyProof[0].dropLast()
        #expect(throws: ForkProofError.consistency(.malformedHash(position: 0))) {
            try ForkProof(serialized: try message.serializedBytes())
        }
        // A well-formed proof whose consistency evidence is for other sizes.
        var shifted = try Tocsin_V1_ForkProof(serializedBytes: proof.serialized)
        shifted.consistencyProof.removeLast()
        #expect(throws: ForkProofError.self) {
            try ForkProof(serialized: try shifted.serializedBytes()).verify(author: self.fixture.key.publicKey)
        }
        // The same checkpoint twice is no fork.
        let same = ForkProof(sameSize: proof.second, proof.second)
        #expect(throws: ForkProofError.noContradiction) { try same.verify(author: self.fixture.key.publicKey) }
        // Sizes out of order, or without evidence.
        let reversed = ForkProof(
            smaller: proof.second, larger: proof.first, prefixRoot: proof.prefixRoot!,
            consistencyProof: proof.consistencyProof)
        #expect(throws: ForkProofError.missingConsistencyEvidence) {
            try reversed.verify(author: self.fixture.key.publicKey)
        }
    }
}
