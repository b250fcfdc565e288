/// The answer to every request that writes an entry: its reference.
public struct Created: Codable, Sendable, Equatable {
    /// `<group>/<author>/<index>`.
    public var reference: String

    public init(reference: String) { self.reference = reference }
}
