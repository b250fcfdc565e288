import Foundation
import TocsinCore

/// Where notifications go (`[[notify-channel]]` in `node.toml`).
///
/// ```toml
/// [[notify-channel]]
/// name = "duty-officer"
/// command = ["/usr/local/bin/tocsin-mail"]    # the event as JSON on its standard input
///
/// [[notify-channel]]
/// name = "gateway"
/// url = "https://gateway.example.org/tocsin"  # POST, the body signed with HMAC-SHA-256
/// secret-file = "webhook.secret"              # the key (mode 0600), never in node.toml
/// ```
public struct NotificationChannel: Sendable, Equatable {
    public enum Delivery: Sendable, Equatable {
        /// A program and its arguments, run with the event on standard input; exit status 0 is
        /// a delivery.
        case command([String])
        /// An HTTP POST of the event; a 2xx answer is a delivery.
        case webhook(url: URL, secretFile: URL?)
    }

    public let name: String
    public let delivery: Delivery

    /// Why a webhook cannot be delivered on this installation.
    static let missingDeliveryTool =
        "webhooks are posted by `tocsin notify deliver`, and there is no executable tocsin next to tocsind: install both side by side"

    public var isWebhook: Bool {
        if case .webhook = delivery { true } else { false }
    }

    public init(name: String, delivery: Delivery) {
        self.name = name
        self.delivery = delivery
    }

    /// The channels and rules of a configuration's `[[notify-channel]]` and `[[notify-rule]]`
    /// tables, each checked: names unique, every rule naming channels that exist.
    static func parse(
        channels channelTables: [TOMLValue]?, rules ruleTables: [TOMLValue]?, relativeTo base: URL
    ) throws(ConfigurationError) -> ([NotificationChannel], NotificationPolicy) {
        var channels: [NotificationChannel] = []
        for (position, value) in (channelTables ?? []).enumerated() {
            let key = "notify-channel \(position + 1)"
            guard let table = value.table else {
                throw ConfigurationError.invalid(key: key, reason: "a [[notify-channel]] table")
            }
            for field in table.keys.sorted() where !["name", "command", "url", "secret-file"].contains(field) {
                throw ConfigurationError.invalid(key: key, reason: "unknown key `\(field)`")
            }
            guard let name = table["name"]?.string, Identifier.isValid(name) else {
                throw ConfigurationError.invalid(key: key, reason: "`name` must be an identifier (letters, digits, -)")
            }
            guard !channels.contains(where: { $0.name == name }) else {
                throw ConfigurationError.invalid(key: key, reason: "a second channel named \(name)")
            }
            if table["secret-file"] != nil, table["secret-file"]?.string == nil || table["url"] == nil {
                throw ConfigurationError.invalid(
                    key: key, reason: "`secret-file` is the path of a webhook's secret (a string, with `url`)")
            }
            if let command = table["command"] {
                guard table["url"] == nil else {
                    throw ConfigurationError.invalid(key: key, reason: "either `command` or `url`, not both")
                }
                let words = command.array?.compactMap(\.string) ?? []
                guard !words.isEmpty, words.count == command.array?.count, words[0].hasPrefix("/") else {
                    throw ConfigurationError.invalid(
                        key: key, reason: "`command` is an array of strings whose first is an absolute path")
                }
                channels.append(NotificationChannel(name: name, delivery: .command(words)))
            } else if let value = table["url"] {
                guard let text = value.string, let url = URL(string: text),
                    ["http", "https"].contains(url.scheme ?? ""), url.host != nil
                else {
                    throw ConfigurationError.invalid(key: key, reason: "`url` must be an http or https URL")
                }
                let secret = table["secret-file"]?.string.map { path in
                    path.hasPrefix("/")
                        ? URL(fileURLWithPath: path) : base.appendingPathComponent(path).standardizedFileURL
                }
                channels.append(NotificationChannel(name: name, delivery: .webhook(url: url, secretFile: secret)))
            } else {
                throw ConfigurationError.invalid(key: key, reason: "needs `command` or `url`")
            }
        }
        var rules: [NotificationRule] = []
        for (position, value) in (ruleTables ?? []).enumerated() {
            rules.append(try rule(value, key: "notify-rule \(position + 1)", channels: channels.map(\.name)))
        }
        return (channels, NotificationPolicy(rules: rules))
    }

    static func rule(
        _ value: TOMLValue, key: String, channels known: [String]
    ) throws(ConfigurationError)
        -> NotificationRule
    {
        let fields = ["on", "min-severity", "groups", "states", "before", "after", "within", "channels"]
        guard let table = value.table else {
            throw ConfigurationError.invalid(key: key, reason: "a [[notify-rule]] table")
        }
        for field in table.keys.sorted() where !fields.contains(field) {
            throw ConfigurationError.invalid(key: key, reason: "unknown key `\(field)`")
        }
        let kinds = NotificationEvent.Kind.allCases.filter { $0 != .test }
        guard let on = table["on"]?.string, let kind = NotificationEvent.Kind(rawValue: on), kind != .test else {
            throw ConfigurationError.invalid(
                key: key, reason: "`on` is one of \(kinds.map(\.rawValue).joined(separator: ", "))")
        }
        for field in table.keys.sorted() where !["on", "channels"].contains(field) {
            guard NotificationRule.options(of: kind).contains(field) else {
                throw ConfigurationError.invalid(key: key, reason: "`\(field)` does not apply to `on = \"\(on)\"`")
            }
        }
        func strings(_ field: String) throws(ConfigurationError) -> [String]? {
            guard let value = table[field] else { return nil }
            let words = value.array?.compactMap(\.string) ?? []
            guard !words.isEmpty, words.count == value.array?.count else {
                throw ConfigurationError.invalid(key: key, reason: "`\(field)` is a non-empty array of strings")
            }
            return words
        }
        func duration(_ text: String, _ field: String) throws(ConfigurationError) -> Int64 {
            guard let milliseconds = NotificationRule.milliseconds(text) else {
                throw ConfigurationError.invalid(
                    key: key, reason: "`\(field)`: \(text) is not a duration (90s, 30m, 2h, 7d)")
            }
            return milliseconds
        }
        guard let channels = try strings("channels") else {
            throw ConfigurationError.invalid(key: key, reason: "`channels` names at least one channel")
        }
        for channel in channels where !known.contains(channel) {
            throw ConfigurationError.invalid(key: key, reason: "no [[notify-channel]] is named \(channel)")
        }
        var rule = NotificationRule(kind: kind, channels: channels)
        if let severity = table["min-severity"] {
            guard let text = severity.string, NotificationRule.severityOrder.contains(text) else {
                throw ConfigurationError.invalid(
                    key: key,
                    reason: "`min-severity` is one of \(NotificationRule.severityOrder.joined(separator: ", "))")
            }
            rule.minimumSeverity = text
        }
        rule.groups = try strings("groups").map(Set.init)
        rule.states = try strings("states").map(Set.init)
        if let before = try strings("before") {
            var offsets: [Int64] = []
            for text in before { offsets.append(try duration(text, "before")) }
            rule.before = offsets
        }
        if let after = table["after"] { rule.after = try duration(after.string ?? "", "after") }
        if let within = table["within"] { rule.within = try duration(within.string ?? "", "within") }
        return rule
    }
}
