/// The state of a node's notifications (`tocsin status`, `GET /v1/status`): its channels, the
/// deliveries it still owes, and each channel whose deliveries fail.
public struct NotificationReport: Codable, Sendable, Equatable {
    public struct Problem: Codable, Sendable, Equatable {
        public var channel: String
        public var undelivered: Int
        public var attempts: Int
        public var lastError: String
        /// When its first undelivered delivery first failed (ISO 8601, UTC).
        public var since: String

        public init(channel: String, undelivered: Int, attempts: Int, lastError: String, since: String) {
            self.channel = channel
            self.undelivered = undelivered
            self.attempts = attempts
            self.lastError = lastError
            self.since = since
        }
    }

    public var channels: [String]
    public var pending: Int
    public var problems: [Problem]

    public init(channels: [String], pending: Int, problems: [Problem]) {
        self.channels = channels
        self.pending = pending
        self.problems = problems
    }
}

/// What `tocsin notify test` sent through one channel (`POST /v1/notifications/test`).
public struct NotificationTestResult: Codable, Sendable, Equatable {
    public var channel: String
    public var delivered: Bool
    /// Why it was not, if it was not.
    public var error: String?

    public init(channel: String, delivered: Bool, error: String?) {
        self.channel = channel
        self.delivered = delivered
        self.error = error
    }
}
