import TocsinAdmin
import TocsinCore

extension ConsolePages {
    /// Open proposals as `tocsin proposal list` orders them (undecided first, by priority, then
    /// deadline), each with its live standing and the time left.
    static func proposals(_ all: [ProposalSummary], nowMs: Int64, language: Language) -> String {
        let rows = all.map { proposal -> String in
            """
            <tr><td><a href="/proposals/\(escape(proposal.reference))">\(escape(proposal.title))</a></td>\
            <td>\(escape(proposal.group))</td><td>\(escape(ConsoleCatalogue.word(proposal.action, language)))</td>\
            <td>\(escape(ConsoleCatalogue.word(proposal.priority, language)))</td>\
            <td>\(standingText(proposal.standing, language))</td><td>\(countdown(proposal, nowMs: nowMs, language))</td>\
            <td>\(decisionText(proposal.decisions, language))</td></tr>
            """
        }.joined(separator: "\n")
        return """
            <h1>\(t(.proposals, language))</h1>
            <p><a href="/propose">\(t(.propose, language))</a></p>
            \(all.isEmpty ? "<p>\(t(.noProposals, language))</p>" : """
            <table id="proposals"><thead><tr><th scope="col">\(t(.proposalTitle, language))</th><th scope="col">\(t(.group, language))</th>\
            <th scope="col">\(t(.action, language))</th><th scope="col">\(t(.priority, language))</th>\
            <th scope="col">\(t(.standing, language))</th><th scope="col">\(t(.deadline, language))</th>\
            <th scope="col">\(t(.decisions, language))</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            """)
            """
    }

    /// One proposal: its terms, the standing against the policy's threshold, the time left,
    /// the votes with their statements, the vote form (voting members only, while it is open)
    /// and the decisions with their audit.
    static func proposal(_ detail: ProposalDetail, canVote: Bool, nowMs: Int64, language: Language) -> String {
        let summary = detail.summary
        let votes = detail.votes.map { vote -> String in
            """
            <tr><th scope="row">\(escape(vote.voter))</th><td>\(escape(ConsoleCatalogue.word(vote.position, language)))</td>\
            <td>\(escape(vote.statement))</td><td>\(time(vote.witnessedMs))</td>\
            <td>\(vote.counted ? t(.yes, language) : t(.no, language))</td></tr>
            """
        }.joined(separator: "\n")
        var form = ""
        if canVote, summary.decisions.allSatisfy({ $0.holds != true }) {
            let options = ["endorse", "object", "abstain"].map {
                "<option value=\"\($0)\">\(escape(ConsoleCatalogue.word($0, language)))</option>"
            }.joined()
            form = """
                <form method="post" action="/proposals/\(escape(summary.reference))/vote">
                <fieldset><legend>\(t(.vote, language))</legend>
                <input type="hidden" name="csrf" value="{{csrf}}">
                <label for="vote-position">\(t(.position, language))</label>
                <select id="vote-position" name="position">\(options)</select>
                <label for="vote-statement">\(t(.statement, language))</label>
                <textarea id="vote-statement" name="statement" rows="3"></textarea>
                <button class="primary" type="submit">\(t(.voteSubmit, language))</button>
                </fieldset></form>
                """
        }
        let decisions = summary.decisions.map { decision -> String in
            let verdict: String
            switch decision.holds {
            case true?: verdict = "<strong>\(t(.verified, language))</strong>"
            case false?:
                verdict =
                    "<strong>\(t(.flagged, language))</strong>: \(decision.findings.map(escape).joined(separator: "; "))"
            case nil: verdict = t(.notJudged, language)
            }
            return """
                <p class="\(decision.holds == false ? "problem" : "notice")" id="decision-\(escape(decision.reference))">\
                \(t(.outcome, language)): <strong class="outcome">\(escape(ConsoleCatalogue.word(decision.outcome, language)))</strong> \
                (\(t(.decidedBy, language)) \(escape(decision.author)), \(time(decision.closedMs))) — \(verdict)</p>
                """
        }.joined(separator: "\n")
        return """
            <h1>\(escape(summary.title))</h1>
            <dl class="fields">
            <dt>\(t(.reference, language))</dt><dd>\(escape(summary.reference))</dd>
            <dt>\(t(.proposer, language))</dt><dd>\(escape(summary.author))</dd>
            <dt>\(t(.group, language))</dt><dd>\(escape(summary.group))</dd>
            <dt>\(t(.action, language))</dt><dd>\(escape(ConsoleCatalogue.word(summary.action, language)))</dd>
            <dt>\(t(.policy, language))</dt><dd>\(escape(ConsoleCatalogue.word(summary.policy, language)))</dd>
            <dt>\(t(.deadline, language))</dt><dd>\(countdown(summary, nowMs: nowMs, language))</dd>
            \(detail.rationale.isEmpty ? "" : "<dt>\(t(.rationale, language))</dt><dd>\(escape(detail.rationale))</dd>")
            <dt>\(t(.standing, language))</dt><dd id="standing">\(standingText(summary.standing, language)) — \(escape(summary.standing.explanation))</dd>
            </dl>
            \(form)
            <h2>\(t(.votes, language))</h2>
            <table id="votes"><thead><tr><th scope="col">\(t(.voter, language))</th><th scope="col">\(t(.position, language))</th>\
            <th scope="col">\(t(.statement, language))</th><th scope="col">\(t(.witnessed, language))</th>\
            <th scope="col">\(t(.counted, language))</th></tr></thead>
            <tbody>
            \(votes)
            </tbody></table>
            <h2>\(t(.decisions, language))</h2>
            \(decisions.isEmpty ? "<p>\(t(.open, language))</p>" : decisions)
            """
    }

    /// The form that opens a proposal, with the API's error at its field.
    static func proposeForm(
        groups: [String], values: ConsoleForm, error: (field: String, message: String)?, language: Language
    ) -> String {
        let form = ConsoleFormFields(
            values: values, error: error, language: language,
            fields: ["group", "title", "action", "policy", "deadline", "priority", "rationale"])
        return """
            <h1>\(t(.propose, language))</h1>
            \(form.notice)
            <form method="post" action="/propose" novalidate>
            <input type="hidden" name="csrf" value="{{csrf}}">
            \(form.select("group", .group, groups, groups.first ?? ""))
            \(form.input("title", .proposalTitle, required: true))
            \(form.select("action", .action, ConsoleCatalogue.actionOrder, "fact-finding-mission"))
            \(form.select("policy", .policy, ["", "majority", "two-thirds", "consensus", "silence"], ""))
            \(form.select("priority", .priority, ["normal", "high", "urgent", "low"], "normal"))
            \(form.input("deadline", .deadline, required: true, hint: ConsoleCatalogue.text(.deadlineHint, language), preset: "7d"))
            \(form.textArea("rationale", .rationale))
            <button class="primary" type="submit">\(t(.propose, language))</button>
            </form>
            """
    }

    static func standingText(_ standing: ProposalSummary.Standing, _ language: Language) -> String {
        "\(standing.endorsements) \(escape(ConsoleCatalogue.word("endorse", language))), \(standing.objections) \(escape(ConsoleCatalogue.word("object", language))), \(standing.abstentions) \(escape(ConsoleCatalogue.word("abstain", language))) / \(standing.votingMembers)"
            + (standing.outcome.map { " → \(escape(ConsoleCatalogue.word($0, language)))" } ?? "")
    }

    static func countdown(_ proposal: ProposalSummary, nowMs: Int64, _ language: Language) -> String {
        if proposal.decisions.contains(where: { $0.holds == true }) {
            return
                "\(time(proposal.closesMs ?? proposal.deadlineMs)) (\(escape(ConsoleCatalogue.word("decided", language))))"
        }
        guard let closes = proposal.closesMs else {
            return "\(time(proposal.deadlineMs)) (\(t(.deliberationNotStarted, language)))"
        }
        let left = closes - nowMs
        guard left > 0 else { return "\(time(closes)) (\(t(.closed, language)))" }
        let minutes = left / 60_000
        let text =
            minutes >= 2 * 24 * 60
            ? "\(minutes / (24 * 60)) d" : minutes >= 120 ? "\(minutes / 60) h" : "\(max(minutes, 1)) min"
        return "\(time(closes)) (\(t(.closesIn, language)) \(text))"
    }

    static func decisionText(_ decisions: [ProposalSummary.Decision], _ language: Language) -> String {
        guard let decision = decisions.first(where: { $0.holds == true }) ?? decisions.first else { return "—" }
        let verdict = decision.holds == true ? "✓" : decision.holds == false ? t(.flagged, language) : "…"
        return "\(escape(ConsoleCatalogue.word(decision.outcome, language))) \(verdict)"
    }
}

extension ConsoleCatalogue {
    /// The actions a proposal may name, in the order the form offers them.
    static let actionOrder = [
        "fact-finding-mission", "good-offices", "regional-consultation", "public-statement", "peer-review",
        "referral-to-un", "other",
    ]
}
