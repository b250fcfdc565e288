import ArgumentParser
import Foundation
import TocsinCore
import TocsinCrypto
import TocsinStore

struct Verify: ParsableCommand {
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
        let store = try FeedStore.open(directory: dataDirectory.url)
        let authority = try ca.map { path in
            try Certificate(pem: String(decoding: readFile(path, what: "authority certificate"), as: UTF8.self))
        }
        let report = try store.audit(authority: authority)
        if json {
            try printJSON([
                "holds": report.holds, "feeds": report.feeds, "entries": report.entries,
                "checkpoints": report.checkpoints,
                "cosignatures": report.cosignatures, "fork_proofs": report.forkProofs,
                "findings": report.findings.map { finding in
                    var fields: [String: Any] = [
                        "kind": finding.kind.rawValue, "subject": finding.subject, "message": finding.message,
                    ]
                    if let index = finding.index { fields["index"] = index }
                    return fields
                },
            ])
        } else {
            for finding in report.findings { print(finding.description) }
            let counts =
                "\(report.feeds) feeds, \(report.entries) entries, \(report.checkpoints) checkpoints, \(report.cosignatures) cosignatures, \(report.forkProofs) fork proofs"
            if report.holds {
                print("OK: \(counts); everything holds")
            } else {
                print("FAILED: \(report.findings.count) findings in \(counts)")
            }
        }
        if !report.holds { throw ExitCode(1) }
    }
}
