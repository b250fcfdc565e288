/// A value of a TOML document, of the kinds Tocsin's files hold: no floats, dates or times.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    public var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, when it is one that fits an `Int`.
    public var int: Int? {
        if case .integer(let value) = self { Int(exactly: value) } else { nil }
    }

    public var bool: Bool? {
        if case .boolean(let value) = self { value } else { nil }
    }

    public var array: [TOMLValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var table: TOMLTable? {
        if case .table(let value) = self { value } else { nil }
    }
}
