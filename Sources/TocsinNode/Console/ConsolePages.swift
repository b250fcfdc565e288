import Foundation
import Hummingbird
import NIOCore
import TocsinAdmin
import TocsinCore

/// The console's pages as HTML, every text from `ConsoleCatalogue`. Everything from the log is
/// escaped; nothing is inline script or style (the Content-Security-Policy forbids both).
enum ConsolePages {
    typealias Language = ConsoleCatalogue.Language

    static func t(_ key: ConsoleCatalogue.Key, _ language: Language) -> String {
        escape(ConsoleCatalogue.text(key, language))
    }

    /// A page: header with navigation, language switch and sign-out, then `body` as the main
    /// content (which the script swaps when the node's consultation changes). `revision`: the
    /// consultation's revision read before the page was rendered, from which its script
    /// follows the changes (one made while the page loads is not missed).
    static func layout(
        _ body: String, language: Language, csrf: String, path: String, live: Bool = true, revision: UInt64? = nil
    ) -> String {
        let other: Language = language == .english ? .french : .english
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(t(.title, language))</title>
            <link rel="stylesheet" href="/assets/console.css">
            <script src="/assets/console.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#content">\(t(.skipToContent, language))</a>
            <header>
            <strong>\(t(.title, language))</strong>
            <nav aria-label="\(t(.title, language))"><a href="/">\(t(.inbox, language))</a> <a href="/issue">\(t(.issue, language))</a> <a href="/proposals">\(t(.proposals, language))</a> <a href="/network">\(t(.network, language))</a> <a href="/log">\(t(.log, language))</a></nav>
            <form method="post" action="/language">
            <input type="hidden" name="csrf" value="\(escape(csrf))">
            <input type="hidden" name="return" value="\(escape(path))">
            <input type="hidden" name="language" value="\(other.rawValue)">
            <button type="submit" lang="\(other.rawValue)" aria-label="\(escape(ConsoleCatalogue.text(.languageSwitched, language)))">\(escape(ConsoleCatalogue.text(.languageName, other)))</button>
            </form>
            <form method="post" action="/signout">
            <input type="hidden" name="csrf" value="\(escape(csrf))">
            <button type="submit">\(t(.signOut, language))</button>
            </form>
            </header>
            <p id="live-status" class="live" role="status" data-live="\(t(.live, language))" data-lost="\(t(.liveLost, language))"></p>
            <main id="content" data-live="\(live ? "on" : "off")"\(revision.map { " data-revision=\"\($0)\"" } ?? "") tabindex="-1">
            \(body.replacingOccurrences(of: "{{csrf}}", with: escape(csrf)))
            </main>
            </body>
            </html>

            """
    }

    /// A refusal as a page of its own (no session: no navigation).
    static func refusal(
        _ title: ConsoleCatalogue.Key, detail: String, status: HTTPResponse.Status, language: Language = .english
    ) -> Response {
        let page = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head><meta charset="utf-8"><title>\(t(title, language))</title>
            <link rel="stylesheet" href="/assets/console.css"></head>
            <body><main id="content"><h1>\(t(title, language))</h1><p class="problem">\(escape(detail))</p></main></body>
            </html>

            """
        var response = ConsoleServer.html(page, status: status)
        for field in ConsoleGuard.securityHeaders { response.headers[field.name] = field.value }
        return response
    }

    // MARK: - Inbox

    struct InboxFilters: Sendable {
        var group: String?
        var country: String?
        var severity: String?
        var status: String?

        init(query: Parameters) {
            func value(_ name: String) -> String? {
                guard let text = query.get(name), !text.isEmpty else { return nil }
                return text
            }
            group = value("group")
            country = value("country")
            severity = value("severity")
            status = value("status")
        }

        func admits(_ summary: BulletinSummary) -> Bool {
            (group == nil || summary.group == group) && (country == nil || summary.country == country)
                && (severity == nil || summary.severity == severity) && (status == nil || summary.state == status)
        }
    }

    static func inbox(
        _ all: [BulletinSummary], filters: InboxFilters, readByThisNode: Set<String>, nodeID: String,
        language: Language
    ) -> String {
        func select(_ name: String, _ label: ConsoleCatalogue.Key, _ values: [String], _ chosen: String?) -> String {
            let options = values.map { value in
                "<option value=\"\(escape(value))\"\(value == chosen ? " selected" : "")>\(escape(ConsoleCatalogue.word(value, language)))</option>"
            }.joined()
            return """
                <label for="filter-\(name)">\(t(label, language))</label>
                <select id="filter-\(name)" name="\(name)"><option value="">\(t(.any, language))</option>\(options)</select>
                """
        }
        let shown = all.filter(filters.admits)
        let rows = shown.map { summary -> String in
            let unread = summary.author != nodeID && !readByThisNode.contains(summary.reference)
            return """
                <tr\(unread ? " class=\"unread\"" : "")>
                <td>\(severityBadge(summary.severity, language))</td>
                <td><a href="/bulletins/\(escape(summary.reference))">\(escape(summary.headline))</a>\
                \(unread ? " <span class=\"badge\">\(t(.unread, language))</span>" : "")\
                \(summary.status == "exercise" ? " <span class=\"badge\">\(t(.exercise, language))</span>" : "")</td>
                <td>\(escape(summary.country))</td><td>\(escape(summary.group))</td><td>\(escape(summary.author))</td>
                <td>\(time(summary.issuedMs))</td><td>\(escape(ConsoleCatalogue.word(summary.state, language)))</td>
                <td>\(summary.acknowledgements.received)/\(summary.acknowledgements.members) \(t(.received, language)), \
                \(summary.acknowledgements.read) \(t(.read, language)), \(summary.acknowledgements.actedOn) \(t(.actedOn, language))</td>
                </tr>
                """
        }.joined(separator: "\n")
        let severities = ["extreme", "severe", "moderate", "minor", "unknown"]
        return """
            <h1>\(t(.inbox, language))</h1>
            <form class="filters" method="get" action="/" role="search" aria-label="\(t(.filters, language))">
            \(select("group", .group, Set(all.map(\.group)).sorted(), filters.group))
            \(select("country", .stateConcerned, Set(all.map(\.country)).sorted(), filters.country))
            \(select("severity", .severity, severities, filters.severity))
            \(select("status", .status, ["active", "updated", "cancelled"], filters.status))
            <button type="submit">\(t(.apply, language))</button>
            </form>
            \(shown.isEmpty ? "<p>\(t(.noBulletins, language))</p>" : """
            <table>
            <caption class="skip">\(t(.inbox, language))</caption>
            <thead><tr><th scope="col">\(t(.severity, language))</th><th scope="col">\(t(.headline, language))</th>\
            <th scope="col">\(t(.stateConcerned, language))</th><th scope="col">\(t(.group, language))</th>\
            <th scope="col">\(t(.author, language))</th><th scope="col">\(t(.issued, language))</th>\
            <th scope="col">\(t(.status, language))</th><th scope="col">\(t(.acknowledgements, language))</th></tr></thead>
            <tbody>
            \(rows)
            </tbody>
            </table>
            """)
            """
    }

    // MARK: - Pieces

    /// Severity in colour and in words (never colour alone).
    static func severityBadge(_ severity: String, _ language: Language) -> String {
        let known = ["extreme", "severe", "moderate", "minor"].contains(severity) ? severity : "unknown"
        return "<span class=\"severity severity-\(known)\">\(escape(ConsoleCatalogue.word(severity, language)))</span>"
    }

    static func time(_ milliseconds: Int64?) -> String {
        guard let milliseconds, milliseconds > 0 else { return "—" }
        return UTCTime.readable(milliseconds: milliseconds)
    }

    static func escape(_ text: String) -> String { HTMLText.escaped(text) }
}
