/// A check made before TOML text reaches the TOML library (toml++ through TOMLKit): that
/// library aborts the process, rather than reporting an error, on a table header whose first
/// key does not start with a bare-key character or a quote (`[)`, `[[=]]`, `[é]`, found by
/// fuzzing). Every line whose first non-blank character is `[` is taken for a header (so a
/// multi-line array whose elements start a line with `[{` or `[]` is refused too).
public enum TOMLHeaderCheck {
    /// A header the library cannot be trusted with: its line (from 1) and column.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: Int

        public var description: String {
            "a table header must start with a key (letters, digits, - or _) or a quoted key"
        }
    }

    public static func check(_ text: String) throws(Problem) {
        var line = 1
        for content in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            defer { line += 1 }
            var position = content.startIndex
            // The library skips a byte order mark at the start.
            if line == 1, content.starts(with: [0xEF, 0xBB, 0xBF]) { position = content.index(position, offsetBy: 3) }
            func skipBlanks() {
                while position < content.endIndex, content[position] == 0x20 || content[position] == 0x09 {
                    position = content.index(after: position)
                }
            }
            skipBlanks()
            guard position < content.endIndex, content[position] == UInt8(ascii: "[") else { continue }
            position = content.index(after: position)
            if position < content.endIndex, content[position] == UInt8(ascii: "[") {
                position = content.index(after: position)
            }
            skipBlanks()
            let column = content.distance(from: content.startIndex, to: position) + 1
            guard position < content.endIndex, startsKey(content[position]) else {
                throw Problem(line: line, column: column)
            }
        }
    }

    static func startsKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "\""),
            UInt8(ascii: "'"):
            return true
        default:
            return false
        }
    }
}
