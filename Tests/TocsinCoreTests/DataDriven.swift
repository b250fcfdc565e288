import Foundation

/// Data-driven test files in the style of etcd raft's interaction tests: each case is a
/// command line (optionally followed by more input lines), a `----` line, the expected
/// output, and a blank line. Lines starting with `#` between cases are comments.
///
/// ```
/// # A member acknowledges receipt.
/// bulletin XC nro at=1000
/// ----
/// nro/XC/0
/// ```
///
/// With `TOCSIN_REWRITE=1` in the environment, the expected outputs are rewritten from what
/// the code does now (to review with `git diff`), instead of compared.
struct DataDriven {
    struct Case {
        let line: Int
        let command: String
        let arguments: [String: String]
        let positional: [String]
        let expected: String
    }

    let file: URL
    let cases: [Case]
    private let lines: [String]

    init(file: URL) throws {
        self.file = file
        let text = try String(contentsOf: file, encoding: .utf8)
        lines = text.components(separatedBy: "\n")
        var cases: [Case] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") {
                index += 1
                continue
            }
            let start = index
            index += 1
            guard index < lines.count, lines[index] == "----" else {
                throw DataDrivenError(
                    file: file.lastPathComponent, line: start + 1, reason: "expected ---- after the command")
            }
            index += 1
            var expected: [String] = []
            while index < lines.count, !lines[index].isEmpty {
                expected.append(lines[index])
                index += 1
            }
            let words = Self.words(line)
            var arguments: [String: String] = [:]
            var positional: [String] = []
            for word in words.dropFirst() {
                if let equals = word.firstIndex(of: "=") {
                    arguments[String(word[..<equals])] = String(word[word.index(after: equals)...])
                } else {
                    positional.append(word)
                }
            }
            cases.append(
                Case(
                    line: start + 1, command: words.first ?? "", arguments: arguments, positional: positional,
                    expected: expected.joined(separator: "\n")))
        }
        self.cases = cases
    }

    /// Splits on spaces, keeping `key="a quoted value"` together (quotes removed).
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static var rewriting: Bool { ProcessInfo.processInfo.environment["TOCSIN_REWRITE"] == "1" }

    /// Writes the file again with `outputs` (one per case, in order) as the expected outputs.
    func rewrite(outputs: [String]) throws {
        var result: [String] = []
        var index = 0
        var caseIndex = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") {
                result.append(lines[index])
                index += 1
                continue
            }
            result.append(lines[index])
            result.append("----")
            index += 2
            while index < lines.count, !lines[index].isEmpty { index += 1 }
            result.append(outputs[caseIndex])
            caseIndex += 1
        }
        try result.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    }
}

struct DataDrivenError: Error, CustomStringConvertible {
    let file: String
    let line: Int
    let reason: String

    var description: String { "\(file):\(line): \(reason)" }
}
