import Testing
import TocsinCore

/// Text from elsewhere, escaped before it reaches a log line or a terminal.
struct PrintableTests {
    @Test(arguments: [
        ("plain text, accents é and 漢字", "plain text, accents é and 漢字"),
        ("forged\n2026-11-29 info tocsind: all is well", "forged\\u{a}2026-11-29 info tocsind: all is well"),
        ("\u{1B}[2J cleared", "\\u{1b}[2J cleared"),
        ("tab\there", "tab\\u{9}here"),
        ("reversed \u{202E}txt.exe", "reversed \\u{202e}txt.exe"),
        ("line\u{2028}separator", "line\\u{2028}separator"),
    ])
    func controlCharactersAreWrittenAsEscapes(text: String, expected: String) {
        #expect(Printable.escaped(text) == expected)
        #expect(Printable.isSafe(expected))
    }
}
