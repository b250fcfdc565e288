import TocsinCore

/// Something the node did, for operators' logs, metrics and tests.
public enum NodeEvent: Sendable, Equatable {
    case sessionEstablished(peer: String)
    case sessionEnded(peer: String)
    /// A batch of `origin` was stored; the feed now holds `size` entries.
    case stored(origin: FeedOrigin, size: UInt64)
    case forkRecorded(origin: FeedOrigin)
    /// A peer's `Heads` was processed (what the network holds of this node's feeds is known).
    case headsReceived(peer: String)
    /// The store could not write: appends are refused until `storeResumed`.
    case storeFailed
    /// The store writes again.
    case storeResumed
    /// An amendment took effect: the node runs under this charter version now.
    case charterAdopted(version: UInt64)
}
