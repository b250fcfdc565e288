import Foundation
import TocsinCore

/// Verified batches from peers waiting for the store's writer, and the sessions held back
/// while too many bytes of them wait.
///
/// A session hands the node at most `SessionHandler.inboundLimit` messages before it stops
/// reading; a message counts as dealt with once the node queue has verified it. When
/// verifying is faster than the disk (a node catching up on a slow disk, or on a fast
/// verifier), verified batches would pile up in memory without end. Above `limitBytes`, a
/// message counts as dealt with only once the writer has brought the backlog back under the
/// limit: the session stops reading, TCP pushes back, and the serving peer waits.
struct StoreBacklog {
    /// Entry bytes waiting above which sessions are held back (live traffic stays far below).
    static let defaultLimitBytes = 8 << 20

    let limitBytes: Int
    private(set) var batches: [(batch: FeedBatch, now: Date)] = []
    /// Entry bytes of `batches`.
    private(set) var bytes = 0
    private var heldBack: [@Sendable () -> Void] = []

    init(limitBytes: Int = StoreBacklog.defaultLimitBytes) {
        self.limitBytes = limitBytes
    }

    /// Sessions waiting for the writer.
    var heldBackCount: Int { heldBack.count }

    mutating func append(_ batch: FeedBatch, now: Date) {
        batches.append((batch, now))
        bytes += Self.size(of: batch)
    }

    /// `done` (a message dealt with) if the backlog is within its limit; otherwise nil, and
    /// `done` is kept until a write brings it back within.
    mutating func holdBack(_ done: @escaping @Sendable () -> Void) -> (@Sendable () -> Void)? {
        guard bytes > limitBytes else { return done }
        heldBack.append(done)
        return nil
    }

    /// The oldest batches, up to `maximumBytes` of entries (always at least one), for one
    /// transaction.
    mutating func take(maximumBytes: Int) -> [(batch: FeedBatch, now: Date)] {
        var taken = 0
        var count = 0
        for waiting in batches {
            let size = Self.size(of: waiting.batch)
            if count > 0 && taken + size > maximumBytes { break }
            taken += size
            count += 1
        }
        defer {
            batches.removeFirst(count)
            bytes -= taken
        }
        return Array(batches.prefix(count))
    }

    /// The sessions to resume once a write is done: all of them, when the backlog is back
    /// within its limit.
    mutating func released() -> [@Sendable () -> Void] {
        guard bytes <= limitBytes, !heldBack.isEmpty else { return [] }
        defer { heldBack = [] }
        return heldBack
    }

    static func size(of batch: FeedBatch) -> Int {
        batch.entryByteCount
    }
}
