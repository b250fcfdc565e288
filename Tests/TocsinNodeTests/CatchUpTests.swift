import Foundation
import Testing
import TocsinCore
import TocsinDevelopment
import TocsinNode

/// Catching up on feeds whose batches would not fit one frame.
@Suite struct CatchUpTests {
    /// 70 bulletins of 250 KiB (17.5 MB, more than a 16 MiB frame) stored by a relay: a node
    /// that joins afterwards gets them in batches of at most 8 MiB, not in one frame it must
    /// refuse (and ask for again, forever).
    @Test func aFreshNodeCatchesUpAFeedOfLargeEntries() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA", "XC"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("XA", peers: ["RN"])
            var last: FeedBatch?
            for number in 0..<70 {
                last = try await local.append(
                    "XA", group: "nro",
                    [SampleEntries.bulletin(number: number, country: "XA", byteCount: 250 * 1024, authorTimeMs: 1)])
            }
            let origin = try #require(last).origin
            #expect(await local.waiter.wait(timeout: 60) { local.size("RN", origin) == 70 })
            // XA leaves: the newcomer can only learn the feed from the relay's store, where the
            // 70 single-entry checkpoints allow one 17.5 MB batch.
            await local.stop("XA")
            try await local.start("XC", peers: ["RN"])
            #expect(
                await local.waiter.wait(timeout: 60) { local.size("XC", origin) == 70 },
                "XC holds \(local.size("XC", origin)) of 70 entries")
            let refused = local.logs.lines(of: "tocsin.XC").filter { $0.text.contains("frame") }
            #expect(refused.isEmpty, "\(refused.map(\.text))")
        }
    }

    /// An author cannot sign a batch larger than a peer accepts: the append is refused, with
    /// what to do, and nothing is stored.
    @Test func anAppendOfMoreThanEightMebibytesIsRefused() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("XA", peers: ["RN"])
            let entries = (0..<40).map {
                SampleEntries.bulletin(number: $0, country: "XA", byteCount: 250 * 1024, authorTimeMs: 1)
            }
            await #expect {
                try await local.append("XA", group: "nro", entries)
            } throws: { error in
                guard case .batchTooManyBytes(let bytes, let limit) = error as? FeedRejection else { return false }
                return bytes > limit && limit == 8 << 20 && "\(error)".contains("several batches")
            }
            let origin = try FeedOrigin(network: local.network.networkID, group: "nro", author: "XA")
            #expect(local.size("XA", origin) == 0)
            // Half of them, in one batch, are fine.
            _ = try await local.append("XA", group: "nro", Array(entries.prefix(20)))
            #expect(local.size("XA", origin) == 20)
        }
    }
}
