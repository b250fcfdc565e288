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
        let form = ConsoleFormFields(
            values: values, error: error, language: language,
            fields: ["group", "headline", "severity", "urgency", "certainty", "status", "country", "description"])
        return """
            <h1>\(t(.issueTitle, language))</h1>
            \(form.notice)
            <form method="post" action="/issue" novalidate>
            <input type="hidden" name="csrf" value="{{csrf}}">
            \(form.select("group", .group, groups, groups.first ?? ""))
            \(form.input("headline", .headline, required: true))
            \(form.select("severity", .severity, ["extreme", "severe", "moderate", "minor", "unknown"], "severe"))
            \(form.select("urgency", .urgency, ["immediate", "expected", "future", "past", "unknown"], "unknown"))
            \(form.select("certainty", .certainty, ["observed", "likely", "possible", "unlikely", "unknown"], "unknown"))
            \(form.select("status", .status, ["actual", "exercise", "test"], "exercise"))
            \(form.input("country", .stateConcerned, required: true, hint: ConsoleCatalogue.text(.countryHint, language)))
            \(form.textArea("description", .description))
            <button class="primary" type="submit">\(t(.issueSubmit, language))</button>
            </form>
            <p><a href="/import-cap">\(t(.importLink, language))</a></p>
            """
    }

    /// The form that issues a bulletin from a CAP 1.2 file; it asks for the state concerned
    /// only when the alert names none.
    static func importForm(
        groups: [String], values: ConsoleForm, error: (field: String, message: String)?, language: Language
    ) -> String {
        let form = ConsoleFormFields(
            values: values, error: error, language: language, fields: ["group", "alert", "country", "language"])
        return """
            <h1>\(t(.importTitle, language))</h1>
            <p>\(t(.importHint, language))</p>
            \(form.notice)
            <form method="post" action="/import-cap" enctype="multipart/form-data" novalidate>
            <input type="hidden" name="csrf" value="{{csrf}}">
            \(form.select("group", .group, groups, groups.first ?? ""))
            \(form.file("alert", .alertFile, accept: ".xml,.cap,application/xml,text/xml"))
            \(form.input("country", .stateConcerned, hint: ConsoleCatalogue.text(.countryIfMissing, language)))
            \(form.input("language", .infoLanguage))
            <button class="primary" type="submit">\(t(.importSubmit, language))</button>
            </form>
            """
    }

    /// What an import issued, and what the alert carried that the bulletin does not keep.
    static func imported(_ reference: String, notes: [String], language: Language) -> String {
        let items = notes.map { "<li>\(escape($0))</li>" }.joined()
        return """
            <h1>\(t(.importedTitle, language))</h1>
            <p role="status" id="imported"><a href="/bulletins/\(escape(reference))">\(escape(reference))</a></p>
            \(notes.isEmpty ? "" : "<h2>\(t(.importNotes, language))</h2><ul id=\"import-notes\">\(items)</ul>")
            """
    }
}
