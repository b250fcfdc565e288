import TocsinAdmin
import TocsinCore
import TocsinDossier

extension ConsolePages {
    /// The network as this node sees it: peers and their connection, feeds and their
    /// witnesses, fork proofs and frozen feeds, the charter in force, and notification
    /// channels that fail.
    static func network(
        peers: [PeerStatus], feeds: [FeedReport], forks: [ForkReport], charter: CharterHistory,
        notifications: NotificationReport?, language: Language
    ) -> String {
        let peerRows = peers.map { peer -> String in
            "<tr><th scope=\"row\">\(escape(peer.nodeID))</th><td>\(escape(peer.role))</td><td>\(escape(peer.address ?? "—"))</td><td>\(peer.connected ? t(.connected, language) : "<strong>\(t(.notConnected, language))</strong>")</td><td>\(peer.lagEntries)</td><td>\(peer.lastContactMs.map { UTCTime.readable(milliseconds: $0) } ?? t(.never, language))</td><td>\(peer.unansweredWants)</td></tr>"
        }.joined(separator: "\n")
        let feedRows = feeds.map { feed -> String in
            """
            <tr><th scope="row"><a href="/log?group=\(escape(feed.group))&amp;author=\(escape(feed.author))">\(escape(feed.group))/\(escape(feed.author))</a></th>\
            <td>\(feed.size)</td><td>\(feed.witnessed ? "✓ " : "")\(feed.witnessedBy.map(escape).joined(separator: ", ")) \
            (\(feed.witnessQuorum) / \(feed.witnesses.map(escape).joined(separator: ", ")))</td>\
            <td>\(feed.frozen ? "<strong>\(t(.frozen, language))</strong>" : "")</td></tr>
            """
        }.joined(separator: "\n")
        let forkItems = forks.map { "<li>\(escape($0.origin)): \($0.firstSize) / \($0.secondSize)</li>" }.joined()
        let inForce = charter.versions.first { $0.inForce }
        let problems = (notifications?.problems ?? []).map { problem -> String in
            "<li class=\"problem\">\(escape(problem.channel)): \(problem.undelivered) \(t(.undelivered, language)), \(problem.attempts) \(t(.attempts, language)); \(escape(problem.lastError))</li>"
        }.joined()
        return """
            <h1>\(t(.network, language))</h1>
            \(problems.isEmpty ? "" : "<h2>\(t(.notificationsFailing, language))</h2><ul>\(problems)</ul>")
            <h2>\(t(.peers, language))</h2>
            <table id="peers"><thead><tr><th scope="col">\(t(.node, language))</th><th scope="col">\(t(.role, language))</th>\
            <th scope="col">\(t(.address, language))</th><th scope="col">\(t(.connection, language))</th>\
            <th scope="col">\(t(.lag, language))</th><th scope="col">\(t(.lastContact, language))</th>\
            <th scope="col">\(t(.unanswered, language))</th></tr></thead><tbody>
            \(peerRows)
            </tbody></table>
            <h2>\(t(.feeds, language))</h2>
            <table id="feeds"><thead><tr><th scope="col">\(t(.feed, language))</th><th scope="col">\(t(.entries, language))</th>\
            <th scope="col">\(t(.witnesses, language))</th><th scope="col">\(t(.frozen, language))</th></tr></thead><tbody>
            \(feedRows)
            </tbody></table>
            <h2>\(t(.forks, language))</h2>
            \(forks.isEmpty ? "<p>\(t(.none, language))</p>" : "<ul>\(forkItems)</ul>")
            <h2>\(t(.charterInForce, language))</h2>
            <p>\(inForce.map { "\(t(.version, language)) \($0.version), \(escape($0.takesEffect)), SHA-256 <code>\(escape($0.sha256))</code>" } ?? "—")</p>
            """
    }

    /// The log: entries of a feed (or every feed), each linked to its page.
    static func log(_ entries: [EntryReport], language: Language) -> String {
        let rows = entries.map { entry -> String in
            "<tr><th scope=\"row\"><a href=\"/log/\(escape(entry.reference))\">\(escape(entry.reference))</a></th><td>\(escape(entry.kind))</td><td>\(escape(entry.summary))</td><td>\(time(entry.authorTimeMs))</td></tr>"
        }.joined(separator: "\n")
        return """
            <h1>\(t(.log, language))</h1>
            <table id="log"><thead><tr><th scope="col">\(t(.reference, language))</th><th scope="col">\(t(.kind, language))</th>\
            <th scope="col">\(t(.summary, language))</th><th scope="col">\(t(.issued, language))</th></tr></thead><tbody>
            \(rows)
            </tbody></table>
            """
    }

    /// One entry with its inclusion proof and checkpoint; `verification` when the operator
    /// asked the node to check it.
    static func logEntry(_ document: EntryProofDocument, signed: Bool, verify: Bool, language: Language) -> String {
        let proof = document.proof
        var verdict = ""
        if verify, let proof {
            let holds = proof.verified == true && signed
            verdict = """
                <p id="verdict" class="\(holds ? "notice" : "problem")" role="status">\(holds ? t(.proofHolds, language) : t(.proofFails, language)) \
                (\(t(.leafHash, language)) ✓, \(t(.inclusion, language)) \(proof.verified == true ? "✓" : "✗"), \
                \(t(.authorSignature, language)) \(signed ? "✓" : "✗"), \(t(.witnesses, language)): \
                \((proof.witnessedBy ?? []).map(escape).joined(separator: ", ")))</p>
                """
        }
        return """
            <h1>\(escape(document.reference)) — \(escape(document.kind ?? ""))</h1>
            <p>\(escape(document.summary ?? ""))</p>
            <form method="get" action="/log/\(escape(document.reference))"><input type="hidden" name="verify" value="1">\
            <button class="primary" type="submit">\(t(.verifyEntry, language))</button></form>
            \(verdict)
            <dl class="fields">
            <dt>\(t(.leafHash, language))</dt><dd><code>\(escape(document.leafHash))</code></dd>
            <dt>\(t(.checkpoint, language))</dt><dd>\(proof.map { "\($0.treeSize) · <code>\(escape($0.root))</code>" } ?? "—")</dd>
            <dt>\(t(.inclusion, language))</dt><dd><code>\(proof.map { $0.hashes.map(escape).joined(separator: " ") } ?? "—")</code></dd>
            </dl>
            <h2>\(t(.checkpoint, language))</h2>
            <pre>\(escape(proof?.checkpoint ?? ""))</pre>
            """
    }
}
