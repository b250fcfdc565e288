import Foundation
import Synchronization
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

@testable import TocsinNode

/// Verified batches waiting for the writer hold sessions back once they pass their limit, and
/// only until a write brings them back within it: memory stays bounded however much faster
/// verifying is than the disk, and live traffic is never held.
@Suite struct StoreBacklogTests {
    static func batches(_ count: Int, entryBytes: Int) throws -> [FeedBatch] {
        let origin = try FeedOrigin(
            network: NetworkID(genesisCharter: Array("backlog charter".utf8)), group: "ecowatch", author: "XA")
        var author = FeedAuthor(origin: origin, key: try Ed25519PrivateKey.generate())
        return try (0..<count).map { number in
            try author.append([
                SampleEntries.bulletin(number: number, country: "XA", byteCount: entryBytes, authorTimeMs: 1)
            ])
        }
    }

    /// Counts the messages a session has been told are dealt with.
    final class Done: Sendable {
        let count = Mutex(0)
        var callback: @Sendable () -> Void { { self.count.withLock { $0 += 1 } } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func withinItsLimitAMessageIsDealtWithAtOnce() throws {
        var backlog = StoreBacklog(limitBytes: 10_000)
        let done = Done()
        for batch in try Self.batches(3, entryBytes: 1_000) {
            backlog.append(batch, now: Date())
            backlog.holdBack(done.callback)?()
        }
        #expect(done.value == 3)
        #expect(backlog.heldBackCount == 0)
    }

    @Test func pastItsLimitSessionsWaitUntilAWriteBringsItBackWithin() throws {
        let batches = try Self.batches(6, entryBytes: 1_000)
        let size = StoreBacklog.size(of: batches[0])
        var backlog = StoreBacklog(limitBytes: 3 * size)
        let done = Done()
        for batch in batches {
            backlog.append(batch, now: Date())
            backlog.holdBack(done.callback)?()
        }
        // Three fit; the fourth, fifth and sixth message wait.
        #expect(done.value == 3)
        #expect(backlog.heldBackCount == 3)

        // A write of two batches leaves four waiting: still past the limit.
        #expect(backlog.take(maximumBytes: 2 * size).map(\.batch.firstIndex) == [0, 1])
        #expect(backlog.released().isEmpty)
        #expect(backlog.heldBackCount == 3)

        // The next brings it within: every session held back resumes, once.
        #expect(backlog.take(maximumBytes: size).map(\.batch.firstIndex) == [2])
        for resume in backlog.released() { resume() }
        #expect(done.value == 6)
        #expect(backlog.released().isEmpty)
        #expect(backlog.bytes == 3 * size)
    }

    @Test func aWriteTakesAtLeastOneBatchHoweverLarge() throws {
        var backlog = StoreBacklog(limitBytes: 1)
        for batch in try Self.batches(2, entryBytes: 2_000) { backlog.append(batch, now: Date()) }
        #expect(backlog.take(maximumBytes: 10).count == 1)
        #expect(backlog.take(maximumBytes: 10).count == 1)
        #expect(backlog.take(maximumBytes: 10).isEmpty)
        #expect(backlog.bytes == 0)
    }
}
