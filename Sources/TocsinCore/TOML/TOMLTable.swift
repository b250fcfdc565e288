/// A TOML table: its keys in the order they were written, their values, and the line each key
/// was written on (so that errors can point into the file).
public struct TOMLTable: Sendable, Equatable {
    /// The keys, in the order they were first written.
    public let keys: [String]
    let values: [String: TOMLValue]
    let keyLines: [String: Int]
    /// The line that opened the table (its header, or its first key), from 1; 0 for the top.
    public let line: Int

    init(keys: [String], values: [String: TOMLValue], keyLines: [String: Int], line: Int) {
        self.keys = keys
        self.values = values
        self.keyLines = keyLines
        self.line = line
    }

    public subscript(key: String) -> TOMLValue? { values[key] }

    /// The line `key` was written on, from 1.
    public func line(of key: String) -> Int? { keyLines[key] }

    /// Parses a TOML document (see `TOMLParser` for what is read and what is refused).
    public init(parsing text: String) throws(TOMLError) {
        var parser = TOMLParser(text: text)
        self = try parser.parse()
    }
}
