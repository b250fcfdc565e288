import Foundation
import GRDB
import Testing
import TocsinCore
import TocsinCrypto
import TocsinStore

@Suite struct FeedStoreTests {
    @Test func appendedBatchesReadBackExactly() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        let entries = StoreFixture.entries(0..<10)
        try fixture.store.append(author.append(Array(entries[0..<4])), now: StoreFixture.now)
        try fixture.store.append(author.append(Array(entries[4..<10])), now: StoreFixture.now)

        let reopened = try FeedStore.open(directory: fixture.directory)
        #expect(reopened.networkID == fixture.network.networkID)
        let stored = try reopened.entries(origin: try fixture.origin())
        #expect(stored.map(\.bytes) == entries)
        #expect(stored.map(\.index) == Array(0..<10))
        #expect(stored.allSatisfy { $0.leafHash == MerkleHash.leaf($0.bytes) && $0.kind == 1 })
        let head = try #require(try reopened.head(of: try fixture.origin()))
        #expect(head.size == 10)
        #expect(head.root == MerkleTree(entries: entries).root)
        #expect(head.checkpoint?.checkpoint.size == 10)
        #expect(try reopened.checkpoints(of: try fixture.origin()).map(\.checkpoint.size) == [4, 10])
        #expect(try reopened.entry(origin: try fixture.origin(), index: 3)?.bytes == entries[3])
        #expect(try reopened.entry(origin: try fixture.origin(), index: 10) == nil)
        #expect(try reopened.entries(group: "nro", author: "XB").isEmpty)
        #expect(try reopened.charterChain().latest.charter == fixture.network.charter)
    }

    @Test func aRejectedBatchLeavesTheStoreExactlyAsItWas() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        try fixture.store.append(author.append(StoreFixture.entries(0..<3)), now: StoreFixture.now)
        let before = try fixture.snapshot()

        // A batch that would leave a gap.
        var ahead = author
        _ = try ahead.append(StoreFixture.entries(3..<5))
        let gapped = try ahead.append(StoreFixture.entries(5..<6))
        #expect(throws: StoreError.notContiguous(origin: try fixture.origin().description, held: 3, batchStartsAt: 5)) {
            try fixture.store.append(gapped, now: StoreFixture.now)
        }
        #expect(try fixture.snapshot() == before)

        // Two batches in one transaction, the second bad: the first is rolled back too.
        var other = try fixture.author(group: "all", author: "XB")
        let good = try other.append(StoreFixture.entries(0..<2))
        #expect(throws: StoreError.self) { try fixture.store.append([good, gapped], now: StoreFixture.now) }
        #expect(try fixture.snapshot() == before)
        #expect(try fixture.store.head(of: try fixture.origin(group: "all", author: "XB")) == nil)
    }

    @Test func appendOnlyTablesRefuseUpdatesAndDeletes() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        try fixture.store.append(author.append(StoreFixture.entries(0..<300)), now: StoreFixture.now)
        let before = try fixture.snapshot()
        let database = try fixture.rawDatabase()
        let statements = [
            "UPDATE entries SET bytes = x'00' WHERE entry_index = 1",
            "DELETE FROM entries WHERE entry_index = 299",
            "UPDATE checkpoints SET size = 1",
            "DELETE FROM checkpoints",
            "UPDATE subtrees SET hash = x'00'",
            "DELETE FROM charters",
            "UPDATE meta SET value = x'00'",
            "UPDATE feeds SET size = 2",
            "UPDATE feeds SET origin = 'other'",
            "DELETE FROM feeds",
        ]
        for sql in statements {
            #expect(throws: DatabaseError.self, "\(sql)") { try database.write { try $0.execute(sql: sql) } }
        }
        #expect(try fixture.snapshot() == before)
    }

    @Test func proofsFromStoredHashesMatchTheWholeTree() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        let entries = StoreFixture.entries(0..<1100, byteCount: 60)
        for start in stride(from: 0, to: entries.count, by: 137) {
            try fixture.store.append(
                author.append(Array(entries[start..<min(start + 137, entries.count)])), now: StoreFixture.now)
        }
        let tree = MerkleTree(entries: entries)
        let origin = try fixture.origin()
        for index: UInt64 in [0, 1, 255, 256, 511, 512, 767, 1023, 1024, 1099] {
            let result = try #require(try fixture.store.inclusionProof(origin: origin, index: index))
            #expect(result.proof == (try tree.proofs.inclusionProof(index: index, size: 1100)))
            try MerkleVerification.verifyInclusion(
                leafHash: result.entry.leafHash, index: index, size: 1100, proof: result.proof,
                root: result.checkpoint.checkpoint.root)
        }
        for (old, new): (UInt64, UInt64) in [
            (1, 1100), (256, 1100), (257, 1024), (600, 1099), (1024, 1100), (137, 548),
        ] {
            let proof = try #require(try fixture.store.consistencyProof(origin: origin, oldSize: old, newSize: new))
            #expect(proof == (try tree.proofs.consistencyProof(oldSize: old, newSize: new)))
            try MerkleVerification.verifyConsistency(
                oldSize: old, newSize: new, oldRoot: tree.root(size: old), newRoot: tree.root(size: new), proof: proof)
        }
        #expect(try fixture.store.inclusionProof(origin: origin, index: 1100) == nil)
        #expect(try fixture.store.consistencyProof(origin: origin, oldSize: 1, newSize: 1101) == nil)
    }

    @Test func cosignaturesAreStoredWithTheirCheckpoint() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        let batch = try author.append(StoreFixture.entries(0..<2))
        try fixture.store.append(batch, now: StoreFixture.now)
        let witness = fixture.network.member("RN")!
        let name = WitnessName.of(node: "RN", network: fixture.network.networkID)
        let cosignature = try Cosignature.sign(
            batch.checkpoint.checkpoint, witnessName: name, key: witness.key, timestamp: 1_800_000_001)
        #expect(try fixture.store.addCosignature(cosignature, to: batch.checkpoint.checkpoint, now: StoreFixture.now))
        // Storing the same cosignature again changes nothing.
        #expect(try fixture.store.addCosignature(cosignature, to: batch.checkpoint.checkpoint, now: StoreFixture.now))
        let head = try #require(try fixture.store.head(of: try fixture.origin()))
        #expect(head.checkpoint?.cosignatures == [cosignature])
        try head.checkpoint?.verify(author: fixture.network.member("XA")!.key.publicKey)
        var unknown = batch.checkpoint.checkpoint
        unknown.size = 99
        #expect(try !fixture.store.addCosignature(cosignature, to: unknown, now: StoreFixture.now))
        // Several at once, in one transaction: those of a checkpoint not held are passed over.
        let byXB = try Cosignature.sign(
            batch.checkpoint.checkpoint, witnessName: WitnessName.of(node: "XB", network: fixture.network.networkID),
            key: fixture.network.member("XB")!.key, timestamp: 1_800_000_002)
        let stored = try fixture.store.addCosignatures(
            [(byXB, batch.checkpoint.checkpoint), (cosignature, unknown)], now: StoreFixture.now)
        #expect(stored == 1)
        let cosigned = try #require(try fixture.store.head(of: try fixture.origin())?.checkpoint)
        #expect(Set(cosigned.cosignatures.map(\.witnessName)) == [name, byXB.witnessName])
        #expect(try fixture.store.audit().holds)
    }

    @Test func aForkProofFreezesTheFeed() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author()
        let common = try author.append(StoreFixture.entries(0..<2))
        try fixture.store.append(common, now: StoreFixture.now)
        var branch = author
        let held = try author.append(StoreFixture.entries(2..<3))
        let other = try branch.append(StoreFixture.entries(10..<11))
        try fixture.store.append(held, now: StoreFixture.now)
        let proof = ForkProof(sameSize: held.checkpoint, other.checkpoint)
        try fixture.store.recordForkProof(proof, now: StoreFixture.now)
        let head = try #require(try fixture.store.head(of: try fixture.origin()))
        #expect(head.isFrozen)
        #expect(try fixture.store.forkProofs() == [proof])
        let next = try author.append(StoreFixture.entries(3..<4))
        #expect(throws: StoreError.frozen(origin: try fixture.origin().description)) {
            try fixture.store.append(next, now: StoreFixture.now)
        }
        #expect(
            try fixture.store.verifier(for: try fixture.origin(), author: fixture.network.member("XA")!.key.publicKey)
                .isFrozen)
        let report = try fixture.store.audit()
        #expect(report.findings.map(\.kind) == [.fork])
        #expect(report.forkProofs == 1)
    }

    @Test func aForkProofOfAFeedNotHeldIsKeptAndFreezesTheFeedWhenItArrives() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var author = try fixture.author(author: "XB")
        var branch = author
        let one = try author.append(StoreFixture.entries(0..<1))
        let other = try branch.append(StoreFixture.entries(5..<6))
        let proof = ForkProof(sameSize: one.checkpoint, other.checkpoint)
        try fixture.store.recordForkProof(proof, now: StoreFixture.now)
        // Kept across a reopen, with the feed frozen and empty.
        let reopened = try FeedStore.open(directory: fixture.directory)
        #expect(try reopened.forkProofs() == [proof])
        let head = try #require(try reopened.head(of: try fixture.origin(author: "XB")))
        #expect(head.isFrozen && head.size == 0)
        #expect(throws: StoreError.self) { try reopened.append(one, now: StoreFixture.now) }
        #expect(try reopened.audit().findings.map(\.kind) == [.fork])
    }

    @Test func whatPeersShowedOfTheNodesOwnFeedIsRememberedAtItsLargest() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let origin = try fixture.origin()
        try fixture.store.recordOwnFeedKnown(origin, size: 5, now: StoreFixture.now)
        try fixture.store.recordOwnFeedKnown(origin, size: 3, now: StoreFixture.now)
        try fixture.store.recordOwnFeedKnown(origin, size: 9, now: StoreFixture.now)
        #expect(try FeedStore.open(directory: fixture.directory).ownFeedKnown() == [origin: 9])
    }

    @Test func indicesBeyondTheLargestFeedNameNothingAndNeverReachAnotherFeed() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var first = try fixture.author(author: "XA")
        var second = try fixture.author(author: "XB")
        try fixture.store.append(first.append(StoreFixture.entries(0..<2)), now: StoreFixture.now)
        try fixture.store.append(second.append(StoreFixture.entries(0..<2)), now: StoreFixture.now)
        let origin = try fixture.origin(author: "XA")
        // feed 1 · 2^40 + 2^40 would be feed 2's first row.
        #expect(try fixture.store.entry(origin: origin, index: 1 << 40) == nil)
        #expect(try fixture.store.entry(origin: origin, index: .max) == nil)
        #expect(try fixture.store.entries(of: origin, in: (1 << 40)..<UInt64.max).isEmpty)
        #expect(try fixture.store.entries(of: origin, in: 1..<UInt64.max).map(\.index) == [1])
        #expect(try fixture.store.witnessed(origin: origin, index: .max, by: "x") == nil)
    }

    /// What serving reads in place: each stored entry's bytes, in order, and only the feed's.
    @Test func entriesReadInPlaceAreTheStoredEntriesOfTheRangeInOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var first = try fixture.author(author: "XA")
        var second = try fixture.author(author: "XB")
        let entries = StoreFixture.entries(0..<10)
        try fixture.store.append(first.append(Array(entries[0..<5])), now: StoreFixture.now)
        try fixture.store.append(second.append(StoreFixture.entries(20..<23)), now: StoreFixture.now)
        try fixture.store.append(first.append(Array(entries[5...])), now: StoreFixture.now)
        let origin = try fixture.origin(author: "XA")
        func read(_ range: Range<UInt64>, of origin: FeedOrigin) throws -> (count: Int, entries: [[UInt8]]) {
            var read: [[UInt8]] = []
            let count = try fixture.store.forEachEntry(of: origin, in: range) {
                read.append(Array($0))
                return true
            }
            return (count, read)
        }
        for range: Range<UInt64> in [0..<10, 3..<8, 9..<10, 4..<5] {
            let result = try read(range, of: origin)
            #expect(result.entries == Array(entries[Int(range.lowerBound)..<Int(range.upperBound)]))
            #expect(result.count == range.count)
            #expect(result.entries == (try fixture.store.entryBytes(of: origin, in: range).map { Array($0) }))
        }
        // Past the feed's end, beyond any index a feed can hold, and a feed not held: nothing.
        #expect(try read(8..<40, of: origin).entries == Array(entries[8...]))
        #expect(try read((1 << 40)..<UInt64.max, of: origin).count == 0)
        #expect(try read(0..<3, of: try fixture.origin(author: "XC")).count == 0)
        #expect(try read(5..<5, of: origin).count == 0)
        // A reader that has enough stops the read.
        var given: [[UInt8]] = []
        let count = try fixture.store.forEachEntry(of: origin, in: 0..<10) {
            given.append(Array($0))
            return given.count < 3
        }
        #expect(count == 3)
        #expect(given == Array(entries[0..<3]))
    }

    @Test func dataDirectoriesAreCreatedOnceAndOpenedOnlyWhenTheyExist() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        #expect(throws: StoreError.alreadyInitialised(path: fixture.directory.path)) {
            try FeedStore.create(
                at: fixture.directory, genesis: fixture.network.signedCharter,
                authorityCertificatePEM: fixture.network.authority.certificate.pem, now: StoreFixture.now)
        }
        let missing = fixture.directory.appendingPathComponent("absent")
        #expect(throws: StoreError.notADataDirectory(path: missing.path)) { try FeedStore.open(directory: missing) }
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.directory.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}
