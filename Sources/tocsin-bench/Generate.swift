import ArgumentParser
import Foundation
import TocsinCore
import TocsinDevelopment
import TocsinStore

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a complete, valid data directory of a fictional network.",
        discussion: """
            DIR/tocsin.sqlite holds the signed feeds; DIR/network/ holds the authority (ca.crt, \
            ca.key), charter.toml, charter.sig and every node's key and certificate (nodes/). \
            Entries are exercise bulletins about fictional states; each feed's author signs a \
            checkpoint after every batch.
            """)

    @Option(help: "The data directory to create (must not exist or be empty).")
    var dataDir: String

    @Option(help: "Number of feeds (one per national node and group).")
    var feeds: Int = 10

    @Option(help: "Total number of entries, spread evenly over the feeds.")
    var entries: Int = 10_000

    @Option(help: "Approximate size of each entry in bytes.")
    var entrySize: Int = 1024

    @Option(help: "Entries per signed checkpoint.")
    var batch: Int = 1000

    func run() throws {
        let start = monotonicSeconds()
        let directory = URL(fileURLWithPath: dataDir)
        let result = try BenchNetwork.generate(
            at: directory, feeds: feeds, entries: entries, entrySize: entrySize, batch: batch)
        let seconds = monotonicSeconds() - start
        emit([
            "scenario": "generate", "feeds": result.feeds, "entries": result.entries, "seconds": rounded(seconds, 3),
            "entries_per_second": rounded(Double(result.entries) / seconds),
            "network_id": result.networkID.description, "data_dir": directory.path,
        ])
    }
}

/// Builds fictional networks and their feeds.
enum BenchNetwork {
    struct Result {
        let feeds: Int
        let entries: Int
        let networkID: NetworkID
    }

    /// The (group, author) pairs of the first `count` feeds: each national's regional group,
    /// then the network-wide group.
    static func feedNames(_ network: FictionalNetwork, count: Int) -> [(group: String, author: String)] {
        let nationals = network.charter.nodes.filter { $0.role == .national }.map(\.id)
        var names: [(String, String)] = []
        for groupPass in 0..<2 {
            for national in nationals {
                let groups = network.charter.groups(of: national).map(\.id)
                let regional = groups.first { $0 != FictionalNetwork.networkWideGroup }!
                names.append((groupPass == 0 ? regional : FictionalNetwork.networkWideGroup, national))
            }
        }
        return Array(names.prefix(count))
    }

    static func generate(at directory: URL, feeds: Int, entries: Int, entrySize: Int, batch: Int) throws -> Result {
        let nationalCount = min(FictionalNetwork.nationalIDs.count, max(1, feeds))
        guard feeds >= 1, feeds <= nationalCount * 2 else {
            throw ValidationError("--feeds must be between 1 and \(FictionalNetwork.nationalIDs.count * 2)")
        }
        guard entries >= 0, batch >= 1, batch <= FeedAuthor.maximumBatchCount else {
            throw ValidationError("--entries must be ≥ 0 and --batch between 1 and \(FeedAuthor.maximumBatchCount)")
        }
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw ValidationError("\(directory.path) is not empty")
        }
        let now = Date()
        let network = try FictionalNetwork.make(nationals: nationalCount, relays: 2, observers: 1, now: now)
        try network.write(to: directory.appendingPathComponent("network"))
        let store = try FeedStore.create(
            at: directory, genesis: network.signedCharter, authorityCertificatePEM: network.authority.certificate.pem,
            now: now)
        let names = feedNames(network, count: feeds)
        var written = 0
        for (position, name) in names.enumerated() {
            let origin = try FeedOrigin(network: network.networkID, group: name.group, author: name.author)
            var author = FeedAuthor(origin: origin, key: network.member(name.author)!.key)
            let count = entries / feeds + (position < entries % feeds ? 1 : 0)
            var number = 0
            while number < count {
                let size = min(batch, count - number)
                let batchEntries = (0..<size).map { offset in
                    SampleEntries.bulletin(
                        number: number + offset, country: name.author, byteCount: entrySize,
                        authorTimeMs: Int64(now.timeIntervalSince1970 * 1000))
                }
                try store.append(author.append(batchEntries), now: now)
                number += size
                written += size
            }
        }
        return Result(feeds: names.count, entries: written, networkID: network.networkID)
    }
}
