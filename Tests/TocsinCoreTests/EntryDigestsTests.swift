import Testing
import TocsinCrypto
import TocsinDevelopment

@testable import TocsinCore

/// A batch's per-entry work gives the same leaf hashes, headers and refusal whether it is
/// spread over cores or done on one thread: which a machine does depends on its cores.
@Suite struct EntryDigestsTests {
    static func bulletins(_ count: Int) -> [[UInt8]] {
        (0..<count).map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 300, authorTimeMs: 1_000) }
    }

    @Test(arguments: [1, 127, 128, 129, 1000])
    func hashingInParallelGivesWhatOneThreadGives(count: Int) throws {
        let entries = Self.bulletins(count)
        let parallel = try EntryDigests.compute(entries, firstIndex: 7, inParallel: true)
        let sequential = try EntryDigests.compute(entries, firstIndex: 7, inParallel: false)
        #expect(parallel.leafHashes == sequential.leafHashes)
        #expect(parallel.leafHashes == entries.map { MerkleHash.leaf($0) })
        #expect(parallel.headers == sequential.headers)
        #expect(parallel.headers.allSatisfy { $0.authorTimeMs == 1_000 })
        #expect(parallel.decoded.count == (count <= EntryDigests.keptDecodedLimit ? count : 0))
        #expect(parallel.decoded == sequential.decoded)
    }

    @Test func bothWaysNameTheLowestMalformedEntry() {
        var entries = Self.bulletins(600)
        // Malformed in two chunks: the lower index is the one reported, however the chunks ran.
        entries[450] = [0x08, 0x01, 0x10]
        entries[200] = [0xFF]
        for inParallel in [true, false] {
            #expect {
                try EntryDigests.compute(entries, firstIndex: 1_000, inParallel: inParallel)
            } throws: { error in
                guard case .malformedEntry(index: 1_200, _) = error as? FeedRejection else { return false }
                return true
            }
        }
    }
}
