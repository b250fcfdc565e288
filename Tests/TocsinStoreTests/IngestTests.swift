import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinStore

@Suite struct IngestTests {
    func incoming(_ fixture: StoreFixture, batches: Int, size: Int) throws -> [IncomingBatch] {
        var author = try fixture.author()
        return try (0..<batches).map { number in
            let batch = try author.append(StoreFixture.entries(number * size..<(number + 1) * size))
            return IncomingBatch(
                firstIndex: batch.firstIndex, entries: batch.entries,
                checkpointNote: Array(batch.checkpoint.note.formatted.utf8))
        }
    }

    func verifier(_ fixture: StoreFixture) throws -> FeedVerifier {
        FeedVerifier(origin: try fixture.origin(), author: fixture.network.member("XA")!.key.publicKey)
    }

    @Test func everyBatchIsVerifiedAndStoredInOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let batches = try incoming(fixture, batches: 12, size: 40)
        var verifier = try verifier(fixture)
        let result = fixture.store.ingest(batches, verifier: &verifier, now: StoreFixture.now)
        #expect(result.stoppedBy == nil)
        #expect(result.storedBatches == 12)
        #expect(result.storedEntries == 480)
        #expect(verifier.frontier.size == 480)
        #expect(try fixture.store.head(of: try fixture.origin())?.frontier == verifier.frontier)
        #expect(try fixture.store.checkpoints(of: try fixture.origin()).count == 12)
        #expect(try fixture.store.audit().holds)
    }

    @Test func aRejectedBatchStopsIngestionAfterWhatWasGood() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var batches = try incoming(fixture, batches: 6, size: 10)
        var altered = batches[3].entries
        altered[4][altered[4].count - 1] ^= 0x01
        batches[3] = IncomingBatch(firstIndex: 30, entries: altered, checkpointNote: batches[3].checkpointNote)
        var verifier = try verifier(fixture)
        let result = fixture.store.ingest(batches, verifier: &verifier, now: StoreFixture.now)
        #expect(result.storedBatches == 3)
        guard case .rootMismatch = result.stoppedBy as? FeedRejection else {
            Issue.record("expected a root mismatch, got \(String(describing: result.stoppedBy))")
            return
        }
        #expect(verifier.frontier.size == 30)
        #expect(try fixture.store.head(of: try fixture.origin())?.size == 30)
        // The peer resends the genuine batches from 30 on, and they go through.
        var genuine = try incoming(fixture, batches: 6, size: 10)
        genuine.removeFirst(3)
        #expect(fixture.store.ingest(genuine, verifier: &verifier, now: StoreFixture.now).storedEntries == 30)
        #expect(try fixture.store.audit().holds)
    }

    @Test func aFailedWriteLeavesTheVerifierAtWhatIsStored() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let batches = try incoming(fixture, batches: 4, size: 5)
        // The store already holds the first batch, through another path.
        let other = try verifier(fixture)
        let first = try other.verify(
            firstIndex: 0, entries: batches[0].entries, checkpointNote: batches[0].checkpointNote)
        try fixture.store.append(first, now: StoreFixture.now)
        let before = try fixture.snapshot()

        var stale = try verifier(fixture)
        let result = fixture.store.ingest(batches, verifier: &stale, now: StoreFixture.now)
        #expect(result.storedBatches == 0)
        #expect(
            result.stoppedBy as? StoreError
                == .notContiguous(origin: try fixture.origin().description, held: 5, batchStartsAt: 0))
        #expect(stale.frontier.size == 0)
        #expect(try fixture.snapshot() == before)
    }
    /// A batch of catch-up size (checked by the scanner, not decoded) that its author signed
    /// with one entry not UTF-8 where the schema says text: refused, naming the entry and the
    /// reason, and nothing of it is stored.
    @Test func aSignedCatchUpBatchWithAMalformedEntryIsRefusedAndNothingIsStored() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var entries = StoreFixture.entries(0..<100)
        // The state's code in the bulletin ("XA") made "X\u{FF}": still protobuf, no longer UTF-8.
        let code = try #require(entries[70].indices.first { entries[70][$0...].starts(with: Array("XA".utf8)) })
        entries[70][code + 1] = 0xFF
        var frontier = MerkleFrontier()
        for entry in entries { frontier.append(MerkleHash.leaf(entry)) }
        let checkpoint = try SignedCheckpoint.sign(
            Checkpoint(origin: try fixture.origin().description, size: 100, root: frontier.root),
            key: fixture.network.member("XA")!.key)
        let before = try fixture.snapshot()
        var verifier = try verifier(fixture)
        let result = fixture.store.ingest(
            [IncomingBatch(firstIndex: 0, entries: entries, checkpointNote: Array(checkpoint.note.formatted.utf8))],
            verifier: &verifier, now: StoreFixture.now)
        #expect(result.storedBatches == 0)
        guard case .malformedEntry(index: 70, .notProtobuf(let reason)) = result.stoppedBy as? FeedRejection else {
            Issue.record("expected entry 70 refused as malformed, got \(String(describing: result.stoppedBy))")
            return
        }
        #expect(reason == "invalidUTF8")
        #expect(verifier.frontier.size == 0)
        #expect(try fixture.snapshot() == before)
    }
}
