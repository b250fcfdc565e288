/// Trimming white space from text an operator typed (a headline, a proposal's title) without
/// Foundation's `trimmingCharacters(in:)`, which bridges through `NSString` and was 2 % of an
/// author's CPU time under load (BENCHMARKS.md). The same scalars are trimmed as with
/// `CharacterSet.whitespacesAndNewlines`: Unicode's `White_Space` property and the zero-width
/// space (U+200B), by scalar, not by character, as Foundation trims.
public enum Whitespace {
    /// `text` without the white space (spaces, tabs, line and paragraph breaks) at its ends.
    public static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return text }
        // Most text has nothing to trim: no copy.
        if !isTrimmed(first) && !isTrimmed(last) { return text }
        guard let start = scalars.firstIndex(where: { !isTrimmed($0) }),
            let end = scalars.lastIndex(where: { !isTrimmed($0) })
        else { return "" }
        return String(scalars[start...end])
    }

    static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.value == 0x200B
    }
}
