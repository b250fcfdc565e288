import TocsinCrypto

/// What the consultation machine reads of the log beyond the entries it is given: who
/// witnessed an entry and when, and the root of a feed at a size.
///
/// The node answers from its store, tests from memory, as etcd's raft library reads its log
/// through the `Storage` interface its application implements. Answers must describe what is
/// durably held; a read that fails answers nil (not witnessed, no root).
public protocol ConsultationLedger {
    /// The earliest cosignature by `witness` (a witness name, `WitnessName.of`) on a held
    /// checkpoint of `origin` that includes entry `index`, with that checkpoint.
    func witnessing(of index: UInt64, in origin: FeedOrigin, by witness: String) -> Witnessing?

    /// The root of `origin`'s tree at `size`, or nil when this node holds fewer entries.
    func root(of origin: FeedOrigin, size: UInt64) -> SHA256Digest?

    /// Whether this ledger holds all it ever will (a dossier's, PROTOCOL.md §11): a root it
    /// does not have will never come, so a cited checkpoint of that size proves nothing rather
    /// than waiting. A node's log grows: false.
    var isComplete: Bool { get }
}

extension ConsultationLedger {
    public var isComplete: Bool { false }
}

/// A witness's first cosignature covering an entry.
public struct Witnessing: Hashable, Sendable {
    /// The cosignature's time, POSIX seconds on the witness's clock.
    public let timestamp: UInt64
    /// The checkpoint it cosigned, with every cosignature held for it.
    public let checkpoint: SignedCheckpoint

    public init(timestamp: UInt64, checkpoint: SignedCheckpoint) {
        self.timestamp = timestamp
        self.checkpoint = checkpoint
    }

    /// The time in milliseconds, or nil when it does not fit (a timestamp from a peer is
    /// only bounded by 2^63-1 seconds).
    public var milliseconds: Int64? { Self.milliseconds(seconds: timestamp) }

    /// POSIX seconds as milliseconds, without overflow.
    public static func milliseconds(seconds: UInt64) -> Int64? {
        guard seconds <= UInt64(Int64.max / 1000) else { return nil }
        return Int64(seconds) * 1000
    }
}
