import ArgumentParser
import Foundation
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
        abstract: "List the entries a data directory holds, feed by feed.")

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Option(help: "Only entries of this group.")
    var group: String?

    @Option(help: "Only entries by this author (node id).")
    var author: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let store = try FeedStore.open(directory: try dataDirectory.url)
        let entries = try store.entries(group: group, author: author)
        if json {
            try printJSON(
                entries.map { entry in
                    let summary = EntrySummary(bytes: entry.bytes)
                    return Line(
                        reference: entry.reference.description, origin: entry.origin.description, index: entry.index,
                        kind: summary.kind, summary: summary.text,
                        authorTime: isoTime(milliseconds: entry.authorTimeMs),
                        leafHash: entry.leafHash.hex, bytes: entry.bytes.count)
                })
            return
        }
        if entries.isEmpty {
            printLine("no entries\(group.map { " in group \($0)" } ?? "")\(author.map { " by \($0)" } ?? "")")
            return
        }
        for entry in entries {
            let summary = EntrySummary(bytes: entry.bytes)
            let reference = entry.reference.description.padding(toLength: 16, withPad: " ", startingAt: 0)
            let kind = summary.kind.padding(toLength: 15, withPad: " ", startingAt: 0)
            printLine("\(reference) \(isoTime(milliseconds: entry.authorTimeMs))  \(kind) \(summary.text)")
        }
    }
}
