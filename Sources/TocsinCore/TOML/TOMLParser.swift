/// Reads TOML 1.0 (toml.io/en/v1.0.0) as Tocsin's files use it: comments, bare, quoted and
/// dotted keys, tables, arrays of tables, inline tables, arrays, the four kinds of strings,
/// integers (decimal, hexadecimal, octal, binary) and booleans. Floats, dates and times are
/// refused with the reason: no file of Tocsin's holds one.
///
/// Written for hostile text (a charter amendment comes from the network): it never traps,
/// its recursion is bounded (tables at most `maximumDepth` deep, and arrays and inline tables
/// as deep again below them), and its work is linear in the text. NUL is refused in strings,
/// escaped too. Every error names the line and column.
struct TOMLParser {
    /// The deepest nesting of tables and arrays read.
    static let maximumDepth = 32

    private let bytes: [UInt8]
    /// Offsets of the line feeds, for line numbers.
    private let lineFeeds: [Int]
    private var index = 0

    init(text: String) {
        let bytes = Array(text.utf8)
        self.bytes = bytes
        lineFeeds = bytes.indices.filter { bytes[$0] == 0x0A }
    }

    /// A table while it is read: tables are defined across the document, by headers, dotted
    /// keys and `[[…]]`, so they are shared and changed in place until the end.
    private final class Building {
        enum Origin {
            /// Made on the way to a header's last key (`a` of `[a.b]`): a header may define it later.
            case implicit
            /// Defined by its own header.
            case header
            /// Made by a dotted key (`a.b = 1` makes `a`).
            case dotted
        }

        enum Item {
            case value(TOMLValue)
            case table(Building)
            /// An array of tables, made by `[[…]]` headers (shared, so that each header appends
            /// in place: a copy per header would make many headers quadratic).
            case tables(TableArray)
        }

        final class TableArray {
            var elements: [Building]
            init(_ elements: [Building]) { self.elements = elements }
        }

        var origin: Origin
        let depth: Int
        let line: Int
        var keys: [String] = []
        var items: [String: Item] = [:]
        var keyLines: [String: Int] = [:]

        init(origin: Origin, depth: Int, line: Int) {
            self.origin = origin
            self.depth = depth
            self.line = line
        }

        func set(_ key: String, _ item: Item, line: Int) {
            if items[key] == nil {
                keys.append(key)
                keyLines[key] = line
            }
            items[key] = item
        }

        /// The finished value (depth is bounded, so is the recursion).
        func table() -> TOMLTable {
            var values: [String: TOMLValue] = [:]
            for (key, item) in items {
                switch item {
                case .value(let value): values[key] = value
                case .table(let table): values[key] = .table(table.table())
                case .tables(let tables): values[key] = .array(tables.elements.map { .table($0.table()) })
                }
            }
            return TOMLTable(keys: keys, values: values, keyLines: keyLines, line: line)
        }
    }

    mutating func parse() throws(TOMLError) -> TOMLTable {
        let root = Building(origin: .header, depth: 0, line: 0)
        var current = root
        // A byte order mark may open the file.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while true {
            skipBlanks()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"), 0x0A, 0x0D:
                try endOfLine()
            case UInt8(ascii: "["):
                current = try header(root: root)
                try endOfLine()
            default:
                try keyValue(into: current)
                try endOfLine()
            }
        }
        return root.table()
    }

    // MARK: - Tables and keys

    /// `[a.b]` or `[[a.b]]`: the table that key-values below it go into.
    private mutating func header(root: Building) throws(TOMLError) -> Building {
        let line = currentLine
        let start = index
        index += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { index += 1 }
        skipBlanks()
        let keys = try key()
        skipBlanks()
        guard take(UInt8(ascii: "]")), !isArray || take(UInt8(ascii: "]")) else {
            throw error(isArray ? "a `[[` header ends with `]]`" : "a `[` header ends with `]`")
        }
        var table = root
        for (position, part) in keys.enumerated() {
            let last = position == keys.count - 1
            switch table.items[part] {
            case nil:
                let made = try make(isArray || !last ? .implicit : .header, under: table, line: line, at: start)
                if last, isArray {
                    made.origin = .header
                    table.set(part, .tables(Building.TableArray([made])), line: line)
                } else {
                    table.set(part, .table(made), line: line)
                }
                table = made
            case .table(let existing):
                if last {
                    guard !isArray else { throw error("`\(part)` is a table, not an array of tables", at: start) }
                    guard existing.origin == .implicit else {
                        throw error("the table `\(keys.joined(separator: "."))` is defined twice", at: start)
                    }
                    existing.origin = .header
                }
                table = existing
            case .tables(let tables):
                if last {
                    guard isArray else {
                        throw error("`\(part)` is an array of tables: its elements are `[[\(part)]]`", at: start)
                    }
                    let made = try make(.header, under: table, line: line, at: start)
                    tables.elements.append(made)
                    table = made
                } else {
                    // Keys under an array of tables go into its last element.
                    table = tables.elements[tables.elements.count - 1]
                }
            case .value:
                throw error("`\(part)` already holds a value", at: start)
            }
        }
        return table
    }

    private func make(
        _ origin: Building.Origin, under parent: Building, line: Int, at offset: Int
    ) throws(TOMLError)
        -> Building
    {
        guard parent.depth < Self.maximumDepth else {
            throw error("tables nested deeper than \(Self.maximumDepth)", at: offset)
        }
        return Building(origin: origin, depth: parent.depth + 1, line: line)
    }

    /// `a.b = value` into `table`.
    private mutating func keyValue(into table: Building) throws(TOMLError) {
        let line = currentLine
        let start = index
        let keys = try key()
        skipBlanks()
        guard take(UInt8(ascii: "=")) else { throw error("expected `=` after the key") }
        skipBlanks()
        let value = try value(depth: table.depth)
        var target = table
        for part in keys.dropLast() {
            switch target.items[part] {
            case nil:
                let made = try make(.dotted, under: target, line: line, at: start)
                target.set(part, .table(made), line: line)
                target = made
            case .table(let existing) where existing.origin == .dotted:
                target = existing
            default:
                throw error("`\(part)` is already defined, and a dotted key cannot add to it", at: start)
            }
        }
        let last = keys[keys.count - 1]
        guard target.items[last] == nil else { throw error("`\(last)` is defined twice", at: start) }
        target.set(last, .value(value), line: line)
    }

    /// A key: parts separated by dots, each bare (`A–Z a–z 0–9 _ -`) or quoted.
    private mutating func key() throws(TOMLError) -> [String] {
        var parts: [String] = []
        while true {
            guard parts.count < Self.maximumDepth else { throw error("a key of more than \(Self.maximumDepth) parts") }
            guard let byte = peek() else { throw error("expected a key") }
            switch byte {
            case UInt8(ascii: "\""):
                guard !bytes[index...].starts(with: Self.tripleQuote) else {
                    throw error("a key cannot be a multi-line string")
                }
                parts.append(try basicString())
            case UInt8(ascii: "'"):
                guard !bytes[index...].starts(with: Self.tripleApostrophe) else {
                    throw error("a key cannot be a multi-line string")
                }
                parts.append(try literalString())
            default:
                let start = index
                while let next = peek(), Self.isBareKeyByte(next) { index += 1 }
                guard index > start else {
                    throw error("a key is letters, digits, `-` and `_`, or quoted; found \(describe(byte))")
                }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipBlanks()
            guard take(UInt8(ascii: ".")) else { return parts }
            skipBlanks()
        }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    // MARK: - Values

    private mutating func value(depth: Int) throws(TOMLError) -> TOMLValue {
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            if bytes[index...].starts(with: Self.tripleQuote) { return .string(try multilineString(literal: false)) }
            return .string(try basicString())
        case UInt8(ascii: "'"):
            if bytes[index...].starts(with: Self.tripleApostrophe) {
                return .string(try multilineString(literal: true))
            }
            return .string(try literalString())
        case UInt8(ascii: "["):
            return try array(depth: depth + 1)
        case UInt8(ascii: "{"):
            return try inlineTable(depth: depth + 1)
        default:
            guard Self.isBareKeyByte(byte) || byte == UInt8(ascii: "+") else {
                throw error("expected a value, found \(describe(byte)) (strings are quoted)")
            }
            let start = index
            let word = token()
            if word == "true" { return .boolean(true) }
            if word == "false" { return .boolean(false) }
            if let integer = Self.integer(word) { return .integer(integer) }
            let looksNumeric =
                word.first.map { $0.isNumber || $0 == "+" || $0 == "-" } ?? false || ["inf", "nan"].contains(word)
            throw error(
                looksNumeric
                    ? "\(word.prefix(40).debugDescription) is not an integer: Tocsin's files hold no floats, dates or times (quote text)"
                    : "\(word.prefix(40).debugDescription) is not a value (strings are quoted)", at: start)
        }
    }

    /// The bytes up to the next blank, line end, `,`, `]`, `}` or `#`.
    private mutating func token() -> String {
        let start = index
        while let byte = peek() {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#"):
                return String(decoding: bytes[start..<index], as: UTF8.self)
            default:
                index += 1
            }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A TOML integer: decimal with an optional sign and no leading zero, or `0x`, `0o`, `0b`
    /// digits; underscores only between digits. Nil for anything else or out of range.
    static func integer(_ text: String) -> Int64? {
        var digits = Substring(text)
        var radix = 10
        var negative = false
        if digits.hasPrefix("0x") || digits.hasPrefix("0o") || digits.hasPrefix("0b") {
            radix = digits.hasPrefix("0x") ? 16 : digits.hasPrefix("0o") ? 8 : 2
            digits = digits.dropFirst(2)
        } else {
            if let sign = digits.first, sign == "+" || sign == "-" {
                negative = sign == "-"
                digits = digits.dropFirst()
            }
            if digits.count > 1, digits.first == "0" { return nil }
        }
        guard let first = digits.first, first != "_", digits.last != "_", !digits.contains("__") else { return nil }
        let plain = digits.filter { $0 != "_" }
        guard plain.allSatisfy({ $0.isASCII && $0.isHexDigit }), let magnitude = UInt64(plain, radix: radix) else {
            return nil
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return Int64(exactly: magnitude)
    }

    private mutating func array(depth: Int) throws(TOMLError) -> TOMLValue {
        guard depth <= Self.maximumDepth else {
            throw error("arrays and tables nested deeper than \(Self.maximumDepth)")
        }
        index += 1
        var elements: [TOMLValue] = []
        while true {
            try skipBlanksLinesAndComments()
            if take(UInt8(ascii: "]")) { return .array(elements) }
            elements.append(try value(depth: depth))
            try skipBlanksLinesAndComments()
            if take(UInt8(ascii: "]")) { return .array(elements) }
            guard take(UInt8(ascii: ",")) else { throw error("expected `,` or `]` in an array") }
        }
    }

    private mutating func inlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        guard depth <= Self.maximumDepth else {
            throw error("arrays and tables nested deeper than \(Self.maximumDepth)")
        }
        let table = Building(origin: .header, depth: depth, line: currentLine)
        index += 1
        skipBlanks()
        if take(UInt8(ascii: "}")) { return .table(table.table()) }
        while true {
            try keyValue(into: table)
            skipBlanks()
            if take(UInt8(ascii: "}")) { return .table(table.table()) }
            guard take(UInt8(ascii: ",")) else {
                throw error("expected `,` or `}` in an inline table (which stays on one line)")
            }
            skipBlanks()
        }
    }

    // MARK: - Strings

    private static let tripleQuote: [UInt8] = Array(#"""""#.utf8)
    private static let tripleApostrophe: [UInt8] = Array("'''".utf8)

    /// `"…"` with escapes, on one line.
    private mutating func basicString() throws(TOMLError) -> String {
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek(), byte != 0x0A else { throw error("a string is not closed on its line") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &text)
            default:
                try allowedInString(byte)
                text.append(byte)
                index += 1
            }
        }
    }

    /// `'…'`, no escapes, on one line.
    private mutating func literalString() throws(TOMLError) -> String {
        index += 1
        let start = index
        while true {
            guard let byte = peek(), byte != 0x0A else { throw error("a string is not closed on its line") }
            if byte == UInt8(ascii: "'") {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            try allowedInString(byte)
            index += 1
        }
    }

    /// `"""…"""` (escapes, and a backslash at a line's end trims the white space that follows)
    /// or `'''…'''` (no escapes): line ends kept, but the one right after the opening quotes.
    private mutating func multilineString(literal: Bool) throws(TOMLError) -> String {
        let quote = literal ? UInt8(ascii: "'") : UInt8(ascii: "\"")
        index += 3
        skipNewline()
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("a multi-line string is not closed") }
            if bytes[index...].starts(with: literal ? Self.tripleApostrophe : Self.tripleQuote) {
                // Up to two quotes may end the content, right before the closing three.
                var quotes = 3
                while quotes < 5, index + quotes < bytes.count, bytes[index + quotes] == quote { quotes += 1 }
                text += [UInt8](repeating: quote, count: quotes - 3)
                index += quotes
                return String(decoding: text, as: UTF8.self)
            }
            switch byte {
            case UInt8(ascii: "\\") where !literal:
                if lineEndingBackslash() { continue }
                try escape(into: &text)
            case 0x0A, 0x0D:
                try newline(into: &text)
            default:
                try allowedInString(byte)
                text.append(byte)
                index += 1
            }
        }
    }

    private mutating func escape(into text: inout [UInt8]) throws(TOMLError) {
        let start = index
        index += 1
        guard let code = peek() else { throw error("a string ends inside an escape") }
        index += 1
        switch code {
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "\""): text.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): text.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = code == UInt8(ascii: "u") ? 4 : 8
            guard index + count <= bytes.count,
                let value = UInt32(String(decoding: bytes[index..<(index + count)], as: UTF8.self), radix: 16),
                bytes[index..<(index + count)].allSatisfy({ Self.isHexDigit($0) }),
                let scalar = Unicode.Scalar(value), value != 0
            else {
                throw error(
                    "`\\\(Character(Unicode.Scalar(code)))` needs \(count) hex digits of a Unicode scalar other than NUL",
                    at: start)
            }
            text += Array(String(Character(scalar)).utf8)
            index += count
        default:
            throw error(
                "`\\\(describe(code))` is not an escape (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: start)
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }

    /// A backslash followed by blanks up to the line's end: it, the line end and the white
    /// space after it are dropped. False (nothing read) for any other backslash.
    private mutating func lineEndingBackslash() -> Bool {
        var probe = index + 1
        while probe < bytes.count, bytes[probe] == 0x20 || bytes[probe] == 0x09 { probe += 1 }
        guard probe < bytes.count,
            bytes[probe] == 0x0A || (bytes[probe] == 0x0D && bytes.dropFirst(probe + 1).first == 0x0A)
        else { return false }
        index = probe
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            if byte == 0x0D, bytes.dropFirst(index + 1).first != 0x0A { break }
            index += 1
        }
        return true
    }

    private mutating func newline(into text: inout [UInt8]) throws(TOMLError) {
        if peek() == 0x0D {
            guard bytes.dropFirst(index + 1).first == 0x0A else {
                throw error("a carriage return not followed by a line feed")
            }
            index += 1
        }
        index += 1
        text.append(0x0A)
    }

    private mutating func skipNewline() {
        if peek() == 0x0A {
            index += 1
        } else if peek() == 0x0D, bytes.dropFirst(index + 1).first == 0x0A {
            index += 2
        }
    }

    /// Control characters other than the tab are not allowed in strings and comments.
    private func allowedInString(_ byte: UInt8) throws(TOMLError) {
        if (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            throw error("control character \(describe(byte)) (write it as an escape)")
        }
    }

    // MARK: - Blanks, comments, line ends

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipBlanks() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 { index += 1 }
    }

    private mutating func skipComment() throws(TOMLError) {
        guard peek() == UInt8(ascii: "#") else { return }
        while let byte = peek(), byte != 0x0A, !(byte == 0x0D && bytes.dropFirst(index + 1).first == 0x0A) {
            try allowedInString(byte)
            index += 1
        }
    }

    /// Blanks, then an optional comment, then a line end or the end of the text.
    private mutating func endOfLine() throws(TOMLError) {
        skipBlanks()
        try skipComment()
        guard let byte = peek() else { return }
        if byte == 0x0A {
            index += 1
        } else if byte == 0x0D, bytes.dropFirst(index + 1).first == 0x0A {
            index += 2
        } else {
            throw error("expected the end of the line, found \(describe(byte))")
        }
    }

    private mutating func skipBlanksLinesAndComments() throws(TOMLError) {
        while true {
            skipBlanks()
            try skipComment()
            guard let byte = peek() else { return }
            if byte == 0x0A {
                index += 1
            } else if byte == 0x0D, bytes.dropFirst(index + 1).first == 0x0A {
                index += 2
            } else {
                return
            }
        }
    }

    // MARK: - Positions and errors

    /// The line of `index`, from 1.
    private var currentLine: Int { line(at: index) }

    private func line(at offset: Int) -> Int {
        // Line feeds before `offset`, by binary search.
        var low = 0
        var high = lineFeeds.count
        while low < high {
            let middle = (low + high) / 2
            if lineFeeds[middle] < offset { low = middle + 1 } else { high = middle }
        }
        return low + 1
    }

    private func error(_ reason: String, at offset: Int? = nil) -> TOMLError {
        let offset = offset ?? index
        let line = line(at: offset)
        let lineStart = line == 1 ? 0 : lineFeeds[line - 2] + 1
        return TOMLError(line: line, column: offset - lineStart + 1, reason: reason)
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "`\(Character(Unicode.Scalar(byte)))`" : "byte 0x\(String(byte, radix: 16))"
    }
}
