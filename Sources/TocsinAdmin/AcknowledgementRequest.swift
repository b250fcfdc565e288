/// `POST /v1/acknowledgements`: an operator's acknowledgement of a bulletin.
public struct AcknowledgementRequest: Codable, Sendable, Equatable {
    public var bulletin: String
    /// `read` or `acted-on` (receipt is acknowledged by the node itself).
    public var level: String

    public init(bulletin: String, level: String) {
        self.bulletin = bulletin
        self.level = level
    }
}
