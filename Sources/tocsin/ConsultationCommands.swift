import ArgumentParser
import Foundation
import TocsinCAP
import TocsinCore
import TocsinCrypto

/// Milliseconds since 1970 as an ISO 8601 time (UTC), for listings.
func timeText(_ value: Any?) -> String {
    guard let milliseconds = (value as? NSNumber)?.doubleValue, milliseconds > 0 else { return "-" }
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: Date(timeIntervalSince1970: milliseconds / 1000))
}

/// Splits `<group>/<author>/<index>` for an admin API path.
func referencePath(_ reference: String) throws -> String {
    let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }), UInt64(parts[2]) != nil else {
        throw CommandFailure("\(reference) is not a reference <group>/<author>/<index>, e.g. nro/XA/12")
    }
    return parts.joined(separator: "/")
}

/// Prints the new entry's reference (or the whole answer with --json).
func printCreated(_ answer: Any, json: Bool) throws {
    if json { return try printJSON(answer) }
    print((answer as? [String: Any])?["reference"] as? String ?? "?")
}

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

    @Option(help: "An area concerned, described in words (repeatable).")
    var area: [String] = []

    @Option(help: "A risk factor (1–14) or indicator (e.g. 8.3) of the UN Framework of Analysis (repeatable).")
    var riskFactor: [String] = []

    @Option(help: "A source, by name (repeatable).")
    var source: [String] = []

    @Option(help: "A recommended action (repeatable).")
    var action: [String] = []

    @Option(help: "When the bulletin stops applying (ISO 8601, e.g. 2026-12-31T00:00:00Z).")
    var expires: String?

    @Option(help: "The whole bulletin as JSON (field names as in the admin API); flags override it.")
    var file: String?

    /// The JSON body: the file's fields, then `defaults` where missing, then the flags.
    func body(defaults: [String: Any] = [:]) throws -> [String: Any] {
        var body: [String: Any] = [:]
        if let file {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CommandFailure("\(file) must hold one JSON object (a bulletin)")
            }
            body = object
        }
        for (key, value) in defaults where body[key] == nil { body[key] = value }
        let flags: [(String, Any?)] = [
            ("headline", headline), ("severity", severity), ("country", country), ("description", description),
            ("urgency", urgency), ("certainty", certainty), ("status", status), ("language", language),
            ("expires", expires),
            ("areas", area.isEmpty ? nil : area.map { ["description": $0] }),
            ("risk_factors", riskFactor.isEmpty ? nil : riskFactor),
            ("sources", source.isEmpty ? nil : source.map { ["name": $0] }),
            ("recommended_actions", action.isEmpty ? nil : action),
        ]
        for (key, value) in flags { if let value { body[key] = value } }
        return body
    }
}

struct IssueBulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a bulletin at a running node; prints its reference <group>/<author>/<index>.")

    @Option(help: "The sharing group (its members receive the bulletin).")
    var group: String?

    @OptionGroup var fields: BulletinFields
    @OptionGroup var admin: AdminOptions

    func run() throws {
        var body = try fields.body()
        if let group { body["group"] = group }
        body["message_type"] = "alert"
        let answer = try admin.client().json(
            "POST", "/v1/bulletins", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
    }
}

/// The fields of a held bulletin, as defaults for its update or cancel.
func currentFields(of reference: String, client: AdminClient) throws -> [String: Any] {
    let detail = try client.json("GET", "/v1/bulletins/\(try referencePath(reference))") as? [String: Any] ?? [:]
    let summary = detail["summary"] as? [String: Any] ?? [:]
    var fields: [String: Any] = [:]
    for key in ["headline", "severity", "country", "urgency", "certainty", "status"] {
        fields[key] = summary[key]
    }
    fields["description"] = detail["description"]
    fields["language"] = detail["language"]
    return fields
}

struct UpdateBulletin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract:
            "Update one of this node's bulletins; fields not given keep their values. Prints the update's reference.")

    @Argument(help: "The bulletin, <group>/<author>/<index>.")
    var reference: String

    @OptionGroup var fields: BulletinFields
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let client = try admin.client()
        var body = try fields.body(defaults: try currentFields(of: reference, client: client))
        body["message_type"] = "update"
        body["references"] = [reference]
        let answer = try client.json("POST", "/v1/bulletins", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
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
        let client = try admin.client()
        var body = try currentFields(of: reference, client: client)
        body["message_type"] = "cancel"
        body["references"] = [reference]
        if let reason { body["description"] = reason }
        let answer = try client.json("POST", "/v1/bulletins", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
    }
}

struct ListBulletins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the bulletins a node holds, newest first, with acknowledgements.")
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let list = try admin.client().json("GET", "/v1/bulletins")
        if admin.json { return try printJSON(list) }
        for bulletin in list as? [[String: Any]] ?? [] {
            let acknowledgements = bulletin["acknowledgements"] as? [String: Any] ?? [:]
            let members = acknowledgements["members"] ?? 0
            print(
                "\((bulletin["reference"] as? String ?? "?").padding(toLength: 12, withPad: " ", startingAt: 0)) \(timeText(bulletin["issued_ms"]))  \(bulletin["severity"] ?? "?") \(bulletin["country"] ?? "?") [\(bulletin["state"] ?? "?")] \(bulletin["headline"] ?? "")  received \(acknowledgements["received"] ?? 0)/\(members), read \(acknowledgements["read"] ?? 0), acted on \(acknowledgements["acted_on"] ?? 0)"
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
        let detail = try admin.client().json("GET", "/v1/bulletins/\(try referencePath(reference))")
        if admin.json { return try printJSON(detail) }
        guard let fields = detail as? [String: Any], let summary = fields["summary"] as? [String: Any] else { return }
        print("\(summary["reference"] ?? "?")  [\(summary["state"] ?? "?")] \(summary["status"] ?? "")")
        print("headline    \(summary["headline"] ?? "")")
        print(
            "situation   \(summary["country"] ?? "?"), severity \(summary["severity"] ?? "?"), urgency \(summary["urgency"] ?? "?"), certainty \(summary["certainty"] ?? "?")"
        )
        print("issued      \(timeText(summary["issued_ms"])) by \(summary["author"] ?? "?")")
        if let description = fields["description"] as? String, !description.isEmpty {
            print("description \(description)")
        }
        for (label, key) in [
            ("areas", "areas"), ("risk factors", "risk_factors"), ("sources", "sources"),
            ("actions", "recommended_actions"), ("revisions", "revisions"), ("refused", "refused_revisions"),
        ] {
            if let values = fields[key] as? [String], !values.isEmpty {
                print("\(label.padding(toLength: 13, withPad: " ", startingAt: 0))\(values.joined(separator: ", "))")
            }
        }
        print("acknowledgements:")
        for member in fields["members"] as? [[String: Any]] ?? [] {
            print(
                "  \((member["member"] as? String ?? "?").padding(toLength: 6, withPad: " ", startingAt: 0)) received \(timeText(member["received_ms"]))  read \(timeText(member["read_ms"]))  acted on \(timeText(member["acted_on_ms"]))"
            )
        }
    }
}

struct Acknowledge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge a bulletin as read (default) or acted on; prints the acknowledgement's reference.",
        discussion: "Receipt is acknowledged by the node itself when it stores a bulletin of its groups.")

    @Argument(help: "The bulletin, <group>/<author>/<index>.")
    var reference: String

    @Flag(help: "The operator has read it.")
    var read = false

    @Flag(help: "The operator has acted on it.")
    var acted = false

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        if read && acted { throw ValidationError("give --read or --acted, not both") }
    }

    func run() throws {
        let body: [String: Any] = ["bulletin": reference, "level": acted ? "acted-on" : "read"]
        let answer = try admin.client().json(
            "POST", "/v1/acknowledgements", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
    }
}

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
        var body: [String: Any] = ["group": group, "title": title, "action": action, "deadline": deadline]
        if let otherAction { body["other_action"] = otherAction }
        if let policy { body["policy"] = policy }
        if let quorum { body["quorum_percent"] = quorum }
        if let priority { body["priority"] = priority }
        if let rationale { body["rationale"] = rationale }
        if !bulletin.isEmpty { body["bulletins"] = bulletin }
        let answer = try admin.client().json(
            "POST", "/v1/proposals", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
    }
}

/// One line of a proposal's standing.
func standingText(_ proposal: [String: Any]) -> String {
    let standing = proposal["standing"] as? [String: Any] ?? [:]
    return "\(standing["explanation"] ?? "")"
}

struct ListProposals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List proposals: open ones by priority, then deadline, with their live standing."
    )
    @OptionGroup var admin: AdminOptions

    func run() throws {
        let list = try admin.client().json("GET", "/v1/proposals")
        if admin.json { return try printJSON(list) }
        for proposal in list as? [[String: Any]] ?? [] {
            let flagged = (proposal["decisions"] as? [[String: Any]] ?? []).contains { $0["holds"] as? Bool == false }
            print(
                "\((proposal["reference"] as? String ?? "?").padding(toLength: 12, withPad: " ", startingAt: 0)) [\(proposal["state"] ?? "?")] \(proposal["priority"] ?? "?") deadline \(timeText(proposal["deadline_ms"])) \(proposal["policy"] ?? "?") \(proposal["action"] ?? "?"): \(proposal["title"] ?? "")  — \(standingText(proposal))\(flagged ? "  FLAGGED DECISION" : "")"
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
        let detail = try admin.client().json("GET", "/v1/proposals/\(try referencePath(reference))")
        if admin.json { return try printJSON(detail) }
        guard let fields = detail as? [String: Any], let summary = fields["summary"] as? [String: Any] else { return }
        print("\(summary["reference"] ?? "?")  [\(summary["state"] ?? "?")] \(summary["title"] ?? "")")
        print("action    \(summary["action"] ?? "?"), priority \(summary["priority"] ?? "?")")
        print("policy    \(summary["policy"] ?? "?"), deadline \(timeText(summary["deadline_ms"]))")
        print("standing  \(standingText(summary))")
        if let rationale = fields["rationale"] as? String, !rationale.isEmpty { print("rationale \(rationale)") }
        print("votes:")
        for vote in fields["votes"] as? [[String: Any]] ?? [] {
            let counted = vote["counted"] as? Bool == true ? "counted" : "not counted"
            print(
                "  \((vote["reference"] as? String ?? "?").padding(toLength: 12, withPad: " ", startingAt: 0)) \(vote["voter"] ?? "?") \(vote["position"] ?? "?"), witnessed \(timeText(vote["witnessed_ms"])), \(counted)"
            )
        }
        for decision in summary["decisions"] as? [[String: Any]] ?? [] {
            let verdict: String
            switch decision["holds"] as? Bool {
            case true?: verdict = "verified: follows from the votes and the charter"
            case false?: verdict = "FLAGGED: " + (decision["findings"] as? [String] ?? []).joined(separator: "; ")
            default: verdict = "not yet verified (waiting for the votes it counts)"
            }
            print(
                "decision  \(decision["reference"] ?? "?") by \(decision["author"] ?? "?"): \(decision["outcome"] ?? "?") — \(verdict)"
            )
        }
    }
}

struct CastVote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vote", abstract: "Vote on a proposal (voting members only); prints the vote's reference.",
        discussion: "A later vote replaces an earlier one, if the convener witnessed it before the deadline.")

    @Argument(help: "The proposal, <group>/<author>/<index>.")
    var reference: String

    @Flag(help: "Endorse the proposal.")
    var endorse = false

    @Flag(help: "Object to it.")
    var object = false

    @Flag(help: "Abstain.")
    var abstain = false

    @Option(help: "A statement to go with the vote.")
    var statement: String?

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        guard [endorse, object, abstain].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --endorse, --object, --abstain")
        }
    }

    func run() throws {
        var body: [String: Any] = [
            "proposal": reference, "position": endorse ? "endorse" : object ? "object" : "abstain",
        ]
        if let statement { body["statement"] = statement }
        let answer = try admin.client().json(
            "POST", "/v1/votes", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
    }
}

struct CAPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cap", abstract: "Exchange bulletins as OASIS CAP 1.2 alerts.",
        subcommands: [ExportCAP.self, ImportCAP.self])
}

struct ExportCAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a bulletin as a CAP 1.2 alert (valid against the OASIS schema).",
        discussion: """
            Risk factors, the country, sources and the Tocsin reference travel as parameters \
            named urn:tocsin:risk-factor, urn:tocsin:country, urn:tocsin:source and \
            urn:tocsin:reference; scope is Restricted to the bulletin's group.
            """)

    @Argument(help: "The bulletin (or an update or cancel of it), <group>/<author>/<index>.")
    var reference: String

    @Option(help: "Write the alert to this file instead of standard output.")
    var out: String?

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let answer = try admin.client().json("GET", "/v1/bulletins/\(try referencePath(reference))/cap")
        if admin.json { return try printJSON(answer) }
        let xml = (answer as? [String: Any])?["xml"] as? String ?? ""
        if let out {
            try Data(xml.utf8).write(to: URL(fileURLWithPath: out))
        } else {
            print(xml, terminator: "")
        }
    }
}

struct ImportCAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Issue a bulletin from a CAP 1.2 alert made by any software; prints its reference.",
        discussion: """
            One info block becomes the bulletin (the first, or --language); areas keep their \
            polygons, circles and geocodes. What a bulletin has no field for is listed on \
            standard error; what Tocsin cannot carry (Draft or System status, Ack or Error, \
            updates of alerts that are not bulletins of this network) is refused with the reason.
            """)

    @Argument(help: "The CAP 1.2 XML file.")
    var file: String

    @Option(help: "The sharing group the bulletin is for.")
    var group: String

    @Option(help: "Which info block to import, by language (e.g. fr).")
    var language: String?

    @Option(help: "The state concerned, when the alert names none (ISO 3166-1 alpha-2).")
    var country: String?

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let read = try CAPReader.read(data)
        let client = try admin.client()
        let status = try client.json("GET", "/v1/status") as? [String: Any]
        guard let networkHex = status?["network_id"] as? String, let digest = SHA256Digest(hex: networkHex) else {
            throw CommandFailure("the node did not say which network it is in")
        }
        let imported = try read.alert.bulletinDraft(
            network: NetworkID(digest: digest), language: language, country: country)
        for note in read.notes + imported.notes {
            FileHandle.standardError.write(Data("note: \(note)\n".utf8))
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var body = try JSONSerialization.jsonObject(with: try encoder.encode(imported.draft)) as? [String: Any] ?? [:]
        body["group"] = group
        let answer = try client.json("POST", "/v1/bulletins", body: try JSONSerialization.data(withJSONObject: body))
        try printCreated(answer, json: admin.json)
    }
}
