import Foundation
import Testing
import TocsinCore

@Suite struct TOMLParserTests {
    @Test func aDocumentWithEveryKindOfValueTableAndKeyReads() throws {
        let text = """
            # A comment
            title = "Fictional \\"network\\"" # trailing comment
            count = 1_000
            negative = -17
            hex = 0xDEAD_beef
            octal = 0o755
            binary = 0b1101
            flag = true
            off = false
            literal = 'C:\\path\\no escapes'
            "quoted key" = 1
            'literal key' = 2
            dotted.inner = "a"
            dotted . spaced = "b"
            list = [ 1, 2,
              3, # comment inside
            ]
            nested = [[1, 2], ["a"], []]
            inline = { id = "RN", address = "127.0.0.1:7400", deep.key = 3 }
            unicode = "caf\\u00E9 \\U0001F514"
            multi = \"\"\"
            first line
            second \\
                continued\"\"\"
            raw = '''
            keeps \\n as is'''

            [server]
            listen = "127.0.0.1"

            [server.limits]
            frames = 64

            [[peers]]
            id = "RN"

            [[peers]]
            id = "RS"
            [peers.options]
            witness = true
            """
        let table = try TOMLTable(parsing: text)
        #expect(table["title"]?.string == "Fictional \"network\"")
        #expect(table["count"]?.int == 1000)
        #expect(table["negative"]?.int == -17)
        #expect(table["hex"]?.int == 0xDEAD_BEEF)
        #expect(table["octal"]?.int == 0o755)
        #expect(table["binary"]?.int == 13)
        #expect(table["flag"]?.bool == true && table["off"]?.bool == false)
        #expect(table["literal"]?.string == #"C:\path\no escapes"#)
        #expect(table["quoted key"]?.int == 1 && table["literal key"]?.int == 2)
        #expect(table["dotted"]?.table?["inner"]?.string == "a")
        #expect(table["dotted"]?.table?["spaced"]?.string == "b")
        #expect(table["list"] == .array([.integer(1), .integer(2), .integer(3)]))
        #expect(table["nested"]?.array?.count == 3)
        let inline = try #require(table["inline"]?.table)
        #expect(inline["address"]?.string == "127.0.0.1:7400")
        #expect(inline["deep"]?.table?["key"]?.int == 3)
        #expect(table["unicode"]?.string == "café 🔔")
        #expect(table["multi"]?.string == "first line\nsecond continued")
        #expect(table["raw"]?.string == "keeps \\n as is")
        #expect(table["server"]?.table?["limits"]?.table?["frames"]?.int == 64)
        let peers = try #require(table["peers"]?.array)
        #expect(peers.compactMap { $0.table?["id"]?.string } == ["RN", "RS"])
        #expect(peers[1].table?["options"]?.table?["witness"]?.bool == true)
        #expect(table.keys.prefix(3) == ["title", "count", "negative"])
        #expect(table.line(of: "count") == 3)
        #expect(peers[1].table?.line(of: "id") == 38)
    }

    @Test func lineEndsMayBeCarriageReturnLineFeedAndAByteOrderMarkMayOpen() throws {
        let table = try TOMLTable(parsing: "\u{FEFF}a = 1\r\n[b]\r\nc = \"x\" # note\r\n")
        #expect(table["a"]?.int == 1)
        #expect(table["b"]?.table?["c"]?.string == "x")
    }

    @Test func integersAtTheLimitsReadAndBeyondAreRefused() throws {
        #expect(try TOMLTable(parsing: "a = 9223372036854775807")["a"] == .integer(.max))
        #expect(try TOMLTable(parsing: "a = -9223372036854775808")["a"] == .integer(.min))
        for text in ["a = 9223372036854775808", "a = -9223372036854775809", "a = 0xFFFFFFFFFFFFFFFF"] {
            #expect(throws: TOMLError.self, "\(text)") { try TOMLTable(parsing: text) }
        }
    }

    /// Each is not TOML, or not what Tocsin's files hold; each is refused with where and why.
    @Test(arguments: [
        ("a = 1.5", 1, "no floats, dates or times"),
        ("a = 1e5", 1, "no floats"),
        ("a = inf", 1, "no floats"),
        ("a = 1979-05-27", 1, "dates"),
        ("a = 07:32:00", 1, "dates"),
        ("a = 01", 1, "not an integer"),
        ("a = 1__0", 1, "not an integer"),
        ("a = _1", 1, "not a value"),
        ("a = 0x", 1, "not an integer"),
        ("a = +0x1", 1, "not an integer"),
        ("a = bare", 1, "strings are quoted"),
        ("a = truex", 1, "not a value"),
        ("a = 1\na = 2", 2, "defined twice"),
        ("[t]\n[t]", 2, "defined twice"),
        ("a = 1\n[a]", 2, "already holds a value"),
        ("a = {}\n[a.b]", 2, "already holds a value"),
        ("[a]\nb = 1\n[[a]]", 3, "not an array of tables"),
        ("[[a]]\n[a]", 2, "array of tables"),
        ("a.b = 1\n[a.b]", 2, "already holds a value"),
        ("a = \"open", 1, "not closed"),
        ("a = \"\"\"open", 1, "not closed"),
        ("a = '''open", 1, "not closed"),
        ("a = \"\\x\"", 1, "not an escape"),
        ("a = \"\\uD800\"", 1, "Unicode scalar"),
        ("a = \"\\u12\"", 1, "hex digits"),
        ("a = \"\\u0000\"", 1, "other than NUL"),
        ("a = \"tab\tok but bell \u{7}\"", 1, "control character"),
        ("a = 1 b = 2", 1, "end of the line"),
        ("a = [1 2]", 1, "`,` or `]`"),
        ("a = { b = 1, }", 1, "a key"),
        ("a = { b = 1\n}", 1, "one line"),
        ("a", 1, "expected `=`"),
        ("= 1", 1, "a key"),
        ("[a", 1, "ends with `]`"),
        ("[[a]", 1, "ends with `]]`"),
        ("\"\"\"k\"\"\" = 1", 1, "multi-line"),
        ("a = 1\r", 1, "end of the line"),
        ("# bell \u{7}", 1, "control character"),
    ])
    func malformedOrUnsupportedTextIsRefusedWithTheLine(text: String, line: Int, reason: String) {
        #expect {
            try TOMLTable(parsing: text)
        } throws: { error in
            guard let error = error as? TOMLError else { return false }
            return error.line == line && error.column >= 1 && error.reason.contains(reason)
        }
    }

    @Test func validKeyPlacementsAreAccepted() throws {
        // Headers may go through tables made by dotted keys and define implicit tables later.
        let table = try TOMLTable(
            parsing: "[a.b.c]\nx = 1\n[a]\ny = 2\n[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true")
        #expect(table["a"]?.table?["y"]?.int == 2)
        #expect(table["a"]?.table?["b"]?.table?["c"]?.table?["x"]?.int == 1)
        #expect(table["fruit"]?.table?["apple"]?.table?["texture"]?.table?["smooth"]?.bool == true)
    }

    /// Many `[[…]]` headers append in place (a copy per header would be quadratic).
    @Test func manyArrayOfTablesHeadersReadInLinearTime() throws {
        let table = try TOMLTable(parsing: String(repeating: "[[a]]\nx = 1\n", count: 50_000))
        #expect(table["a"]?.array?.count == 50_000)
    }

    @Test func nestingDeeperThanTheLimitIsRefusedNotOverflowingTheStack() {
        let depth = 10_000
        for text in [
            "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
            "a = " + String(repeating: "{ b = ", count: depth) + "1" + String(repeating: " }", count: depth),
            "[" + Array(repeating: "k", count: depth).joined(separator: ".") + "]",
            Array(repeating: "k", count: depth).joined(separator: ".") + " = 1",
        ] {
            #expect(throws: TOMLError.self) { try TOMLTable(parsing: text) }
        }
        let allowed = "a = " + String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try TOMLTable(parsing: allowed) }
    }

    /// Random tables written as TOML read back as the same values; random bytes and mutations
    /// of valid documents are refused or read, never trap.
    @Test func randomDocumentsReadBackAndRandomBytesNeverTrap() throws {
        var generator = SystemRandomNumberGenerator()
        func randomString() -> String {
            let pieces = ["a", "Z", " ", "\"", "\\", "é", "🔔", "#", "=", "[", "'", "\t", "\n", "x"]
            return (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                .joined()
        }
        func escaped(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case "\t": result += "\\t"
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
        for _ in 0..<300 {
            var text = ""
            var expected: [String: TOMLValue] = [:]
            for number in 0..<Int.random(in: 1...8, using: &generator) {
                let key = "k\(number)"
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    let value = randomString()
                    text += "\(key) = \(escaped(value))\n"
                    expected[key] = .string(value)
                case 1:
                    let value = Int64.random(in: .min ... .max, using: &generator)
                    text += "\(key) = \(value)\n"
                    expected[key] = .integer(value)
                case 2:
                    let value = Bool.random(using: &generator)
                    text += "\(key) = \(value)\n"
                    expected[key] = .boolean(value)
                default:
                    let values = (0..<Int.random(in: 0...3, using: &generator)).map { _ in randomString() }
                    text += "\(key) = [\(values.map(escaped).joined(separator: ", "))]\n"
                    expected[key] = .array(values.map { .string($0) })
                }
            }
            let table = try TOMLTable(parsing: text)
            for (key, value) in expected { #expect(table[key] == value, "\(text)") }

            // The same document damaged: read or refused, never a trap.
            var bytes = Array(text.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...127, using: &generator)
            }
            _ = try? TOMLTable(parsing: String(decoding: bytes, as: UTF8.self))
        }
    }
}
