/// Why a dossier could not be read, exported or verified: the element concerned (a path in the
/// archive, `archive` or `manifest.json`, as PROTOCOL.md §11 names them) and the reason.
public struct DossierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The archive path (or `archive`) of the element that fails.
    public let element: String
    public let reason: String

    public init(_ element: String, _ reason: String) {
        self.element = element
        self.reason = reason
    }

    public var description: String { "\(element): \(reason)" }
}
