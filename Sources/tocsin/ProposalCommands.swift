import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore

struct Proposal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Proposals of preventive action: open, list, show.",
        subcommands: [OpenProposal.self, ListProposals.self, ShowProposal.self])
}

struct OpenProposal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Propose a preventive action to a group; prints the proposal's reference.")

    @Option(help: "The group that decides.")
    var group: String

    @Option(help: "What is proposed, in a line.")
    var title: String

    @Option(
        help:
            "fact-finding-mission, good-offices, regional-consultation, public-statement, peer-review, referral-to-un or other."
    )
    var action: String

    @Option(help: "With --action other: what the action is.")
    var otherAction: String?

    @Option(help: "majority, two-thirds, consensus or silence (default: the group's policy in the charter).")
    var policy: String?

    @Option(help: "For consensus: the share of voting members that must take part, in percent.")
    var quorum: Int?

    @Option(help: "ISO 8601 time, or a duration from now such as 90s, 30m, 2h or 7d.")
    var deadline: String

    @Option(help: "low, normal, high or urgent (default normal).")
    var priority: String?

    @Option(help: "Why.")
    var rationale: String?

    @Option(help: "A bulletin the proposal acts on (repeatable).")
    var bulletin: [String] = []

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let draft = ConsultationEntries.ProposalDraft(
            title: title, action: action, otherAction: otherAction, rationale: rationale, priority: priority,
            policy: policy, quorumPercent: quorum, deadline: deadline, bulletins: bulletin.isEmpty ? nil : bulletin)
        try printCreated(try admin.client().propose(ProposalRequest(group: group, draft: draft)), json: admin.json)
    }
}

struct ListProposals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List proposals: open ones by priority, then deadline, with their live standing."
    )
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let list = try admin.client().proposals()
        if admin.json { return try printJSON(list) }
        for proposal in list {
            printLine(
                "\(column(proposal.reference, 12)) [\(proposal.state)] \(proposal.priority) \(closingText(proposal)) \(proposal.policy) \(proposal.action): \(proposal.title)  — \(proposal.standing.explanation)\(proposal.isFlagged ? "  FLAGGED DECISION" : "")"
            )
        }
    }
}

struct ShowProposal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a proposal, its votes, its standing and its decision, verified.")

    @Argument(help: "The proposal, <group>/<author>/<index>.")
    var reference: String

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let detail = try admin.client().proposal(reference)
        if admin.json { return try printJSON(detail) }
        let summary = detail.summary
        printLine("\(summary.reference)  [\(summary.state)] \(summary.title)")
        printLine("action    \(summary.action), priority \(summary.priority)")
        printLine("policy    \(summary.policy), \(closingText(summary))")
        printLine("charter   version \(summary.charterVersion) (convener \(summary.convener))")
        printLine("standing  \(summary.standing.explanation)")
        if !detail.rationale.isEmpty { printLine("rationale \(detail.rationale)") }
        if !detail.bulletins.isEmpty { printLine("acts on   \(detail.bulletins.joined(separator: ", "))") }
        printLine("votes:")
        for vote in detail.votes {
            printLine(
                "  \(column(vote.reference, 12)) \(vote.voter) \(vote.position), witnessed \(timeText(vote.witnessedMs)), \(vote.counted ? "counted" : "not counted")"
            )
        }
        for decision in summary.decisions {
            let verdict: String
            switch decision.holds {
            case true?: verdict = "verified: follows from the votes and the charter"
            case false?: verdict = "FLAGGED: " + decision.findings.joined(separator: "; ")
            case nil: verdict = "not yet verified (waiting for the votes it counts)"
            }
            printLine("decision  \(decision.reference) by \(decision.author): \(decision.outcome) — \(verdict)")
            printLine(
                decision.witnessed
                    ? "          final: witnessed by \(decision.witnessedBy.joined(separator: ", ")) (\(decision.witnessesNeeded) needed)"
                    : "          recorded, not yet witnessed (\(decision.witnessedBy.count) of \(decision.witnessesNeeded) witnesses needed)"
            )
        }
    }
}

/// When voting closes, as the node sees it: the deadline written, or later when the group's
/// deliberation time from the convener's first witnessing ends later.
func closingText(_ summary: ProposalSummary) -> String {
    guard let closes = summary.closesMs else {
        return "deadline \(timeText(summary.deadlineMs)) (deliberation starts when the convener witnesses it)"
    }
    guard closes != summary.deadlineMs else { return "closes \(timeText(closes))" }
    return
        "closes \(timeText(closes)) (deadline written \(timeText(summary.deadlineMs)), extended to the group's deliberation time)"
}
