/// A JSON document read strictly (RFC 8259: no trailing comma, no key given twice, numbers as
/// their text), for `RequestDecoder`. Anything else, and anything unusual, is not read: the
/// request then goes to Foundation's decoder, which says what is wrong with it.
///
/// Read `lenient`, it takes what Foundation's decoder takes of a body it has already decoded
/// (a trailing comma; a key given twice, the first value counting; any key; a number as the
/// run of its characters), for `JSONShape`.
indirect enum JSONTree {
    case null
    case bool(Bool)
    /// A number's text, as given.
    case number(String)
    case string(String)
    case array([JSONTree])
    case object(JSONTreeObject)

    /// The document in `bytes` (after a UTF-8 byte order mark, as JSONDecoder takes it), or nil.
    init?(parsing bytes: [UInt8], lenient: Bool = false) {
        var reader = Reader(bytes: bytes, lenient: lenient)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.position = 3 }
        guard let tree = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        guard reader.position == bytes.count else { return nil }
        self = tree
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The first key (as a path, `areas.0.descripton`) given with a value that the decoder did
    /// not take; keys in sorted order at each level, as `JSONShape` reports them.
    func firstKeyNotTaken(path: String = "") -> String? {
        switch self {
        case .object(let object):
            for index in object.keys.indices.sorted(by: { object.keys[$0] < object.keys[$1] })
            where !object.values[index].isNull {
                let key = object.keys[index]
                guard object.taken[index] else { return path + key }
                if let found = object.values[index].firstKeyNotTaken(path: path + key + ".") { return found }
            }
            return nil
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = element.firstKeyNotTaken(path: path + "\(index).") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var lenient = false
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> JSONTree? {
            skipSpace()
            guard position < bytes.count, depth <= JSONShape.maximumDepth else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                let object = JSONTreeObject()
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(object)
                }
                while true {
                    skipSpace()
                    if lenient, position < bytes.count, bytes[position] == UInt8(ascii: "}"), !object.keys.isEmpty {
                        position += 1
                        return .object(object)
                    }
                    guard let key = string() else { return nil }
                    let converted = lenient ? key : JSONTreeObject.convertFromSnakeCase(key)
                    guard let converted, lenient || !object.contains(converted: converted) else { return nil }
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let member = value(depth: depth + 1) else { return nil }
                    if !object.contains(converted: converted) {
                        object.append(key: key, converted: converted, value: member)
                    }
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    position += 1
                    switch bytes[position - 1] {
                    case UInt8(ascii: ","): continue
                    case UInt8(ascii: "}"): return .object(object)
                    default: return nil
                    }
                }
            case UInt8(ascii: "["):
                position += 1
                var elements: [JSONTree] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                }
                while true {
                    skipSpace()
                    if lenient, position < bytes.count, bytes[position] == UInt8(ascii: "]"), !elements.isEmpty {
                        position += 1
                        return .array(elements)
                    }
                    guard let element = value(depth: depth + 1) else { return nil }
                    elements.append(element)
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    position += 1
                    switch bytes[position - 1] {
                    case UInt8(ascii: ","): continue
                    case UInt8(ascii: "]"): return .array(elements)
                    default: return nil
                    }
                }
            case UInt8(ascii: "\""):
                return string().map { .string($0) }
            case UInt8(ascii: "n"):
                return word("null") ? .null : nil
            case UInt8(ascii: "t"):
                return word("true") ? .bool(true) : nil
            case UInt8(ascii: "f"):
                return word("false") ? .bool(false) : nil
            default:
                return lenient ? numberCharacters().map { .number($0) } : number().map { .number($0) }
            }
        }

        mutating func word(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            let matches = text.withUTF8Buffer { expected in
                bytes[position..<(position + count)].elementsEqual(expected)
            }
            if matches { position += count }
            return matches
        }

        /// A number's characters, as many as there are (checked by the decoder that read the
        /// body first).
        mutating func numberCharacters() -> String? {
            let start = position
            while position < bytes.count, Self.numberCharacters.contains(bytes[position]) { position += 1 }
            return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
        }

        static let numberCharacters = Set("0123456789+-.eE".utf8)

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> String? {
            let start = position
            func digits() -> Int {
                let first = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                    position += 1
                }
                return position - first
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            let integerDigits = digits()
            guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return nil }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { return nil }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
                {
                    position += 1
                }
                guard digits() > 0 else { return nil }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A string at the position, its escapes decoded; nil for control characters, bytes
        /// that are not UTF-8 and escapes of lone surrogates.
        mutating func string() -> String? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            position += 1
            let start = position
            var escaped = false
            while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
                if bytes[position] < 0x20 { return nil }
                if bytes[position] == UInt8(ascii: "\\") {
                    escaped = true
                    position += 1
                }
                position += 1
            }
            guard position < bytes.count else { return nil }
            let raw = bytes[start..<position]
            position += 1
            guard escaped else {
                // ASCII needs no validating (the generic validator is a tenth of the parse).
                if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
                return String(validating: raw, as: UTF8.self)
            }
            return Self.unescaped(raw)
        }

        /// A string's text with its escapes decoded, strictly: `\u` takes exactly four hex
        /// digits, and a high surrogate only with a low one right after it. Nil otherwise.
        static func unescaped(_ raw: ArraySlice<UInt8>) -> String? {
            var result: [UInt8] = []
            result.reserveCapacity(raw.count)
            var index = raw.startIndex
            func hex(at position: Int) -> UInt32? {
                guard position + 4 <= raw.endIndex else { return nil }
                var value: UInt32 = 0
                for byte in raw[position..<(position + 4)] {
                    let digit: UInt8
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                    default: return nil
                    }
                    value = value << 4 | UInt32(digit)
                }
                return value
            }
            while index < raw.endIndex {
                let byte = raw[index]
                guard byte == UInt8(ascii: "\\") else {
                    result.append(byte)
                    index += 1
                    continue
                }
                guard index + 1 < raw.endIndex else { return nil }
                let escape = raw[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escape)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex(at: index) else { return nil }
                    index += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 6 <= raw.endIndex, raw[index] == UInt8(ascii: "\\"),
                            raw[index + 1] == UInt8(ascii: "u"),
                            let low = hex(at: index + 2), (0xDC00...0xDFFF).contains(low)
                        else { return nil }
                        index += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    result += Array(String(Character(unicode)).utf8)
                default:
                    return nil
                }
            }
            return String(validating: result, as: UTF8.self)
        }
    }
}

/// An object of a `JSONTree`: its keys in the order given, and which of them a decoder took.
final class JSONTreeObject {
    private(set) var keys: [String] = []
    /// Each key as JSONDecoder's `convertFromSnakeCase` reads it.
    private(set) var converted: [String] = []
    private(set) var values: [JSONTree] = []
    var taken: [Bool] = []
    /// Where each converted key first appears: a body of many keys is read in linear time.
    private var positions: [String: Int] = [:]

    func append(key: String, converted: String, value: JSONTree) {
        if positions[converted] == nil { positions[converted] = keys.count }
        keys.append(key)
        self.converted.append(converted)
        values.append(value)
        taken.append(false)
    }

    func index(of key: String) -> Int? {
        positions[key]
    }

    /// Whether a member with this converted key was read already.
    func contains(converted key: String) -> Bool {
        positions[key] != nil
    }

    /// Foundation's `convertFromSnakeCase` for keys written as the API writes them: words of
    /// lower-case ASCII letters and digits, each starting with a letter, joined by single
    /// underscores (`author_time_ms` → `authorTimeMs`). Nil for any other key: the tree does
    /// not read it, and the request goes to Foundation's decoder (whose check refuses a key
    /// such as `authorTimeMs`, which its encoder would write `author_time_ms`).
    static func convertFromSnakeCase(_ key: String) -> String? {
        var result: [UInt8] = []
        result.reserveCapacity(key.utf8.count)
        var wordStart = true
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                result.append(wordStart && !result.isEmpty ? byte - 0x20 : byte)
                wordStart = false
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !wordStart:
                result.append(byte)
            case UInt8(ascii: "_") where !wordStart:
                wordStart = true
            default:
                return nil
            }
        }
        guard !wordStart else { return nil }
        return String(decoding: result, as: UTF8.self)
    }
}
