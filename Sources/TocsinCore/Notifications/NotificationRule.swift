/// One rule of `node.toml` (`[[notify-rule]]`): which events go to which channels.
///
/// ```toml
/// [[notify-rule]]
/// on = "bulletin"              # the event kind (NotificationEvent.Kind)
/// min-severity = "severe"      # bulletin: at least this severe
/// groups = ["nro"]             # bulletin, decisions: only these groups (default: all)
/// states = ["XA"]              # bulletin: only about these states (default: all)
/// before = ["24h", "1h"]       # deadline: how long before a deadline awaiting this node's vote
/// after = "10m"                # peer-unreachable: how long a peer must be unreachable
/// within = "30d"               # certificate-expiring: how long before expiry
/// channels = ["duty-officer"]
/// ```
public struct NotificationRule: Sendable, Equatable {
    public var kind: NotificationEvent.Kind
    public var minimumSeverity: String?
    public var groups: Set<String>?
    public var states: Set<String>?
    /// `deadline`: milliseconds before a deadline (default one day and one hour).
    public var before: [Int64]
    /// `peer-unreachable`: milliseconds unreachable (default ten minutes).
    public var after: Int64
    /// `certificate-expiring`: milliseconds before expiry (default 30 days).
    public var within: Int64
    public var channels: [String]

    /// Severities from the least to the most severe (CAP's order).
    public static let severityOrder = ["unknown", "minor", "moderate", "severe", "extreme"]

    public init(
        kind: NotificationEvent.Kind, minimumSeverity: String? = nil, groups: Set<String>? = nil,
        states: Set<String>? = nil, before: [Int64] = [86_400_000, 3_600_000], after: Int64 = 600_000,
        within: Int64 = 30 * 86_400_000, channels: [String]
    ) {
        self.kind = kind
        self.minimumSeverity = minimumSeverity
        self.groups = groups
        self.states = states
        self.before = before
        self.after = after
        self.within = within
        self.channels = channels
    }

    /// Whether `event` is one this rule rings for.
    public func matches(_ event: NotificationEvent) -> Bool {
        guard event.kind == kind else { return false }
        // A timed event rings the rules of its own threshold only.
        switch kind {
        case .deadline: guard let threshold = event.thresholdMs, before.contains(threshold) else { return false }
        case .peerUnreachable: guard event.thresholdMs == after else { return false }
        case .certificateExpiring: guard event.thresholdMs == within else { return false }
        default: break
        }
        if let groups {
            guard let group = event.group, groups.contains(group) else { return false }
        }
        if let states {
            guard let state = event.state, states.contains(state) else { return false }
        }
        if let minimumSeverity {
            guard let least = Self.severityOrder.firstIndex(of: minimumSeverity),
                let severity = event.severity.flatMap({ Self.severityOrder.firstIndex(of: $0) }), severity >= least
            else { return false }
        }
        return true
    }

    /// The options each kind takes besides `on` and `channels`.
    public static func options(of kind: NotificationEvent.Kind) -> Set<String> {
        switch kind {
        case .bulletin: return ["min-severity", "groups", "states"]
        case .proposalAwaitingVote, .decision, .decisionFlagged: return ["groups"]
        case .deadline: return ["before", "groups"]
        case .peerUnreachable: return ["after"]
        case .certificateExpiring: return ["within"]
        case .fork, .test: return []
        }
    }

    /// A duration of the configuration (`90s`, `30m`, `2h`, `7d`) in milliseconds; nil if it
    /// is not one (a date, a negative or zero amount, more than a year).
    public static func milliseconds(_ text: String) -> Int64? {
        guard BulletinDraft.parseTime(text) == nil else { return nil }
        return ConsultationEntries.time(text, nowMs: 0)
    }
}

/// Every rule of a node: the channels an event goes to.
public struct NotificationPolicy: Sendable, Equatable {
    public var rules: [NotificationRule]

    public init(rules: [NotificationRule]) {
        self.rules = rules
    }

    /// The channels `event` goes to, each once, in the order the rules name them. A test
    /// event goes to `every` channel.
    public func channels(for event: NotificationEvent, every: [String]) -> [String] {
        guard event.kind != .test else { return every }
        var channels: [String] = []
        for rule in rules where rule.matches(event) {
            for channel in rule.channels where !channels.contains(channel) { channels.append(channel) }
        }
        return channels
    }

    /// The rules of `kind`.
    public func rules(of kind: NotificationEvent.Kind) -> [NotificationRule] { rules.filter { $0.kind == kind } }
}
