/// A supervised node exited while something waited on it.
public struct NodeExited: Error, Sendable, CustomStringConvertible {
    public let id: String
    public let status: Int32
    public let log: String
    /// The log's last lines, read when the exit was seen (the folder may be gone by the time
    /// anyone looks).
    public let lastLines: [String]

    public init(id: String, status: Int32, log: String, lastLines: [String] = []) {
        self.id = id
        self.status = status
        self.log = log
        self.lastLines = lastLines
    }

    public var description: String {
        "tocsind \(id) exited (status \(status)); see \(log)"
            + (lastLines.isEmpty ? "" : ", which ends:\n" + lastLines.joined(separator: "\n"))
    }
}
