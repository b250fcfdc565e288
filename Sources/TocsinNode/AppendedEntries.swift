import TocsinCore

/// Where an append's entries were stored: the batch they were signed and written in, which
/// may also hold entries other callers appended at the same moment (group commit), and the
/// caller's own place in it.
public struct AppendedEntries: Sendable {
    /// The batch stored durably, with its signed checkpoint.
    public let batch: FeedBatch
    /// The index of the caller's first entry.
    public let firstIndex: UInt64
    /// How many entries the caller appended.
    public let count: Int

    public var origin: FeedOrigin { batch.origin }
    /// The feed's size once the batch was stored: it covers the caller's entries.
    public var storedSize: UInt64 { batch.frontier.size }
}
