import TocsinCore

/// The readable report a dossier carries (PROTOCOL.md §11, "The report"): the story in order,
/// in English or French, as one self-contained HTML page that prints well, every statement
/// linked to the evidence behind it. Written from a `DossierVerification`, so it states only
/// what the verifier checked.
public struct DossierReport {
    public enum Language: String, CaseIterable, Sendable {
        case english = "en"
        case french = "fr"
    }

    let verification: DossierVerification
    let language: Language
    let text: Catalogue

    public init(verification: DossierVerification, language: Language) {
        self.verification = verification
        self.language = language
        text = language == .english ? Self.english : Self.french
    }

    public var html: String {
        let story = verification.story ?? DossierStory()
        var body = header(story)
        body += networkSection(story)
        body += warningSection(story)
        body += receiptSection(story)
        for proposal in story.proposals { body += proposalSections(proposal) }
        body += evidenceSection(story)
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <title>\(escape(text.title)): \(escape(story.networkName))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            \(body)
            </body>
            </html>

            """
    }

    static let style = """
        body { font-family: "DejaVu Serif", Georgia, serif; color: #111; max-width: 48rem; margin: 2rem auto; \
        line-height: 1.45; padding: 0 1rem; }
        h1, h2, h3 { font-family: "DejaVu Sans", Helvetica, sans-serif; }
        h2 { border-bottom: 1px solid #888; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
        th, td { border: 1px solid #999; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; \
        font-size: 0.9rem; }
        th { background: #eee; }
        .verdict { padding: 0.5rem; border: 2px solid #1a6b1a; background: #eef7ee; }
        .verdict.failed { border-color: #a11; background: #fbeaea; }
        .hash { font-family: "DejaVu Sans Mono", monospace; font-size: 0.75rem; word-break: break-all; }
        .evidence { break-inside: avoid; border-top: 1px dotted #999; padding-top: 0.3rem; }
        a { color: #0b3d91; }
        section, tr { break-inside: avoid; }
        @page { size: A4; margin: 18mm; }
        @media print { body { margin: 0; max-width: none; } a { color: inherit; } }
        """

    // MARK: - Sections

    func header(_ story: DossierStory) -> String {
        let verdict: String
        if verification.isVerified {
            verdict = "<p class=\"verdict\">\(escape(text.verified))</p>"
        } else {
            let failure = verification.firstFailure
            verdict =
                "<p class=\"verdict failed\">\(escape(text.notVerified)) \(escape(text.firstFailing)): <code>\(escape(failure?.element ?? "-"))</code> — \(escape(failure?.text ?? ""))</p>"
        }
        return """
            <h1>\(escape(text.title)): \(escape(story.networkName))</h1>
            \(verdict)
            <p>\(escape(text.exportedBy)) \(escape(name(story.exportedBy, story))), \(escape(story.exportedAt)). \
            \(escape(text.subjects)): \(story.subjects.map { link($0) }.joined(separator: ", ")).</p>

            """
    }

    func networkSection(_ story: DossierStory) -> String {
        let rows = story.charterVersions.map { (version: DossierStory.CharterVersionFacts) -> String in
            "<tr><td>\(version.version)</td><td>\(version.takesEffectMs == 0 ? escape(text.genesis) : time(version.takesEffectMs))</td><td class=\"hash\">\(version.sha256)</td></tr>"
        }.joined(separator: "\n")
        return """
            <section><h2>\(escape(text.network))</h2>
            <p>\(escape(text.networkID)): <span class="hash">\(story.networkID)</span><br>
            \(escape(text.authority)): <span class="hash">\(story.authorityFingerprint)</span></p>
            <table><caption>\(escape(text.nodes))</caption>
            <tr><th>Id</th><th>\(escape(text.nodeName))</th></tr>
            \(story.nodeNames.keys.sorted().map { "<tr><td>\(escape($0))</td><td>\(escape(story.nodeNames[$0]!))</td></tr>" as String }.joined(separator: "\n"))
            </table>
            <table><caption>\(escape(text.charterVersions))</caption>
            <tr><th>\(escape(text.version))</th><th>\(escape(text.takesEffect))</th><th>SHA-256</th></tr>
            \(rows)
            </table></section>

            """
    }

    func warningSection(_ story: DossierStory) -> String {
        let items = story.bulletins.map { bulletin -> String in
            let evidence = story.evidence[bulletin.reference]
            let revises =
                bulletin.revises.isEmpty
                ? "" : " (\(escape(text.revised)) \(bulletin.revises.map { link($0) }.joined(separator: ", ")))"
            return """
                <p>\(time(evidence?.authorTimeMs)): <strong>\(escape(name(bulletin.author, story)))</strong> \
                \(escape(text.issued)) \(escape(text.word(bulletin.messageType))) \(link(bulletin.reference))\(revises): \
                «&#x202F;\(escape(bulletin.headline))&#x202F;». \(escape(text.state)): \(escape(bulletin.country)); \
                \(escape(text.severity)): \(escape(text.word(bulletin.severity))). \(witnessed(evidence, story))</p>
                \(bulletin.description.isEmpty ? "" : "<blockquote>\(escape(bulletin.description))</blockquote>")
                """
        }.joined(separator: "\n")
        return "<section><h2>\(escape(text.warning))</h2>\n\(items)\n</section>\n"
    }

    func receiptSection(_ story: DossierStory) -> String {
        let rows = story.receipts.map { receipt -> String in
            let cells = ["received", "read", "acted-on"].map { level -> String in
                guard let held = receipt.levels.first(where: { $0.level == level }) else { return "<td>—</td>" }
                let evidence = story.evidence[held.reference]
                return
                    "<td>\(link(held.reference, label: time(held.authorTimeMs)))<br><small>\(witnessed(evidence, story))</small></td>"
            }.joined()
            return "<tr><td>\(escape(receipt.member))</td><td>\(link(receipt.target))</td>\(cells)</tr>"
        }.joined(separator: "\n")
        return """
            <section><h2>\(escape(text.receipts))</h2>
            <table><tr><th>\(escape(text.member))</th><th>\(escape(text.bulletin))</th><th>\(escape(text.received))</th>\
            <th>\(escape(text.read))</th><th>\(escape(text.actedOn))</th></tr>
            \(rows)
            </table></section>

            """
    }

    func proposalSections(_ proposal: DossierStory.Proposal) -> String {
        let story = verification.story ?? DossierStory()
        let votes = proposal.votes.map { vote -> String in
            """
            <tr><td>\(escape(vote.voter))</td><td>\(link(vote.reference, label: escape(text.word(vote.position))))</td>\
            <td>\(escape(vote.statement))</td><td>\(secondTime(vote.convenerWitnessedMs))</td>\
            <td>\(vote.counted ? text.yes : text.no)</td></tr>
            """
        }.joined(separator: "\n")
        var tally = ""
        if let result = proposal.tally {
            tally = """
                <section><h2>\(escape(text.tally))</h2>
                <p>\(escape(text.underCharter)) \(result.charterVersion). \(escape(text.policy)): \
                \(escape(text.word(result.policy)))\(result.policy == "consensus" ? " (quorum \(result.quorumPercent) %)" : ""). \
                \(escape(text.votingMembers)) (\(result.votingMembers.count)): \
                \(result.votingMembers.map { escape(name($0, story)) }.joined(separator: ", ")).</p>
                <table><tr><th>\(escape(text.endorse))</th><th>\(escape(text.object))</th><th>\(escape(text.abstain))</th>\
                <th>\(escape(text.outcomeGiven))</th></tr>
                <tr><td>\(result.endorsements)</td><td>\(result.objections)</td><td>\(result.abstentions)</td>\
                <td><strong>\(escape(text.word(result.outcome ?? text.open)))</strong></td></tr></table>
                <p><small>\(escape(result.explanation))</small></p></section>

                """
        }
        let decisions = proposal.decisions.map { decision -> String in
            let verdict =
                decision.findings.isEmpty
                ? escape(text.holds)
                : "\(escape(text.flagged)) \(decision.findings.map(escape).joined(separator: "; "))"
            return """
                <p>\(link(decision.reference)) \(escape(text.recordedBy)) <strong>\(escape(name(decision.author, story)))</strong>. \
                \(escape(text.outcome)): <strong>\(escape(text.word(decision.outcome)))</strong>. \(escape(text.closed)) \
                \(time(decision.closedMs)). \(witnessed(story.evidence[decision.reference], story))</p>
                <p>\(verdict)</p>
                \(decision.statement.isEmpty ? "" : "<blockquote>\(escape(decision.statement))</blockquote>")
                """
        }.joined(separator: "\n")
        let referrals = story.referrals.filter { referral in
            proposal.decisions.contains { $0.reference == referral.decision }
        }.map { referral -> String in
            let receipts = referral.receipts.map { receipt -> String in
                receipt.levels.map { level -> String in
                    "\(escape(name(receipt.member, story))): \(escape(text.word(level.level))) \(link(level.reference, label: time(level.authorTimeMs)))"
                }
                .joined(separator: "; ")
            }.joined(separator: "; ")
            guard referral.counts else {
                return
                    "<p>\(escape(text.referrals)) \(link(referral.reference)): \(escape(text.flagged)) \(referral.findings.map(escape).joined(separator: "; "))</p>"
            }
            return """
                <p>\(escape(text.referrals)) \(link(referral.reference)) \(escape(text.referredTo)) \
                \(referral.observers.map { escape(name($0, story)) }.joined(separator: ", ")). \(receipts)</p>
                """
        }.joined(separator: "\n")
        return """
            <section><h2>\(escape(text.proposal))</h2>
            <p>\(link(proposal.reference)) \(escape(text.proposedBy)) <strong>\(escape(name(proposal.proposer, story)))</strong>: \
            «&#x202F;\(escape(proposal.title))&#x202F;». \(escape(text.action)): \(escape(text.word(proposal.action))). \
            \(escape(text.deadline)): \(time(proposal.deadlineMs)). \(escape(text.convenerWitnessed)) \
            (\(escape(name(proposal.convener, story)))): \(secondTime(proposal.convenerWitnessedMs)).</p>
            \(proposal.rationale.isEmpty ? "" : "<blockquote>\(escape(proposal.rationale))</blockquote>")
            </section>
            <section><h2>\(escape(text.votes))</h2>
            <table><tr><th>\(escape(text.voter))</th><th>\(escape(text.position))</th><th>\(escape(text.statement))</th>\
            <th>\(escape(text.convenerWitnessed))</th><th>\(escape(text.counted))</th></tr>
            \(votes)
            </table></section>
            \(tally)<section><h2>\(escape(text.decision))</h2>
            \(decisions)
            \(referrals)
            </section>

            """
    }

    func evidenceSection(_ story: DossierStory) -> String {
        let items = story.evidence.keys.sorted().map { reference -> String in
            let evidence = story.evidence[reference]!
            return """
                <div class="evidence" id="entry-\(escape(reference))"><h3>\(escape(reference)) — \(escape(evidence.kind))</h3>
                <p>\(escape(text.leafHash)): <span class="hash">\(evidence.leafHash)</span><br>
                \(escape(text.checkpoint)): \(evidence.checkpointSize), <span class="hash">\(evidence.checkpointRoot)</span><br>
                \(escape(text.proofHashes)): <span class="hash">\(evidence.proofHashes.isEmpty ? escape(text.none) : evidence.proofHashes.joined(separator: " "))</span><br>
                \(witnessed(evidence, story)) — <a href="\(escape(evidence.path))">\(escape(text.entryFile))</a></p></div>
                """
        }.joined(separator: "\n")
        return
            "<section><h2>\(escape(text.evidence))</h2>\n<p>\(escape(text.evidenceIntro))</p>\n\(items)\n</section>\n"
    }

    // MARK: - Pieces

    func link(_ reference: String, label: String? = nil) -> String {
        "<a href=\"#entry-\(escape(reference))\">\(label ?? escape(reference))</a>"
    }

    func witnessed(_ evidence: DossierStory.Evidence?, _ story: DossierStory) -> String {
        guard let evidence, let milliseconds = evidence.witnessedMs else { return escape(text.notWitnessed) + "." }
        return
            "\(escape(text.witnessedAt)) \(secondTime(milliseconds)) \(escape(text.by)) \(evidence.witnessedBy.map(escape).joined(separator: ", ")) (\(link(evidence.reference, label: escape(text.proofLink))))."
    }

    func name(_ node: String, _ story: DossierStory) -> String {
        guard let full = story.nodeNames[node], full != node else { return node }
        return "\(node) (\(full))"
    }

    func time(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "—" }
        return escape(DossierTime.text(milliseconds: milliseconds))
    }

    /// A witnessing time: cosignatures are dated in whole seconds, so no milliseconds are shown
    /// (an entry written at 12:00:00.700 is witnessed "at 12:00:00", in that second).
    func secondTime(_ milliseconds: Int64?) -> String {
        guard let milliseconds else { return "—" }
        return escape(DossierTime.text(seconds: milliseconds / 1000))
    }

    func escape(_ text: String) -> String { HTMLText.escaped(text) }
}
