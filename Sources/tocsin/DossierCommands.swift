import ArgumentParser
import Foundation
import TocsinCore
import TocsinDossier
import TocsinNode
import TocsinStore

/// `tocsin dossier export|verify`: a record taken out of the network and checked offline
/// (Docs/PROTOCOL.md §11).
struct DossierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier",
        abstract:
            "Export a bulletin's, a proposal's or a decision's record as a self-contained dossier, or verify one offline.",
        subcommands: [Export.self, VerifyDossier.self, Extract.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write the dossier of one or more entries: the entries, their proofs, the cosignatures, the charter, and a report in English and French.",
            discussion: """
                Each REF is <group>/<author>/<index> of a bulletin, a proposal or a decision. The \
                dossier holds what the record needs: for a decision its proposal; for a proposal its \
                bulletins, votes and decisions; for a bulletin its revisions, every member's \
                acknowledgements and the proposals naming it. It reads the node's data directory \
                (the daemon may be running). `tocsin dossier verify FILE` checks it anywhere.
                """)

        @Argument(help: "The entries: <group>/<author>/<index>.")
        var references: [String]

        @Option(help: "The dossier file to write (a ustar archive; .tar).")
        var out: String

        @OptionGroup var dataDirectory: DataDirectoryOption

        func run() throws {
            let subjects = try references.map { text in
                do { return try EntryReference(parsing: text) } catch {
                    throw ValidationError("\(text.debugDescription) is not <group>/<author>/<index>")
                }
            }
            let location = try dataDirectory.location()
            let store = try FeedStore.open(directory: location.dataDirectory)
            let exportedBy = location.configuration.flatMap { try? NodeConfiguration(contentsOf: $0).nodeID } ?? "-"
            let exporter = try DossierExporter(store: store)
            let (archive, unwitnessed) = try exporter.export(
                subjects: subjects, exportedBy: exportedBy, nowMs: Int64(Date().timeIntervalSince1970 * 1000))
            let url = URL(fileURLWithPath: out)
            do {
                try Data(archive).write(to: url, options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(out): \(error.localizedDescription)")
            }
            if !unwitnessed.isEmpty {
                FileHandle.standardError.write(
                    Data(
                        "warning: not yet witnessed, so the dossier will not verify: \(unwitnessed.map(\.description).joined(separator: ", ")); export again once the witnesses have cosigned (tocsin show REF --proof)\n"
                            .utf8))
            }
            print("wrote \(out) (\(archive.count) bytes)")
        }
    }

    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the dossier a referral carries, as its convener exported it.",
            discussion: """
                An observer receives a referral's dossier through the log; this writes it out, to \
                verify (`tocsin dossier verify`) and to pass on.
                """)

        @Argument(help: "The referral: <group>/<author>/<index>.")
        var reference: String

        @Option(help: "The dossier file to write.")
        var out: String

        @OptionGroup var dataDirectory: DataDirectoryOption

        func run() throws {
            let parsed: EntryReference
            do { parsed = try EntryReference(parsing: reference) } catch {
                throw ValidationError("\(reference.debugDescription) is not <group>/<author>/<index>")
            }
            let store = try FeedStore.open(directory: try dataDirectory.url)
            let origin = try FeedOrigin(network: store.networkID, group: parsed.group, author: parsed.author)
            guard let entry = try store.entry(origin: origin, index: parsed.index) else {
                throw CommandFailure("\(parsed) is not held here")
            }
            guard let decoded = try? EntryDecoder.decode(entry.bytes), case .referral(let referral) = decoded.payload
            else { throw CommandFailure("\(parsed) is not a referral") }
            do {
                try referral.dossier.write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(out): \(error.localizedDescription)")
            }
            print(
                "wrote \(out) (\(referral.dossier.count) bytes), the dossier of \(ConsultationBook.reference(referral.decision))"
            )
        }
    }

    struct VerifyDossier: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract:
                "Verify a dossier offline: hashes, proofs, signatures, cosignatures, the charter chain and the tally.",
            discussion: """
                Needs no data directory and no network. Prints each check with its verdict, then the \
                story the dossier proves. Exits 1 and names the first element that fails. Compare \
                the authority certificate's SHA-256 it prints with the one the network's authority \
                publishes.
                """)

        @Argument(help: "The dossier file.")
        var file: String

        func run() throws {
            // Read no more than a dossier may hold: a larger file is refused, not loaded.
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw CommandFailure("cannot read the dossier at \(file)")
            }
            defer { try? handle.close() }
            let data = (try? handle.read(upToCount: TarArchive.maximumByteCount + 1)) ?? Data()
            let verification = DossierVerifier.verify(Array(data))
            for check in verification.checks {
                printLine("\(check.passed ? "ok  " : "FAIL") \(check.element): \(check.text)")
            }
            if let story = verification.story { printStory(story) }
            if let failure = verification.firstFailure {
                printLine("")
                printLine("DOES NOT VERIFY. First failing element: \(failure.element): \(failure.text)")
                throw ExitCode(1)
            }
            guard verification.isVerified else { throw ExitCode(1) }
            print("")
            print("DOSSIER VERIFIED")
        }

        func printStory(_ story: DossierStory) {
            func time(_ milliseconds: Int64?) -> String {
                milliseconds.map { DossierTime.text(milliseconds: $0) } ?? "-"
            }
            func second(_ milliseconds: Int64?) -> String {
                milliseconds.map { DossierTime.text(seconds: $0 / 1000) } ?? "-"
            }
            func witnessed(_ reference: String) -> String {
                guard let evidence = story.evidence[reference], let at = evidence.witnessedMs else {
                    return "not witnessed"
                }
                return "witnessed \(second(at)) by \(evidence.witnessedBy.joined(separator: ", "))"
            }
            print("")
            print("The story (every line checked above):")
            print(
                "  network \(story.networkName.debugDescription) \(story.networkID.prefix(16)), authority certificate SHA-256 \(story.authorityFingerprint)"
            )
            for bulletin in story.bulletins {
                printLine(
                    "  ok  \(time(story.evidence[bulletin.reference]?.authorTimeMs)) \(bulletin.author) issued \(bulletin.messageType) \(bulletin.reference): \(bulletin.headline.debugDescription) (\(bulletin.country), \(bulletin.severity)); \(witnessed(bulletin.reference))"
                )
            }
            for receipt in story.receipts {
                let levels = receipt.levels.map { "\($0.level) \(time($0.authorTimeMs)) (\(witnessed($0.reference)))" }
                printLine("  ok  \(receipt.member) on \(receipt.target): \(levels.joined(separator: "; "))")
            }
            for proposal in story.proposals {
                printLine(
                    "  ok  \(proposal.proposer) proposed \(proposal.reference) (\(proposal.action)): \(proposal.title.debugDescription); deadline \(time(proposal.deadlineMs)); witnessed by the convener \(proposal.convener) \(second(proposal.convenerWitnessedMs))"
                )
                for vote in proposal.votes {
                    printLine(
                        "  ok  \(vote.voter) voted \(vote.position) (\(vote.reference)), witnessed by the convener \(second(vote.convenerWitnessedMs)); \(vote.counted ? "counted" : "not counted")\(vote.statement.isEmpty ? "" : ": \(vote.statement.debugDescription)")"
                    )
                }
                if let tally = proposal.tally {
                    printLine(
                        "  ok  tally under charter version \(tally.charterVersion) (\(tally.policy)): \(tally.endorsements) endorse, \(tally.objections) object, \(tally.abstentions) abstain of \(tally.votingMembers.count): \(tally.outcome ?? "open")"
                    )
                }
                for decision in proposal.decisions {
                    printLine(
                        "  \(decision.findings.isEmpty ? "ok  " : "FLAG") \(decision.author) decided \(decision.outcome) (\(decision.reference)), closed \(time(decision.closedMs)): \(decision.findings.isEmpty ? "follows from the votes" : decision.findings.joined(separator: "; "))"
                    )
                }
            }
            for referral in story.referrals {
                printLine(
                    "  \(referral.counts ? "ok  " : "FLAG") referral \(referral.reference) of \(referral.decision) to \(referral.observers.joined(separator: ", "))\(referral.counts ? "" : " does not count: \(referral.findings.joined(separator: "; "))"); receipts: \(referral.receipts.map(\.member).joined(separator: ", "))"
                )
            }
        }
    }
}
