import Foundation

/// Why a request body was refused before anything was done with it.
public enum AdminRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON of the expected shape (`reason` says where and why).
    case malformed(what: String, reason: String)
    /// A field the model has no place for.
    case unknownField(String, what: String)

    public var description: String {
        switch self {
        case .malformed(let what, let reason): return "the body must be \(what): \(reason)"
        case .unknownField(let field, let what): return "\(field): not a field of \(what)"
        }
    }
}

extension AdminJSON {
    /// A request body of `type`, strictly: JSON of the model's shape, and no field the model
    /// has no place for (a misspelt "severety" would otherwise make an update that changes
    /// nothing). `what` names the model in errors ("a bulletin").
    public static func decodeRequest<Body: Codable>(
        _ type: Body.Type, from data: Data, what: String
    ) throws(AdminRequestError) -> Body {
        // The plain case in one pass; everything else (and every error) as Foundation reads it.
        switch RequestDecoder.decode(type, from: Array(data)) {
        case .decoded(let body): return body
        case .unknownField(let unknown): throw .unknownField(unknown, what: what)
        case nil: return try decodeRequestByFoundation(type, from: data, what: what)
        }
    }

    /// `decodeRequest` by Foundation's decoder alone: the body decoded, encoded again, and the
    /// given keys compared with the keys the encoding has.
    static func decodeRequestByFoundation<Body: Codable>(
        _ type: Body.Type, from data: Data, what: String
    ) throws(AdminRequestError) -> Body {
        let body: Body
        do {
            body = try decode(type, from: data)
        } catch {
            throw .malformed(what: what, reason: describe(error))
        }
        // Refused when its fields cannot be told: a check that gave up would let any field through.
        guard let given = JSONShape(parsing: data), let encoded = try? encode(body),
            let understood = JSONShape(parsing: encoded)
        else {
            throw .malformed(what: what, reason: "not UTF-8 JSON whose fields can be checked")
        }
        if let unknown = given.firstKey(missingFrom: understood) { throw .unknownField(unknown, what: what) }
        return body
    }
}
