import Foundation
import TocsinCore

/// An `application/x-www-form-urlencoded` body or query, decoded: `+` is a space, `%XX` a
/// byte; a name given twice keeps its first value. Never traps on what a browser, or anyone
/// else, sends.
struct ConsoleForm: Sendable, Equatable {
    var values: [String: String] = [:]

    init(_ values: [String: String] = [:]) { self.values = values }

    init(encoded text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // A pair that does not decode is left out, as if not sent.
            guard let name = Self.decode(parts[0]), !name.isEmpty, values[name] == nil,
                let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            else { continue }
            values[name] = value
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    /// The value, trimmed; nil when absent or empty.
    func trimmed(_ name: String) -> String? {
        guard let value = values[name].map { Whitespace.trimmed($0) }, !value.isEmpty else {
            return nil
        }
        return value
    }

    static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Compares two secrets in time that does not depend on where they differ.
    static func sameSecret(_ left: String, _ right: String) -> Bool {
        let (a, b) = (Array(left.utf8), Array(right.utf8))
        guard a.count == b.count, !a.isEmpty else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
