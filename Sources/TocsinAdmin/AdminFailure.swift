/// The body of every refused or failed admin request: what failed and why, and for an
/// invalid field, which field.
public struct AdminFailure: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var error: String
    /// The field at fault, for a request refused as invalid (HTTP 422).
    public var field: String?

    public init(error: String, field: String? = nil) {
        self.error = error
        self.field = field
    }

    public var description: String { error }
}
