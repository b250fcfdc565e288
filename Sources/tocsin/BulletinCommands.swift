import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore

struct Bulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Warning bulletins: issue, update, cancel, list, show.",
        subcommands: [
            IssueBulletin.self, UpdateBulletin.self, CancelBulletin.self, ListBulletins.self, ShowBulletin.self,
        ])
}

/// The fields of a bulletin on the command line (CAP 1.2 names, lower-case values).
struct BulletinFields: ParsableArguments {
    @Option(help: "A short headline.")
    var headline: String?

    @Option(help: "extreme, severe, moderate, minor or unknown (CAP 1.2).")
    var severity: String?

    @Option(help: "ISO 3166-1 alpha-2 code of the state concerned (fictional states: XA–XZ).")
    var country: String?

    @Option(help: "The description.")
    var description: String?

    @Option(help: "immediate, expected, future, past or unknown.")
    var urgency: String?

    @Option(help: "observed, likely, possible, unlikely or unknown.")
    var certainty: String?

    @Option(help: "actual, exercise or test.")
    var status: String?

    @Option(help: "RFC 5646 language tag (default en).")
    var language: String?

    @Option(help: "An area concerned, described in words (repeatable; replaces the areas held).")
    var area: [String] = []

    @Option(
        help:
            "A risk factor (1–14) or indicator (e.g. 8.3) of the UN Framework of Analysis (repeatable; replaces those held)."
    )
    var riskFactor: [String] = []

    @Option(help: "A source, by name (repeatable; replaces the sources held).")
    var source: [String] = []

    @Option(help: "A recommended action (repeatable; replaces the actions held).")
    var action: [String] = []

    @Option(help: "When the bulletin stops applying (ISO 8601, e.g. 2026-12-31T00:00:00Z).")
    var expires: String?

    @Option(help: "Fields as JSON (the names of the admin API, e.g. areas with polygons); flags override it.")
    var file: String?

    /// The fields given: the file's, then the flags over them.
    func changes() throws -> BulletinChanges {
        var changes = BulletinChanges()
        if let file {
            let data = try Data(readFile(file, what: "bulletin file"))
            do {
                changes = try AdminJSON.decode(BulletinChanges.self, from: data)
            } catch {
                throw CommandFailure(
                    "\(file) must hold one JSON object of bulletin fields: \(AdminJSON.describe(error))")
            }
            // A misspelt field would be dropped without a word.
            if let unknown = Self.unknownField(in: data, understood: changes) {
                throw CommandFailure("\(file): \(unknown) is not a bulletin field")
            }
        }
        if let headline { changes.headline = headline }
        if let severity { changes.severity = severity }
        if let country { changes.country = country }
        if let description { changes.description = description }
        if let urgency { changes.urgency = urgency }
        if let certainty { changes.certainty = certainty }
        if let status { changes.status = status }
        if let language { changes.language = language }
        if let expires { changes.expires = expires }
        if !area.isEmpty { changes.areas = area.map { BulletinDraft.Area(description: $0) } }
        if !riskFactor.isEmpty { changes.riskFactors = riskFactor }
        if !source.isEmpty { changes.sources = source.map { BulletinDraft.Source(name: $0) } }
        if !action.isEmpty { changes.recommendedActions = action }
        return changes
    }

    /// The first key of a `--file` that a bulletin's fields have no place for.
    static func unknownField(in data: Data, understood changes: BulletinChanges) -> String? {
        guard case .object(var fields)? = try? JSONDecoder().decode(JSONValue.self, from: data),
            let understood = try? JSONDecoder().decode(JSONValue.self, from: AdminJSON.encode(changes))
        else { return nil }
        // The type and references of a bulletin shown with --json are the command's to set.
        fields["message_type"] = nil
        fields["references"] = nil
        return JSONValue.object(fields).firstKey(missingFrom: understood)
    }

    /// A whole new bulletin from the fields given: headline, severity and country are required.
    func draft() throws -> BulletinDraft {
        let changes = try changes()
        func required(_ value: String?, _ flag: String) throws -> String {
            guard let value else { throw CommandFailure("give --\(flag) (or \(flag) in --file)") }
            return value
        }
        let draft = BulletinDraft(
            headline: try required(changes.headline, "headline"), severity: try required(changes.severity, "severity"),
            country: try required(changes.country, "country"))
        return changes.applied(to: draft)
    }
}

/// Prints the new entry's reference (or the whole answer with --json).
func printCreated(_ created: Created, json: Bool) throws {
    if json { return try printJSON(created) }
    printLine(created.reference)
}

struct IssueBulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a bulletin at a running node; prints its reference <group>/<author>/<index>.")

    @Option(help: "The sharing group (its members receive the bulletin).")
    var group: String

    @OptionGroup var fields: BulletinFields
    @OptionGroup var admin: AdminOptions

    func run() throws {
        var draft = try fields.draft()
        draft.messageType = "alert"
        try printCreated(try admin.client().issue(BulletinRequest(group: group, draft: draft)), json: admin.json)
    }
}

struct UpdateBulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract:
            "Update one of this node's bulletins; fields not given keep their values. Prints the update's reference.",
        discussion: """
            The node merges the fields given into the bulletin as it stands (its latest update), \
            so areas with their polygons, circles and geocodes, risk factors, sources, actions \
            and expiry are kept unless a flag or --file gives new ones (a list given replaces the \
            list held; an empty list in --file clears it).
            """)

    @Argument(help: "The bulletin, <group>/<author>/<index>.")
    var reference: String

    @OptionGroup var fields: BulletinFields
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let changes = try fields.changes()
        guard !changes.isEmpty else { throw ValidationError("give at least one field to change") }
        try printCreated(try admin.client().update(reference, changes), json: admin.json)
    }
}

struct CancelBulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel one of this node's bulletins; prints the cancel's reference.")

    @Argument(help: "The bulletin, <group>/<author>/<index>.")
    var reference: String

    @Option(help: "Why it is cancelled.")
    var reason: String?

    @OptionGroup var admin: AdminOptions

    func run() throws {
        try printCreated(try admin.client().cancel(reference, reason: reason), json: admin.json)
    }
}

struct ListBulletins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the bulletins a node holds, newest first, with acknowledgements.")

    @Option(help: "At most this many (1–10,000).")
    var limit: Int = 100

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let list = try admin.client().bulletins(limit: limit)
        if admin.json { return try printJSON(list) }
        for bulletin in list {
            let counts = bulletin.acknowledgements
            printLine(
                "\(column(bulletin.reference, 12)) \(timeText(bulletin.issuedMs))  \(bulletin.severity) \(bulletin.country) [\(bulletin.state)] \(bulletin.headline)  received \(counts.received)/\(counts.members), read \(counts.read), acted on \(counts.actedOn)"
            )
        }
    }
}

struct ShowBulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a bulletin and which members acknowledged it, and when.")

    @Argument(help: "The bulletin, <group>/<author>/<index>.")
    var reference: String

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let detail = try admin.client().bulletin(reference)
        if admin.json { return try printJSON(detail) }
        let summary = detail.summary
        let bulletin = detail.bulletin
        printLine("\(summary.reference)  [\(summary.state)] \(summary.status)")
        printLine("headline     \(summary.headline)")
        printLine(
            "situation    \(summary.country), severity \(summary.severity), urgency \(summary.urgency), certainty \(summary.certainty)"
        )
        printLine("issued       \(timeText(summary.issuedMs)) by \(summary.author)")
        if let description = bulletin.description, !description.isEmpty { printLine("description  \(description)") }
        if let expires = bulletin.expires { printLine("expires      \(expires)") }
        for area in bulletin.areas ?? [] {
            let parts =
                [area.description] + (area.geocodes ?? []).map { "\($0.name)=\($0.value)" }
                + (area.polygons ?? []).map { "polygon \($0)" } + (area.circles ?? []).map { "circle \($0)" }
            printLine("area         \(parts.joined(separator: "; "))")
        }
        let lists: [(String, [String])] = [
            ("risk factors", bulletin.riskFactors ?? []),
            (
                "sources",
                (bulletin.sources ?? []).map { source in source.uri.map { "\(source.name) <\($0)>" } ?? source.name }
            ),
            ("actions", bulletin.recommendedActions ?? []), ("revisions", detail.revisions),
            ("refused", detail.refusedRevisions),
        ]
        for (label, values) in lists where !values.isEmpty {
            printLine("\(column(label, 13))\(values.joined(separator: ", "))")
        }
        printLine("acknowledgements:")
        for member in detail.members {
            printLine(
                "  \(column(member.member, 6)) received \(timeText(member.receivedMs))  read \(timeText(member.readMs))  acted on \(timeText(member.actedOnMs))"
            )
        }
    }
}
