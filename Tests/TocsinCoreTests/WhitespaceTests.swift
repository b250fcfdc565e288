import Foundation
import Testing
import TocsinCore

@Suite struct WhitespaceTests {
    /// Every white-space scalar Unicode names, some that are not (a zero-width space, a
    /// combining accent, a word joiner), letters, and an emoji made of several scalars.
    static let pieces: [String] = [
        " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2007}",
        "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}", "\u{200B}", "\u{2060}",
        "\u{FEFF}", "\u{301}", "a", "Z", "é", "XA", "👩‍⚕️", "\r\n",
    ]

    @Test func everyScalarFoundationTrimsIsTrimmed() {
        for value in 0..<0x11_0000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "\(scalar)x\(scalar)"
            #expect(Whitespace.trimmed(text) == text.trimmingCharacters(in: .whitespacesAndNewlines), "U+\(value)")
        }
    }

    @Test func randomTextIsTrimmedAsFoundationTrimsIt() {
        var generator = SystemRandomNumberGenerator()
        var changed = 0
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                Self.pieces.randomElement(using: &generator)!
            }.joined()
            let expected = text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(
                Array(Whitespace.trimmed(text).unicodeScalars) == Array(expected.unicodeScalars),
                "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            if expected != text { changed += 1 }
        }
        // Both outcomes were exercised.
        #expect(changed > 1_000 && changed < 19_000)
    }

    @Test func aHeadlineOfWhiteSpaceAloneIsRefused() throws {
        #expect(throws: BulletinError.self) { try BulletinDraft.checkedHeadline(" \u{3000}\n\u{2029}") }
        #expect(try BulletinDraft.checkedHeadline("\u{A0} Exercise: unrest in XA \n") == "Exercise: unrest in XA")
    }
}
