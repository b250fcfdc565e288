/// `POST /v1/bulletins/{group}/{author}/{index}/cancel`.
public struct CancelRequest: Codable, Sendable, Equatable {
    /// Why; it becomes the cancel's description.
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
}
