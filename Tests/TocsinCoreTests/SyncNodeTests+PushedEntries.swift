import Foundation
import Testing
import TocsinCore
import TocsinDevelopment

/// A batch an author appends goes with its entries to a peer that holds the feed up to it
/// (PROTOCOL.md §9, "Want and Entries"), saving the peer a `Want` and the author a read.
extension SyncNodeTests {
    func author() throws -> FeedAuthor {
        FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"),
            key: Self.network.member("XA")!.key)
    }

    func append(_ author: inout FeedAuthor, count: Int = 2) throws -> FeedBatch {
        try author.append(
            (0..<count).map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 90, authorTimeMs: 1) })
    }

    /// Per peer: "entries from N" for a batch pushed with its entries, "checkpoint N" for an
    /// announcement alone.
    static func pushes(_ actions: [SyncAction]) -> [String: String] {
        var pushes: [String: String] = [:]
        for action in actions {
            switch action {
            case .sendEntries(let peer, _, let message, _):
                if case .entries(let entries) = message.body { pushes[peer] = "entries from \(entries.firstIndex)" }
            case .send(let peer, let message):
                if case .checkpoint(let head) = message.body,
                    let checkpoint = try? SignedCheckpoint(parsing: Array(head.checkpoint))
                {
                    pushes[peer] = "checkpoint \(checkpoint.checkpoint.size)"
                }
            default:
                continue
            }
        }
        return pushes
    }

    @Test func anAppendedBatchGoesWithItsEntriesWhileThePeerIsKnownToHoldTheFeedUpToIt() throws {
        var (node, _) = established("XA", with: "RN")
        var author = try author()
        // RN holds nothing of the new feed: the first batch starts where it stands, and so does
        // each next one, as long as the entries went.
        #expect(Self.pushes(node.appended(try append(&author))) == ["RN": "entries from 0"])
        #expect(Self.pushes(node.appended(try append(&author))) == ["RN": "entries from 2"])
        // The edge could not send the entries (RN reads slowly): from then on RN is told of
        // checkpoints, and asks.
        node.entriesWithheld(from: "RN", of: author.origin)
        #expect(Self.pushes(node.appended(try append(&author))) == ["RN": "checkpoint 6"])
        #expect(Self.pushes(node.appended(try append(&author))) == ["RN": "checkpoint 8"])
    }

    @Test func aPeerServedToTheEndOfTheFeedIsPushedTheNextBatchWithItsEntries() throws {
        var node = node("XA")
        var author = try author()
        _ = node.appended(try append(&author))
        _ = node.connected(peer: "RN")
        _ = node.received(hello(from: "RN"), from: "RN", now: 1)
        let served = node.received(
            .with {
                $0.want = .with {
                    $0.origin = author.origin.description
                    $0.from = 0
                    $0.to = 2
                }
            }, from: "RN", now: 2)
        #expect(served.contains { if case .serve(peer: "RN", _, range: 0..<2) = $0 { true } else { false } })
        #expect(Self.pushes(node.appended(try append(&author))) == ["RN": "entries from 2"])
    }

    @Test func entriesBeyondWhatIsHeldAnnounceTheirCheckpointAndTheGapIsAskedFor() throws {
        var (node, _) = established("RN", with: "XA")
        var author = try author()
        _ = try append(&author)  // lost on the way
        let second = try append(&author)
        let actions = node.received(Self.entries(second, checkpoint: second.checkpoint), from: "XA", now: 2)
        #expect(!actions.contains { if case .store = $0 { true } else { false } })
        let wanted = actions.compactMap { action -> Range<UInt64>? in
            guard case .send("XA", let message) = action, case .want(let want) = message.body else { return nil }
            return want.from..<want.to
        }
        #expect(wanted == [0..<4])
    }
}

extension SyncNodeTests {
    /// A batch beyond what is held is read as an announcement, and checked as one: a forged
    /// checkpoint closes the session and nothing is stored or asked; one whose range overflows
    /// is dropped.
    @Test func entriesBeyondWhatIsHeldWithAForgedCheckpointAreRefused() throws {
        var (node, _) = established("RN", with: "XA")
        var forger = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"),
            key: Self.network.member("XB")!.key)
        _ = try append(&forger)
        let forged = try append(&forger)
        let actions = node.received(Self.entries(forged, checkpoint: forged.checkpoint), from: "XA", now: 2)
        #expect(Self.closes(actions, code: .unverifiable))
        #expect(!actions.contains { if case .store = $0 { true } else { false } })
        #expect(
            !actions.contains { if case .send(_, let message) = $0, case .want = message.body { true } else { false } })
        #expect(node.feeds[forged.origin]?.size ?? 0 == 0)

        var (other, _) = established("RN", with: "XA")
        var author = try author()
        let genuine = try append(&author)
        var overflowing = Self.entries(genuine, checkpoint: genuine.checkpoint)
        overflowing.entries.firstIndex = .max
        #expect(other.received(overflowing, from: "XA", now: 2).isEmpty)
        #expect(other.feeds[genuine.origin]?.size ?? 0 == 0)
    }

    /// A forged batch that continues a feed already held (recorded in place, PROTOCOL.md §9)
    /// closes the session and leaves the feed as it was: its size, its latest checkpoint and
    /// its table of checkpoints.
    @Test func aForgedBatchContinuingAHeldFeedLeavesItAsItWas() throws {
        var (node, _) = established("RN", with: "XA")
        var author = try author()
        let genuine = try append(&author)
        let stored = node.received(Self.entries(genuine, checkpoint: genuine.checkpoint), from: "XA", now: 2)
        #expect(stored.contains { if case .store = $0 { true } else { false } })
        let before = try #require(node.feeds[genuine.origin])
        #expect(before.size == 2)

        var forger = FeedAuthor(origin: genuine.origin, key: Self.network.member("XB")!.key, frontier: author.frontier)
        let forged = try append(&forger)
        let actions = node.received(Self.entries(forged, checkpoint: forged.checkpoint), from: "XA", now: 3)
        #expect(Self.closes(actions, code: .unverifiable))
        #expect(!actions.contains { if case .store = $0 { true } else { false } })
        let after = try #require(node.feeds[genuine.origin])
        #expect(after.size == before.size)
        #expect(after.latest?.checkpoint == before.latest?.checkpoint)
        #expect(after.checkpointRoots == before.checkpointRoots)
    }

    /// Only an author pushes entries: a relay announces what it received by its checkpoint,
    /// since its peers may have the batch already (from the author or another relay).
    @Test func aRelayAnnouncesABatchItReceivedByItsCheckpointAlone() throws {
        var node = node("RN")
        for peer in ["XA", "XC"] {
            _ = node.connected(peer: peer)
            _ = node.received(hello(from: peer), from: peer, now: 1)
        }
        var author = try author()
        let batch = try append(&author)
        _ = node.received(Self.entries(batch, checkpoint: batch.checkpoint), from: "XA", now: 2)
        #expect(
            Self.pushes(node.stored(origin: batch.origin, size: 2, now: 3)) == [
                "XA": "checkpoint 2", "XC": "checkpoint 2",
            ])
    }
}
