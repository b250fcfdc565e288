import Foundation

/// Why and since when the node's store cannot write.
public struct StoreFailure: Sendable, Equatable {
    /// The store's error, as it said it.
    public let reason: String
    public let since: Date

    public init(reason: String, since: Date) {
        self.reason = reason
        self.since = since
    }
}
