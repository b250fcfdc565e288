/// Whether a node is ready to serve: its store writes, the restore guard has cleared in every
/// group it writes in, and at least one peer is connected. `/readyz` answers it, and
/// `tocsin status` shows it.
public struct Readiness: Codable, Sendable, Equatable {
    /// True when nothing is missing.
    public var ready: Bool
    /// What is missing, one sentence each, in the order the conditions are listed above.
    public var missing: [String]

    public init(missing: [String]) {
        self.ready = missing.isEmpty
        self.missing = missing
    }

    /// `ready`, or `not ready:` and each missing condition on a line of its own.
    public var text: String {
        ready ? "ready\n" : "not ready:\n" + missing.map { "- \($0)\n" }.joined()
    }
}
