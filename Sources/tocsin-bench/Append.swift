import ArgumentParser
import Foundation
import TocsinCore
import TocsinDevelopment
import TocsinStore

struct Append: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The author side: durable appends, one signed checkpoint per entry and per batch.",
        discussion: """
            Prints `append-single` (each entry its own transaction, fsync and signed \
            checkpoint) and `append-batch` (batches of --batch-size entries, one checkpoint each).
            """)

    @Option(help: "Entries appended one at a time.")
    var singleEntries: Int = 2000

    @Option(help: "Entries appended in batches.")
    var batchEntries: Int = 100_000

    @Option(help: "Entries per batch.")
    var batchSize: Int = 1000

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    func run() throws {
        let fixture = try BenchmarkFixture(nationals: 1, relays: 1)
        defer { fixture.scratch.remove() }
        let (now, network) = (fixture.now, fixture.network)
        let store = try fixture.store("XA")
        let author = network.member("XA")!

        func entries(_ count: Int) -> [[UInt8]] {
            (0..<count).map {
                SampleEntries.bulletin(number: $0, country: "XA", byteCount: entrySize, authorTimeMs: 1_800_000_000_000)
            }
        }

        // One entry, one checkpoint, one durable transaction at a time.
        let singles = entries(singleEntries)
        var single = FeedAuthor(
            origin: try FeedOrigin(network: network.networkID, group: "nro", author: "XA"), key: author.key)
        var start = monotonicSeconds()
        for entry in singles {
            try store.append(single.append([entry]), now: now)
        }
        var seconds = monotonicSeconds() - start
        emit([
            "scenario": "append-single", "entries": singleEntries, "seconds": rounded(seconds, 3),
            "entries_per_second": rounded(Double(singleEntries) / seconds),
            "mean_ms": rounded(seconds * 1000 / Double(max(singleEntries, 1)), 3),
        ])

        let batched = entries(batchEntries)
        var batchAuthor = FeedAuthor(
            origin: try FeedOrigin(network: network.networkID, group: FictionalNetwork.networkWideGroup, author: "XA"),
            key: author.key)
        start = monotonicSeconds()
        var offset = 0
        while offset < batched.count {
            let end = min(offset + batchSize, batched.count)
            try store.append(batchAuthor.append(Array(batched[offset..<end])), now: now)
            offset = end
        }
        seconds = monotonicSeconds() - start
        emit([
            "scenario": "append-batch", "entries": batchEntries, "batch_size": batchSize,
            "seconds": rounded(seconds, 3),
            "entries_per_second": rounded(Double(batchEntries) / seconds),
        ])
    }
}
