/// The shape of a JSON document: its objects' keys and its arrays' elements, each value
/// reduced to whether it is null. Enough to tell which fields a request gave that its model
/// did not take (the check of a request that `RequestDecoder` left to Foundation's decoder).
indirect enum JSONShape: Equatable {
    case null
    case scalar
    case array([JSONShape])
    case object([String: JSONShape])

    /// The shape of `bytes`, or nil unless they are one JSON value (objects and arrays nested
    /// at most `maximumDepth` deep), read as Foundation's decoder reads it (`JSONTree`, lenient).
    init?(parsing bytes: some Collection<UInt8>) {
        guard let tree = JSONTree(parsing: Array(bytes), lenient: true) else { return nil }
        self.init(tree)
    }

    init(_ tree: JSONTree) {
        switch tree {
        case .null: self = .null
        case .bool, .number, .string: self = .scalar
        case .array(let elements): self = .array(elements.map(JSONShape.init))
        case .object(let object):
            var members: [String: JSONShape] = [:]
            for (key, value) in zip(object.keys, object.values) { members[key] = JSONShape(value) }
            self = .object(members)
        }
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
}
