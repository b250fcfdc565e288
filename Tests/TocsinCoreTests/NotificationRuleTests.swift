import Testing
import TocsinCore

@Suite struct NotificationRuleTests {
    static func bulletin(_ severity: String, group: String = "nro", state: String = "XA") -> NotificationEvent {
        NotificationEvent(
            id: "bulletin:\(group)/XB/0", kind: .bulletin, node: "XA", timeMs: 0, summary: "", group: group,
            severity: severity, state: state)
    }

    @Test func aBulletinRingsFromItsMinimumSeverityUpOnly() {
        let rule = NotificationRule(kind: .bulletin, minimumSeverity: "severe", channels: ["mail"])
        #expect(rule.matches(Self.bulletin("extreme")))
        #expect(rule.matches(Self.bulletin("severe")))
        #expect(!rule.matches(Self.bulletin("moderate")))
        #expect(!rule.matches(Self.bulletin("unknown")))
        #expect(!rule.matches(Self.bulletin("not-a-severity")))
    }

    @Test func groupsAndStatesNarrowARule() {
        let rule = NotificationRule(kind: .bulletin, groups: ["nro"], states: ["XA", "XC"], channels: ["mail"])
        #expect(rule.matches(Self.bulletin("minor", group: "nro", state: "XC")))
        #expect(!rule.matches(Self.bulletin("minor", group: "all", state: "XC")))
        #expect(!rule.matches(Self.bulletin("minor", group: "nro", state: "XB")))
        var noGroup = Self.bulletin("minor")
        noGroup.group = nil
        #expect(!rule.matches(noGroup))
        // Another kind never matches.
        var fork = Self.bulletin("extreme")
        fork.kind = .fork
        #expect(!rule.matches(fork))
    }

    @Test func thePolicyNamesEachChannelOnceAndATestGoesEverywhere() {
        let policy = NotificationPolicy(rules: [
            NotificationRule(kind: .bulletin, channels: ["mail", "gateway"]),
            NotificationRule(kind: .bulletin, minimumSeverity: "extreme", channels: ["gateway", "pager"]),
            NotificationRule(kind: .fork, channels: ["pager"]),
        ])
        #expect(policy.channels(for: Self.bulletin("extreme"), every: []) == ["mail", "gateway", "pager"])
        #expect(policy.channels(for: Self.bulletin("minor"), every: []) == ["mail", "gateway"])
        let test = NotificationEvent(id: "test:1", kind: .test, node: "XA", timeMs: 1, summary: "")
        #expect(policy.channels(for: test, every: ["a", "b"]) == ["a", "b"])
    }

    @Test(
        arguments: [("90s", 90_000), ("30m", 1_800_000), ("2h", 7_200_000), ("7d", 604_800_000)] as [(String, Int64)])
    func durationsOfTheConfiguration(text: String, milliseconds: Int64) {
        #expect(NotificationRule.milliseconds(text) == milliseconds)
    }

    @Test(arguments: ["", "0m", "-5m", "10", "5w", "2026-12-01T00:00:00Z", "400d"])
    func whatIsNotADuration(text: String) {
        #expect(NotificationRule.milliseconds(text) == nil)
    }
}
