/// A supervised node exited while something waited on it.
public struct NodeExited: Error, Sendable, CustomStringConvertible {
    public let id: String
    public let status: Int32
    public let log: String

    public var description: String { "tocsind \(id) exited (status \(status)); see \(log)" }
}
