/// A check made before TOML text reaches the TOML library (toml++ through TOMLKit): that
/// library aborts the process, rather than reporting an error, on a table header whose first
/// key does not start with a bare-key character or a quote (`[)`, `[[=]]`, `[é]`, found by
/// fuzzing). Every line whose first non-blank character is `[` is taken for a header (so a
/// multi-line array whose elements start a line with `[{` or `[]` is refused too). It also
/// aborts where an array's element should start but `}` or `,` comes (`a = [}`, `[1,,2]`):
/// outside strings and comments, a `[` or `,` followed by `}` or `,` is refused (never valid
/// TOML). And its readers of dates and times abort on many malformed ones (`d = 1979-05-27 7`,
/// `y = 0000-08-09t=10:52`). Tocsin's files hold strings, decimal integers, booleans, arrays
/// and tables only, so a bare token that starts with a digit or a sign must be a decimal
/// integer: floats, dates, times and hexadecimal never reach the library.
public enum TOMLHeaderCheck {
    /// Text the library cannot be trusted with: its line (from 1), column and why.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public var reason = "a table header must start with a key (letters, digits, - or _) or a quoted key"

        public var description: String { reason }
    }

    public static func check(_ text: String) throws(Problem) {
        try checkHeaders(text)
        try checkValues(text)
    }

    /// Outside strings and comments: `[` or `,` followed (past blanks, line ends and comments)
    /// by `}` or `,`; and a bare token starting with a digit or a sign that is not a decimal
    /// integer.
    static func checkValues(_ text: String) throws(Problem) {
        let bytes = Array(text.utf8)
        var index = 0
        var line = 1
        var lineStart = 0
        func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        func advance() {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        // Skips a string starting at `index` (its opening quote), escapes included.
        func skipString(_ quote: UInt8) {
            let multiline = at(1) == quote && at(2) == quote
            index += multiline ? 3 : 1
            while index < bytes.count {
                if quote == UInt8(ascii: "\""), bytes[index] == UInt8(ascii: "\\") {
                    advance()
                    if index < bytes.count { advance() }
                    continue
                }
                if bytes[index] == quote, !multiline || (at(1) == quote && at(2) == quote) {
                    index += multiline ? 3 : 1
                    return
                }
                if !multiline, bytes[index] == UInt8(ascii: "\n") { return }
                advance()
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                skipString(byte)
            case UInt8(ascii: "["), UInt8(ascii: ","):
                var next = index + 1
                while next < bytes.count {
                    let candidate = bytes[next]
                    if candidate == 0x20 || candidate == 0x09 || candidate == 0x0D || candidate == 0x0A {
                        next += 1
                    } else if candidate == UInt8(ascii: "#") {
                        while next < bytes.count, bytes[next] != 0x0A { next += 1 }
                    } else {
                        break
                    }
                }
                if next < bytes.count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: ",") {
                    throw Problem(
                        line: line, column: index - lineStart + 1,
                        reason:
                            "a value must follow `\(Character(Unicode.Scalar(byte)))`, not `\(Character(Unicode.Scalar(bytes[next])))`"
                    )
                }
                advance()
            default:
                if index == 0 || startsValueAfter(bytes[index - 1]), !isDecimalIntegerOrNotANumber(bytes, index) {
                    throw Problem(
                        line: line, column: index - lineStart + 1,
                        reason:
                            "a number must be a decimal integer: Tocsin's files hold no floats, dates or times (quote text)"
                    )
                }
                advance()
            }
        }
    }

    static func startsValueAfter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "="), UInt8(ascii: "["), UInt8(ascii: ","), UInt8(ascii: "{"):
            return true
        default:
            return false
        }
    }

    static func endsValue(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","), UInt8(ascii: "#"):
            return true
        default:
            return false
        }
    }

    /// Whether the bare token at `start` either does not start with a digit or a sign (so the
    /// library does not read it as a number, a date or a time), or is a decimal integer
    /// (`42`, `-5`, `+1_000`).
    static func isDecimalIntegerOrNotANumber(_ bytes: [UInt8], _ start: Int) -> Bool {
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        var index = start
        if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            index += 1
        } else if !digits.contains(bytes[index]) {
            return true
        }
        guard index < bytes.count, digits.contains(bytes[index]) else { return false }
        while index < bytes.count, !endsValue(bytes[index]) {
            guard digits.contains(bytes[index]) || bytes[index] == UInt8(ascii: "_") else { return false }
            index += 1
        }
        return true
    }

    static func checkHeaders(_ text: String) throws(Problem) {
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
