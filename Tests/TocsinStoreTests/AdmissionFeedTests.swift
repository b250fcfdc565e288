import Foundation
import GRDB
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

/// Feeds held from a member's admission (`history = "from-admission"`): they start past
/// their first entry, with the frontier of what comes before as their base, and prove
/// everything from their first entry on exactly as a feed held whole does.
@Suite struct AdmissionFeedTests {
    /// The author's feed: `size` entries in batches of `batch`, with the tree over all of them.
    struct WholeFeed {
        let entries: [[UInt8]]
        let batches: [FeedBatch]
        let tree: MerkleTree

        init(fixture: StoreFixture, size: Int, batch: Int) throws {
            var author = try fixture.author()
            entries = StoreFixture.entries(0..<size, byteCount: 40)
            var batches: [FeedBatch] = []
            for start in stride(from: 0, to: size, by: batch) {
                batches.append(try author.append(Array(entries[start..<min(start + batch, size)])))
            }
            self.batches = batches
            tree = MerkleTree(entries: entries)
        }

        func frontier(size: Int) -> MerkleFrontier {
            var frontier = MerkleFrontier()
            for entry in entries.prefix(size) { frontier.append(MerkleHash.leaf(entry)) }
            return frontier
        }
    }

    /// Stores `whole` from entry `first` on, as a member admitted then receives it: the base,
    /// the entries up to the first checkpoint at or past it, then the author's batches.
    static func storeFrom(
        _ first: Int, of whole: WholeFeed, in fixture: StoreFixture
    ) throws -> FeedVerifier {
        let origin = try fixture.origin()
        var verifier = FeedVerifier(origin: origin, author: fixture.network.member("XA")!.node.publicKey)
        let cut = try #require(whole.batches.firstIndex { $0.checkpoint.checkpoint.size >= UInt64(first) })
        let end = Int(whole.batches[cut].checkpoint.checkpoint.size)
        let firstBatch = try verifier.verify(
            base: whole.frontier(size: first), entries: Array(whole.entries[first..<end]),
            checkpointNote: Array(whole.batches[cut].checkpoint.note.formatted.utf8))
        #expect(firstBatch.base?.size == UInt64(first))
        try fixture.store.append(firstBatch, now: StoreFixture.now)
        verifier.commit(firstBatch)
        for batch in whole.batches[(cut + 1)...] {
            let verified = try verifier.verify(
                firstIndex: batch.firstIndex, entries: batch.entries,
                checkpointNote: Array(batch.checkpoint.note.formatted.utf8))
            try fixture.store.append(verified, now: StoreFixture.now)
            verifier.commit(verified)
        }
        return verifier
    }

    /// Every first entry of a 300-entry feed (checkpoints every 37), spanning the persisted
    /// level at 256 and sizes with every number of frontier nodes.
    @Test(arguments: Array(stride(from: 1, through: 300, by: 13)) + [2, 4, 128, 255, 256, 257, 296, 299, 300])
    func aFeedHeldFromAnAdmissionProvesWhatItHoldsAsTheWholeFeedDoes(first: Int) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let whole = try WholeFeed(fixture: fixture, size: 300, batch: 37)
        let verifier = try Self.storeFrom(first, of: whole, in: fixture)
        let origin = try fixture.origin()
        let head = try #require(try fixture.store.head(of: origin))
        #expect(head.size == 300)
        #expect(head.firstIndex == UInt64(first))
        #expect(head.frontier == verifier.frontier)
        #expect(head.root == whole.tree.root)

        // Nothing before the first entry is held or proven.
        if first > 0 {
            #expect(try fixture.store.entry(origin: origin, index: UInt64(first - 1)) == nil)
            #expect(try fixture.store.inclusionProof(origin: origin, index: UInt64(first - 1)) == nil)
            #expect(try fixture.store.entries(of: origin, in: 0..<UInt64(first)).isEmpty)
        }
        // Everything from it on is proven as from the whole tree.
        for index in Set([first, first + 1, (first + 300) / 2, 299]) where index >= first && index < 300 {
            let proof = try #require(try fixture.store.inclusionProof(origin: origin, index: UInt64(index)))
            #expect(proof.proof == (try whole.tree.proofs.inclusionProof(index: UInt64(index), size: 300)))
            try MerkleVerification.verifyInclusion(
                leafHash: proof.entry.leafHash, index: UInt64(index), size: 300, proof: proof.proof,
                root: proof.checkpoint.checkpoint.root)
        }
        for (old, new) in [(first, 300), (max(first, 1), first + (300 - first) / 2), (299, 300)]
        where old >= first && old <= new {
            let proof = try #require(
                try fixture.store.consistencyProof(origin: origin, oldSize: UInt64(old), newSize: UInt64(new)))
            #expect(proof == (try whole.tree.proofs.consistencyProof(oldSize: UInt64(old), newSize: UInt64(new))))
        }
        for size in [first, (first + 300) / 2, 300] {
            #expect(try fixture.store.frontier(of: origin, size: UInt64(size)) == whole.frontier(size: size))
            #expect(
                fixture.store.root(of: origin, size: UInt64(size)) == (try whole.tree.proofs.root(size: UInt64(size))))
        }
        if first > 0 {
            #expect(try fixture.store.frontier(of: origin, size: UInt64(first - 1)) == nil)
        }
        // The audit takes the base as the start and the first checkpoint as its proof.
        let report = try fixture.store.audit()
        #expect(report.holds, "\(report.findings)")
        #expect(report.entries == UInt64(300 - first))
        // After a restart the feed is still held from its first entry.
        let reopened = try FeedStore.open(directory: fixture.directory)
        #expect(try reopened.head(of: origin)?.firstIndex == UInt64(first))
    }

    @Test func aBaseThatDoesNotLeadToTheSignedRootIsRefused() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let whole = try WholeFeed(fixture: fixture, size: 100, batch: 25)
        let verifier = FeedVerifier(
            origin: try fixture.origin(), author: fixture.network.member("XA")!.node.publicKey)
        var nodes = whole.frontier(size: 50).nodes
        nodes[0] = SHA256.hash(Array("not the first fifty".utf8))
        let forged = try MerkleFrontier(size: 50, nodes: nodes)
        #expect {
            try verifier.verify(
                base: forged, entries: Array(whole.entries[50..<75]),
                checkpointNote: Array(whole.batches[2].checkpoint.note.formatted.utf8))
        } throws: { error in
            guard case .rootMismatch = error as? FeedRejection else { return false }
            return true
        }
        // A base alone (no entry recent enough) is checked against the checkpoint of its size.
        let alone = try verifier.verify(
            base: whole.frontier(size: 75), entries: [],
            checkpointNote: Array(whole.batches[2].checkpoint.note.formatted.utf8))
        #expect(alone.entries.isEmpty && alone.frontier.size == 75)
        try fixture.store.append(alone, now: StoreFixture.now)
        #expect(try fixture.store.head(of: try fixture.origin())?.firstIndex == 75)
        #expect(try fixture.store.audit().holds)
        // A verifier that holds entries takes no base.
        var holding = verifier
        holding.commit(
            try verifier.verify(
                firstIndex: 0, entries: whole.batches[0].entries,
                checkpointNote: Array(whole.batches[0].checkpoint.note.formatted.utf8)))
        #expect(throws: FeedRejection.self) {
            try holding.verify(
                base: whole.frontier(size: 75), entries: [],
                checkpointNote: Array(whole.batches[2].checkpoint.note.formatted.utf8))
        }
    }

    @Test func aFeedsBaseIsSetOnceAndAnEditedBaseIsFoundByTheAudit() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let whole = try WholeFeed(fixture: fixture, size: 100, batch: 25)
        _ = try Self.storeFrom(30, of: whole, in: fixture)
        let other = Data(whole.frontier(size: 31).serialized)
        #expect(throws: DatabaseError.self) {
            try fixture.rawDatabase().write { db in
                try db.execute(sql: "UPDATE feeds SET base = ?", arguments: [other])
            }
        }
        // Someone editing the file with the trigger dropped: the first checkpoint no longer
        // hashes from the base and the entries.
        var nodes = whole.frontier(size: 30).nodes
        nodes[nodes.count - 1] = SHA256.hash(Array("edited".utf8))
        let edited = Data(try MerkleFrontier(size: 30, nodes: nodes).serialized)
        try fixture.rawDatabase().write { db in
            try db.execute(sql: "DROP TRIGGER feeds_base_fixed")
            try db.execute(sql: "UPDATE feeds SET base = ?", arguments: [edited])
        }
        let report = try fixture.store.audit()
        #expect(!report.holds)
        #expect(report.findings.contains { $0.message.contains("do not hash to the root the author signed") })
    }

    @Test func theFirstEntryAuthoredFromATimeIsFoundInIndexOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        // Entry n is authored at 1_800_000_000_000 + n.
        let whole = try WholeFeed(fixture: fixture, size: 100, batch: 25)
        for batch in whole.batches { try fixture.store.append(batch, now: StoreFixture.now) }
        let origin = try fixture.origin()
        #expect(try fixture.store.firstIndex(of: origin, authoredFromMs: 0) == 0)
        #expect(try fixture.store.firstIndex(of: origin, authoredFromMs: 1_800_000_000_042) == 42)
        #expect(try fixture.store.firstIndex(of: origin, authoredFromMs: 1_800_000_000_100) == nil)
        #expect(try fixture.store.firstIndex(of: try fixture.origin(author: "XB"), authoredFromMs: 0) == nil)
    }
}
