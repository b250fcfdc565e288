/// The shape of a JSON document: its objects' keys and its arrays' elements, each value
/// reduced to whether it is null. Enough to tell which fields a request gave that its model
/// did not take, read in one pass over the bytes (a request is checked this way on every
/// call: decoding it twice into `JSONValue` cost more than the request itself).
indirect enum JSONShape: Equatable {
    case null
    case scalar
    case array([JSONShape])
    case object([String: JSONShape])

    /// The shape of `bytes`, or nil unless they are one JSON value (objects and arrays nested
    /// at most `maximumDepth` deep).
    init?(parsing bytes: some Collection<UInt8>) {
        var bytes = Array(bytes)
        // A UTF-8 byte order mark, as JSONDecoder takes it.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var reader = Reader(bytes: bytes)
        guard let shape = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        guard reader.position == reader.bytes.count else { return nil }
        self = shape
    }

    static let maximumDepth = 512

    /// The first key (as a path, `areas.0.descripton`) that `self` has and `understood` does
    /// not; nulls are not fields.
    func firstKey(missingFrom understood: JSONShape, path: String = "") -> String? {
        switch (self, understood) {
        case (.object(let given), .object(let known)):
            for key in given.keys.sorted() where given[key] != .null {
                guard let knownValue = known[key] else { return path + key }
                if let found = given[key]!.firstKey(missingFrom: knownValue, path: path + key + ".") { return found }
            }
            return nil
        case (.object(let given), _):
            return given.keys.sorted().first { given[$0] != .null }.map { path + $0 }
        case (.array(let given), .array(let known)):
            for (index, value) in given.enumerated() where index < known.count {
                if let found = value.firstKey(missingFrom: known[index], path: path + "\(index).") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) -> JSONShape? {
            skipSpace()
            guard position < bytes.count, depth <= JSONShape.maximumDepth else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [String: JSONShape] = [:]
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    // A trailing comma, as JSONDecoder takes it.
                    if position < bytes.count, bytes[position] == UInt8(ascii: "}"), !members.isEmpty {
                        position += 1
                        return .object(members)
                    }
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let member = value(depth: depth + 1) else { return nil }
                    // As JSONDecoder reads a key given twice: the first value counts.
                    if members[key] == nil { members[key] = member }
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") {
                        position += 1
                    } else if bytes[position] == UInt8(ascii: "}") {
                        position += 1
                        return .object(members)
                    } else {
                        return nil
                    }
                }
            case UInt8(ascii: "["):
                position += 1
                var elements: [JSONShape] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                }
                while true {
                    skipSpace()
                    // A trailing comma, as JSONDecoder takes it.
                    if position < bytes.count, bytes[position] == UInt8(ascii: "]"), !elements.isEmpty {
                        position += 1
                        return .array(elements)
                    }
                    guard let element = value(depth: depth + 1) else { return nil }
                    elements.append(element)
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") {
                        position += 1
                    } else if bytes[position] == UInt8(ascii: "]") {
                        position += 1
                        return .array(elements)
                    } else {
                        return nil
                    }
                }
            case UInt8(ascii: "\""):
                // A value's text is not needed: only where it ends.
                return skipString() ? .scalar : nil
            case UInt8(ascii: "n"):
                return word("null") ? .null : nil
            case UInt8(ascii: "t"):
                return word("true") ? .scalar : nil
            case UInt8(ascii: "f"):
                return word("false") ? .scalar : nil
            default:
                // A number: its characters, checked by the decoder that read the request first.
                let start = position
                while position < bytes.count, Self.numberCharacters.contains(bytes[position]) { position += 1 }
                return position > start ? .scalar : nil
            }
        }

        static let numberCharacters = Set("0123456789+-.eE".utf8)

        mutating func word(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            let matches = text.withUTF8Buffer { expected in bytes[position..<(position + count)].elementsEqual(expected)
            }
            if matches { position += count }
            return matches
        }

        /// Moves past the string at the position, escapes and all.
        mutating func skipString() -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return false }
            position += 1
            while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
                position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard position < bytes.count else { return false }
            position += 1
            return true
        }

        /// A string at the position, its escapes decoded.
        mutating func string() -> String? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            position += 1
            let start = position
            var escaped = false
            while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
                if bytes[position] == UInt8(ascii: "\\") {
                    escaped = true
                    position += 1
                }
                position += 1
            }
            guard position < bytes.count else { return nil }
            let raw = bytes[start..<position]
            position += 1
            guard escaped else { return String(validating: raw, as: UTF8.self) }
            return JSONTree.Reader.unescaped(raw)
        }
    }
}
