/// How far serving reads a message's entries (`SyncNode.servingRead(of:of:)`).
public struct ServingRead: Sendable, Equatable {
    /// The first entry's index.
    public let start: UInt64
    /// The end of the first interval between stored checkpoints: read whatever its size.
    public let firstIntervalEnd: UInt64
    /// The byte limit of a message.
    public let maximumBytes: Int

    /// Whether another entry must be read, after `entries` entries of `bytes` bytes in all.
    public func needsMore(entries: Int, bytes: Int) -> Bool {
        let (end, overflow) = start.addingReportingOverflow(UInt64(max(0, entries)))
        return bytes <= maximumBytes || (!overflow && end < firstIntervalEnd)
    }
}
