import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore
import TocsinStore

struct Log: ParsableCommand {
    /// One entry in `--json` output.
    struct Line: Encodable {
        let reference: String
        let origin: String
        let index: UInt64
        let kind: String
        let summary: String
        let authorTime: String
        let leafHash: String
        let bytes: Int
    }

    static let configuration = CommandConfiguration(
        abstract: "List the entries a data directory holds, feed by feed.",
        discussion: """
            With --follow, keeps running after the listing and prints each entry as the node \
            stores it (reading the database every 200 ms; a running node is not disturbed), \
            until interrupted. With --follow --json, every entry is one JSON object on a line \
            of its own.
            """)

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Option(help: "Only entries of this group.")
    var group: String?

    @Option(help: "Only entries by this author (node id).")
    var author: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Keep printing entries as they are stored, until interrupted.")
    var follow = false

    /// How often (seconds) the store is read for new entries while following: an entry is
    /// printed at most this long after it is stored.
    static let followInterval: TimeInterval = 0.2

    func run() throws {
        let store = try FeedStore.open(directory: try dataDirectory.url)
        let entries = try store.entries(group: group, author: author)
        if follow {
            for entry in entries { try printFollowed(entry) }
            var printed: [FeedOrigin: UInt64] = [:]
            for entry in entries { printed[entry.origin] = max(printed[entry.origin] ?? 0, entry.index + 1) }
            try follow(store, after: printed)
        }
        if json {
            try printJSON(entries.map(Self.line))
            return
        }
        if entries.isEmpty {
            printLine("no entries\(group.map { " in group \($0)" } ?? "")\(author.map { " by \($0)" } ?? "")")
            return
        }
        for entry in entries { printLine(Self.text(entry)) }
    }

    static func line(_ entry: StoredEntry) -> Line {
        let summary = EntrySummary(bytes: entry.bytes)
        return Line(
            reference: entry.reference.description, origin: entry.origin.description, index: entry.index,
            kind: summary.kind, summary: summary.text, authorTime: isoTime(milliseconds: entry.authorTimeMs),
            leafHash: entry.leafHash.hex, bytes: entry.bytes.count)
    }

    static func text(_ entry: StoredEntry) -> String {
        let summary = EntrySummary(bytes: entry.bytes)
        let reference = entry.reference.description.padding(toLength: 16, withPad: " ", startingAt: 0)
        let kind = summary.kind.padding(toLength: 15, withPad: " ", startingAt: 0)
        return "\(reference) \(isoTime(milliseconds: entry.authorTimeMs))  \(kind) \(summary.text)"
    }

    /// One entry as it is followed: a line of text, or one compact JSON object on a line.
    func printFollowed(_ entry: StoredEntry) throws {
        if json {
            print(String(decoding: try AdminJSON.encode(Self.line(entry)), as: UTF8.self))
        } else {
            printLine(Self.text(entry))
        }
        fflush(nil)
    }

    /// Prints entries stored after the listing, feed by feed in the order they grow, until the
    /// process is interrupted (it never returns normally).
    func follow(_ store: FeedStore, after listed: [FeedOrigin: UInt64]) throws -> Never {
        func selected(_ origin: FeedOrigin) -> Bool {
            (group == nil || origin.group == group) && (author == nil || origin.author == author)
        }
        var printed = listed
        while true {
            Thread.sleep(forTimeInterval: Self.followInterval)
            for head in try store.heads() where selected(head.origin) {
                let from = printed[head.origin] ?? 0
                guard head.size > from else { continue }
                for entry in try store.entries(of: head.origin, in: from..<head.size) { try printFollowed(entry) }
                printed[head.origin] = head.size
            }
        }
    }
}
