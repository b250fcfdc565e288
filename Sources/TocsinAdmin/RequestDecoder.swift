import Foundation

/// The admin API's fast reader of request bodies: decodes a model from a `JSONTree` as
/// Foundation's `JSONDecoder` (with `convertFromSnakeCase`) would, and tells which given keys
/// the model took, in one pass.
///
/// It reads only the plain case, where it gives the same value Foundation's decoder gives:
/// strict JSON, keys of ASCII letters, digits and underscores, integers written as integers,
/// no dates, data, URLs, decimals or dictionaries. Whenever anything else is met, including
/// any error (a model may catch one and try something else), it gives up (`nil`) and the
/// request goes to Foundation's decoder, which reads everything and words the errors.
enum RequestDecoder {
    /// What was read of a body.
    enum Outcome<Body> {
        case decoded(Body)
        /// The first given key (`areas.0.descripton`) the model did not take.
        case unknownField(String)
    }

    static func decode<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) -> Outcome<Body>? {
        guard let tree = JSONTree(parsing: bytes) else { return nil }
        let state = State()
        guard let body = try? Body(from: TreeDecoder(tree: tree, codingPath: [], state: state)), !state.gaveUp else {
            return nil
        }
        if let unknown = tree.firstKeyNotTaken() { return .unknownField(unknown) }
        return .decoded(body)
    }

    /// Set once anything was met that is left to Foundation's decoder.
    final class State {
        var gaveUp = false

        func giveUp(_ codingPath: [any CodingKey]) -> DecodingError {
            gaveUp = true
            return .dataCorrupted(.init(codingPath: codingPath, debugDescription: "left to JSONDecoder"))
        }
    }

    /// Types JSONDecoder reads its own way.
    static func isSpecial(_ type: Any.Type) -> Bool {
        type is any StringKeyedDictionary.Type || type == Date.self || type == Data.self || type == URL.self
            || type == Decimal.self
    }

    static func decodeValue<Value: Decodable>(
        _ type: Value.Type, from tree: JSONTree, codingPath: [any CodingKey], state: State
    ) throws -> Value {
        guard !isSpecial(type) else { throw state.giveUp(codingPath) }
        return try Value(from: TreeDecoder(tree: tree, codingPath: codingPath, state: state))
    }

    struct TreeDecoder: Decoder {
        let tree: JSONTree
        let codingPath: [any CodingKey]
        let state: State
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .object(let object) = tree else { throw state.giveUp(codingPath) }
            return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath, state: state))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let elements) = tree else { throw state.giveUp(codingPath) }
            return UnkeyedContainer(elements: elements, codingPath: codingPath, state: state)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer {
            SingleValue(tree: tree, codingPath: codingPath, state: state)
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: JSONTreeObject
        let codingPath: [any CodingKey]
        let state: State

        var allKeys: [Key] { object.converted.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool {
            guard let index = object.index(of: key.stringValue) else { return false }
            object.taken[index] = true
            return true
        }

        func take(_ key: Key) throws -> JSONTree {
            guard let index = object.index(of: key.stringValue) else { throw state.giveUp(codingPath + [key]) }
            object.taken[index] = true
            return object.values[index]
        }

        func decodeNil(forKey key: Key) throws -> Bool { try take(key).isNull }

        func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
            try RequestDecoder.decodeValue(type, from: take(key), codingPath: codingPath + [key], state: state)
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try TreeDecoder(tree: take(key), codingPath: codingPath + [key], state: state).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try TreeDecoder(tree: take(key), codingPath: codingPath + [key], state: state).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { throw state.giveUp(codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw state.giveUp(codingPath + [key]) }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONTree]
        let codingPath: [any CodingKey]
        let state: State
        var currentIndex = 0

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func next() throws -> (JSONTree, [any CodingKey]) {
            guard !isAtEnd else { throw state.giveUp(codingPath) }
            defer { currentIndex += 1 }
            return (elements[currentIndex], codingPath + [IndexKey(intValue: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { throw state.giveUp(codingPath) }
            guard elements[currentIndex].isNull else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
            let (tree, path) = try next()
            return try RequestDecoder.decodeValue(type, from: tree, codingPath: path, state: state)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            let (tree, path) = try next()
            return try TreeDecoder(tree: tree, codingPath: path, state: state).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (tree, path) = try next()
            return try TreeDecoder(tree: tree, codingPath: path, state: state).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { throw state.giveUp(codingPath) }
    }

    struct SingleValue: SingleValueDecodingContainer {
        let tree: JSONTree
        let codingPath: [any CodingKey]
        let state: State

        func decodeNil() -> Bool { tree.isNull }

        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let value) = tree else { throw state.giveUp(codingPath) }
            return value
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .string(let value) = tree else { throw state.giveUp(codingPath) }
            return value
        }

        func decode(_ type: Double.Type) throws -> Double {
            guard case .number(let text) = tree, let value = Double(text), value.isFinite else {
                throw state.giveUp(codingPath)
            }
            return value
        }

        func decode(_ type: Float.Type) throws -> Float { throw state.giveUp(codingPath) }

        /// An integer written as one (`-?[0-9]+`) that fits; anything else is Foundation's.
        func integer<Integer: FixedWidthInteger>(_ type: Integer.Type) throws -> Integer {
            guard case .number(let text) = tree, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
                let value = Integer(text)
            else { throw state.giveUp(codingPath) }
            return value
        }

        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

        func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
            try RequestDecoder.decodeValue(type, from: tree, codingPath: codingPath, state: state)
        }
    }

    struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }
}

extension RequestDecoder.Outcome: Equatable where Body: Equatable {}

/// Dictionaries keyed by strings, which JSONDecoder reads without converting their keys.
protocol StringKeyedDictionary {}
extension Dictionary: StringKeyedDictionary where Key == String {}
