import Foundation
import Testing
import TocsinCore

@testable import TocsinNode

/// The console's pieces that need no browser: sign-in tokens and sessions, form decoding,
/// the area map, the catalogue.
@Suite struct ConsoleTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_800_000_000)
    }

    static func counting() -> @Sendable () -> [UInt8] {
        let counter = Counter()
        return { counter.next() }
    }

    final class Counter: @unchecked Sendable {
        var value: UInt8 = 0
        func next() -> [UInt8] {
            value &+= 1
            return [UInt8](repeating: value, count: 32)
        }
    }

    @Test func aSignInTokenWorksOnceAndNotAfterTenMinutes() async {
        let clock = Clock()
        let sessions = ConsoleSessions(clock: { clock.now }, random: Self.counting())
        let token = await sessions.issueToken()
        #expect(token.count == 64)
        let session = await sessions.signIn(token: token)
        #expect(session != nil)
        #expect(session?.csrfToken != session?.id)
        #expect(await sessions.signIn(token: token) == nil, "a token works once")
        let late = await sessions.issueToken()
        clock.now += ConsoleSessions.tokenLifetime + 1
        #expect(await sessions.signIn(token: late) == nil, "a token expires")
        #expect(await sessions.signIn(token: "") == nil)
    }

    @Test func aSessionLastsWhileUsedAndEndsAfterTwelveIdleHoursOrASignOut() async throws {
        let clock = Clock()
        let sessions = ConsoleSessions(clock: { clock.now }, random: Self.counting())
        let session = try #require(await sessions.signIn(token: await sessions.issueToken()))
        clock.now += ConsoleSessions.idleLifetime - 60
        #expect(await sessions.session(session.id) != nil, "used before it expired: kept")
        clock.now += ConsoleSessions.idleLifetime - 60
        await sessions.setLanguage(.french, for: session.id)
        #expect(await sessions.session(session.id)?.language == .french)
        clock.now += ConsoleSessions.idleLifetime + 1
        #expect(await sessions.session(session.id) == nil, "idle too long")
        let other = try #require(await sessions.signIn(token: await sessions.issueToken()))
        await sessions.signOut(other.id)
        #expect(await sessions.session(other.id) == nil)
    }

    @Test func formsDecodeAsBrowsersEncodeThemAndSecretsCompareWhole() {
        let form = ConsoleForm(encoded: "headline=Exercise%3A+a+%C3%A9t%C3%A9&csrf=ab&csrf=cd&empty=&bad=%ZZ&=x")
        #expect(form["headline"] == "Exercise: a été")
        #expect(form["csrf"] == "ab", "the first value of a name given twice")
        #expect(form["empty"] == "")
        #expect(form.trimmed("empty") == nil)
        #expect(form["bad"] == nil, "a value that does not decode is left out")
        #expect(ConsoleForm.sameSecret("abc", "abc"))
        #expect(!ConsoleForm.sameSecret("abc", "abd"))
        #expect(!ConsoleForm.sameSecret("", ""))
        #expect(!ConsoleForm.sameSecret("abc", "abcd"))
    }

    @Test func areasAreDrawnAsSVGAndMalformedCoordinatesAreLeftOut() {
        let map = AreaMap(areas: [
            .init(
                description: "Eastern valleys", polygons: ["1.0,2.0 1.5,2.5 1.0,3.0 1.0,2.0", "91,0 1,1 2,2", "x"],
                circles: ["1.2,2.2 5", "1,1 -3", "1,1", "200,0 4"])
        ])
        #expect(map.polygons.count == 1)
        #expect(map.circles.count == 1)
        let svg = map.svg(caption: "Areas <drawn>", empty: "none")
        #expect(svg.contains("<polygon points=\""))
        #expect(svg.contains("<ellipse"))
        #expect(svg.contains("Areas &lt;drawn&gt;"))
        #expect(AreaMap(areas: []).svg(caption: "c", empty: "No area") == "<p>No area</p>")
    }

    @Test func everyTextHasBothLanguages() {
        for key in ConsoleCatalogue.Key.allCases {
            #expect(!ConsoleCatalogue.text(key, .english).isEmpty, "\(key) in English")
            #expect(!ConsoleCatalogue.text(key, .french).isEmpty, "\(key) in French")
            #expect(ConsoleCatalogue.entries[key] != nil, "\(key) is not in the catalogue")
        }
        #expect(ConsoleCatalogue.word("severe", .french) == "grave")
        #expect(ConsolePages.escape("{{csrf}} <b>") == "&#123;&#123;csrf}} &lt;b&gt;")
    }
}

extension ConsoleTests {
    /// The console's times are computed by hand (no locale library in the daemon): they agree
    /// with Foundation's calendar over four centuries and both sides of 1970.
    @Test func readableTimesAgreeWithTheCalendar() {
        var generator = SystemRandomNumberGenerator()
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        for milliseconds in [0, 999, 1_767_225_600_000, 951_782_400_000, 4_107_542_399_999, -1, -86_400_001]
            + (0..<500).map({ _ in Int64.random(in: -6_000_000_000_000...253_402_300_799_000, using: &generator) })
        {
            let seconds = (Double(milliseconds) / 1000).rounded(.down)
            #expect(
                UTCTime.readable(milliseconds: milliseconds)
                    == formatter.string(from: Date(timeIntervalSince1970: seconds)), "\(milliseconds)")
        }
    }
}
