import Foundation

/// Any JSON value: to carry a document made elsewhere (an entry's protobuf JSON) inside a
/// typed report, and to compare a request with what its model understood of it.
public indirect enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(parsing text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The first key (as a path, `areas.0.descripton`) that `self` has and `understood` does
    /// not: a field a request gave that its model has no place for. Nulls are not fields.
    public func firstKey(missingFrom understood: JSONValue, path: String = "") -> String? {
        shape.firstKey(missingFrom: understood.shape, path: path)
    }

    var shape: JSONShape {
        switch self {
        case .null: return .null
        case .bool, .number, .string: return .scalar
        case .array(let elements): return .array(elements.map(\.shape))
        case .object(let members): return .object(members.mapValues(\.shape))
        }
    }
}
