import ArgumentParser
import Foundation
import TocsinCore
import TocsinCrypto
import TocsinStore

struct Verify: ParsableCommand {
    /// The `--json` output.
    struct Report: Encodable {
        struct Finding: Encodable {
            let kind: String
            let subject: String
            let index: UInt64?
            let message: String
        }

        let holds: Bool
        let feeds: Int
        let entries: UInt64
        let checkpoints: Int
        let cosignatures: Int
        let forkProofs: Int
        let findings: [Finding]
    }

    static let configuration = CommandConfiguration(
        abstract: "Audit a data directory: recompute every feed and check every signature.",
        discussion: """
            Recomputes each feed's Merkle tree from the stored entry bytes, checks every \
            checkpoint against its author's key in the charter, every cosignature against its \
            witness's key, the charter chain against the authority, and every fork proof. Exit \
            status 0 when everything holds; 1 naming each feed and entry that does not, or each \
            fork held.
            """)

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Option(help: "Trust this authority certificate instead of the one stored in the data directory.")
    var ca: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let store = try FeedStore.open(directory: try dataDirectory.url)
        let authority = try ca.map { path in
            try Certificate(pem: String(decoding: readFile(path, what: "authority certificate"), as: UTF8.self))
        }
        // Progress on standard error: a redrawn line on a terminal, a line per feed when piped.
        // With --json and piped, nothing but the JSON is written.
        let progress = json && !Terminal.current.errorIsTerminal ? nil : Terminal.Progress()
        let report = try store.audit(authority: authority) { step in
            progress?.report(
                "verified \(step.feedsChecked) of \(step.feeds) feeds (\(step.entriesChecked) entries): \(step.origin)")
        }
        progress?.finish()
        if json {
            try printJSON(
                Report(
                    holds: report.holds, feeds: report.feeds, entries: report.entries, checkpoints: report.checkpoints,
                    cosignatures: report.cosignatures, forkProofs: report.forkProofs,
                    findings: report.findings.map {
                        Report.Finding(
                            kind: $0.kind.rawValue, subject: $0.subject, index: $0.index, message: $0.message)
                    }))
        } else {
            for finding in report.findings { printLine(finding.description) }
            let counts =
                "\(report.feeds) feeds, \(report.entries) entries, \(report.checkpoints) checkpoints, \(report.cosignatures) cosignatures, \(report.forkProofs) fork proofs"
            let terminal = Terminal.current
            if report.holds {
                print(terminal.paint("OK", .green) + Printable.escaped(": \(counts); everything holds"))
            } else {
                print(
                    terminal.paint("FAILED", .red)
                        + Printable.escaped(": \(report.findings.count) findings in \(counts)"))
            }
        }
        if !report.holds { throw ExitCode(1) }
    }
}
