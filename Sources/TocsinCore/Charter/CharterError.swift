/// Why a charter was refused. Each case names the line or the id at fault.
public enum CharterError: Error, Sendable, Equatable, CustomStringConvertible {
    case notUTF8
    case tooLarge(byteCount: Int, limit: Int)
    case syntax(line: Int, column: Int, reason: String)
    case missingKey(where: String, key: String)
    case wrongType(where: String, key: String, expected: String)
    case unknownKey(where: String, key: String)
    case invalid(where: String, reason: String)
    case duplicateID(kind: String, id: String, line: Int?)
    case unknownMember(group: String, member: String)
    case convenerNotMember(group: String, convener: String)
    case malformedSignature(reason: String)
    case badSignature

    public var description: String {
        switch self {
        case .notUTF8:
            return "the charter is not valid UTF-8"
        case .tooLarge(let byteCount, let limit):
            return "the charter has \(byteCount) bytes, more than the limit of \(limit)"
        case .syntax(let line, let column, let reason):
            return "line \(line), column \(column): \(reason)"
        case .missingKey(let place, let key):
            return "\(place): missing `\(key)`"
        case .wrongType(let place, let key, let expected):
            return "\(place): `\(key)` must be \(expected)"
        case .unknownKey(let place, let key):
            return "\(place): unknown key `\(key)` (misspelt?)"
        case .invalid(let place, let reason):
            return "\(place): \(reason)"
        case .duplicateID(let kind, let id, let line):
            return "\(line.map { "line \($0): " } ?? "")\(kind) id \(id.debugDescription) appears more than once"
        case .unknownMember(let group, let member):
            return "group \(group): member \(member.debugDescription) is not a node of this charter"
        case .convenerNotMember(let group, let convener):
            return "group \(group): convener \(convener.debugDescription) must be one of the group's members"
        case .malformedSignature(let reason):
            return "the charter signature is malformed: \(reason)"
        case .badSignature:
            return
                "the charter signature does not verify with the network authority's key: the charter was altered or signed by another key"
        }
    }
}
