import TocsinAdmin
import TocsinCore

extension ConsolePages {
    /// One bulletin: every field, its areas drawn, its revisions, and who received, read and
    /// acted on it and when; the buttons that mark it read or acted on.
    static func bulletin(_ detail: BulletinDetail, nodeID: String, language: Language) -> String {
        let summary = detail.summary
        let draft = detail.bulletin
        func row(_ key: ConsoleCatalogue.Key, _ value: String?) -> String {
            guard let value, !value.isEmpty else { return "" }
            return "<dt>\(t(key, language))</dt><dd>\(value)</dd>"
        }
        let own = detail.members.first { $0.member == nodeID }
        var buttons = ""
        if summary.author != nodeID {
            for (level, key, done) in [
                ("read", ConsoleCatalogue.Key.markRead, own?.readMs != nil),
                ("acted-on", .markActedOn, own?.actedOnMs != nil),
            ] where !done {
                buttons += """
                    <form method="post" action="/bulletins/\(escape(summary.reference))/acknowledge">
                    <input type="hidden" name="csrf" value="{{csrf}}">
                    <input type="hidden" name="level" value="\(level)">
                    <button class="primary" type="submit">\(t(key, language))</button>
                    </form>
                    """
            }
        }
        let timeline = detail.members.map { member -> String in
            "<tr><th scope=\"row\">\(escape(member.member))</th><td>\(time(member.receivedMs))</td><td>\(time(member.readMs))</td><td>\(time(member.actedOnMs))</td></tr>"
        }.joined(separator: "\n")
        let list = { (items: [String]) -> String in
            items.isEmpty ? "" : "<ul>" + items.map { "<li>\($0)</li>" }.joined() + "</ul>"
        }
        return """
            <h1>\(severityBadge(summary.severity, language)) \(escape(draft.headline))</h1>
            <dl class="fields">
            \(row(.reference, escape(summary.reference)))
            \(row(.author, escape(summary.author)))
            \(row(.group, escape(summary.group)))
            \(row(.issued, time(summary.issuedMs)))
            \(row(.status, escape(ConsoleCatalogue.word(summary.state, language)) + " · " + escape(ConsoleCatalogue.word(summary.status, language))))
            \(row(.stateConcerned, escape(draft.country)))
            \(row(.severity, escape(ConsoleCatalogue.word(draft.severity, language))))
            \(row(.urgency, draft.urgency.map { escape(ConsoleCatalogue.word($0, language)) }))
            \(row(.certainty, draft.certainty.map { escape(ConsoleCatalogue.word($0, language)) }))
            \(row(.description, draft.description.map(escape)))
            \(row(.riskFactors, draft.riskFactors.map { $0.map(escape).joined(separator: ", ") }))
            \(row(.sources, draft.sources.map { list($0.map { escape($0.name + ($0.uri.map { " (\($0))" } ?? "")) }) }))
            \(row(.actions, draft.recommendedActions.map { list($0.map(escape)) }))
            \(row(.expires, draft.expires.map(escape)))
            \(row(.latest, summary.latest.map { "<a href=\"/bulletins/\(escape($0))\">\(escape($0))</a>" }))
            </dl>
            <p><a href="/bulletins/\(escape(summary.latest ?? summary.reference))/cap" download>\(t(.exportCAP, language))</a></p>
            \(buttons)
            <h2>\(t(.areas, language))</h2>
            \(list((draft.areas ?? []).map { area in
                escape(([area.description] + (area.geocodes ?? []).map { "\($0.name)=\($0.value)" }).joined(separator: "; "))
            }))
            \(AreaMap(areas: draft.areas ?? []).svg(caption: ConsoleCatalogue.text(.mapCaption, language), empty: ConsoleCatalogue.text(.noAreas, language)))
            <h2>\(t(.revisions, language))</h2>
            \(list(detail.revisions.map { "<a href=\"/bulletins/\(escape($0))\">\(escape($0))</a>" }))
            \(detail.refusedRevisions.isEmpty ? "" : "<p>\(t(.refusedRevisions, language)): \(detail.refusedRevisions.map(escape).joined(separator: ", "))</p>")
            <h2>\(t(.timeline, language))</h2>
            <table id="timeline">
            <thead><tr><th scope="col">\(t(.member, language))</th><th scope="col">\(t(.received, language))</th>\
            <th scope="col">\(t(.read, language))</th><th scope="col">\(t(.actedOn, language))</th></tr></thead>
            <tbody>
            \(timeline)
            </tbody>
            </table>
            \(detail.notAcknowledged.isEmpty ? "" : "<p>\(t(.notAcknowledged, language)): \(detail.notAcknowledged.map(escape).joined(separator: ", "))</p>")
            """
    }

    /// The form that issues a bulletin, with the values given and the API's error shown at the
    /// field it names.
    static func issueForm(
        groups: [String], values: ConsoleForm, error: (field: String, message: String)?, language: Language
    ) -> String {
        func describedBy(_ field: String) -> String {
            error?.field == field ? " aria-invalid=\"true\" aria-describedby=\"error-\(field)\"" : ""
        }
        func errorText(_ field: String) -> String {
            guard let error, error.field == field else { return "" }
            return "<p class=\"error\" id=\"error-\(field)\">\(escape(error.message))</p>"
        }
        func input(_ field: String, _ key: ConsoleCatalogue.Key, required: Bool = false, hint: String? = nil) -> String
        {
            """
            <label for="field-\(field)">\(t(key, language))</label>
            \(hint.map { "<p id=\"hint-\(field)\">\(escape($0))</p>" } ?? "")
            <input id="field-\(field)" name="\(field)" value="\(escape(values[field] ?? ""))"\(required ? " required" : "")\(describedBy(field))>
            \(errorText(field))
            """
        }
        func select(_ field: String, _ key: ConsoleCatalogue.Key, _ options: [String], _ preset: String) -> String {
            let chosen = values[field] ?? preset
            return """
                <label for="field-\(field)">\(t(key, language))</label>
                <select id="field-\(field)" name="\(field)"\(describedBy(field))>\(options.map {
                    "<option value=\"\(escape($0))\"\($0 == chosen ? " selected" : "")>\(escape(ConsoleCatalogue.word($0, language)))</option>"
                }.joined())</select>
                \(errorText(field))
                """
        }
        let known = ["group", "headline", "severity", "urgency", "certainty", "status", "country", "description"]
        let otherError = error.flatMap {
            known.contains($0.field) ? nil : "<p class=\"problem\">\(escape($0.field)): \(escape($0.message))</p>"
        }
        return """
            <h1>\(t(.issueTitle, language))</h1>
            \(error == nil ? "" : "<p class=\"problem\" role=\"alert\">\(t(.fieldError, language))</p>")
            \(otherError ?? "")
            <form method="post" action="/issue" novalidate>
            <input type="hidden" name="csrf" value="{{csrf}}">
            \(select("group", .group, groups, groups.first ?? ""))
            \(input("headline", .headline, required: true))
            \(select("severity", .severity, ["extreme", "severe", "moderate", "minor", "unknown"], "severe"))
            \(select("urgency", .urgency, ["immediate", "expected", "future", "past", "unknown"], "unknown"))
            \(select("certainty", .certainty, ["observed", "likely", "possible", "unlikely", "unknown"], "unknown"))
            \(select("status", .status, ["actual", "exercise", "test"], "exercise"))
            \(input("country", .stateConcerned, required: true, hint: ConsoleCatalogue.text(.countryHint, language)))
            <label for="field-description">\(t(.description, language))</label>
            <textarea id="field-description" name="description" rows="5"\(describedBy("description"))>\(escape(values["description"] ?? ""))</textarea>
            \(errorText("description"))
            <button class="primary" type="submit">\(t(.issueSubmit, language))</button>
            </form>
            """
    }
}
