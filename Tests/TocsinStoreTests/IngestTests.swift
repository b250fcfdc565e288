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
}
