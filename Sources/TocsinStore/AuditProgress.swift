/// How far an audit has got: reported after each feed, for a progress display.
public struct AuditProgress: Sendable, Equatable {
    public let feedsChecked: Int
    public let feeds: Int
    public let entriesChecked: UInt64
    /// The feed just checked.
    public let origin: String

    public init(feedsChecked: Int, feeds: Int, entriesChecked: UInt64, origin: String) {
        self.feedsChecked = feedsChecked
        self.feeds = feeds
        self.entriesChecked = entriesChecked
        self.origin = origin
    }
}
