import Foundation
import GRDB
import TocsinCore

extension FeedStore {
    /// When `witness` (a witness name, `WitnessName.of`) first vouched for entry `index` of
    /// `origin`: its earliest cosignature on a stored checkpoint that includes the entry, with
    /// that checkpoint. Looks at the 16 smallest such checkpoints it cosigned: a witness cosigns the
    /// checkpoints it verifies as they arrive, so the first covering one is among them.
    public func witnessed(
        origin: FeedOrigin, index: UInt64, by witness: String
    ) throws(StoreError) -> (timestamp: UInt64, checkpoint: SignedCheckpoint)? {
        guard index < Checkpoint.maximumSize else { return nil }
        return try Self.run {
            try database.read { db in
                // Only checkpoints this witness cosigned, smallest first: its first witnessing is
                // almost always on the smallest, and a bounded read stays cheap on long feeds.
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT checkpoints.id, checkpoints.note, cosignatures.timestamp
                        FROM checkpoints JOIN feeds ON feeds.id = checkpoints.feed_id
                        JOIN cosignatures ON cosignatures.checkpoint_id = checkpoints.id
                        WHERE feeds.origin = ? AND checkpoints.size > ? AND cosignatures.witness = ?
                        ORDER BY checkpoints.size, checkpoints.id LIMIT 16
                        """, arguments: [origin.description, Int64(index), witness])
                guard let first = rows.min(by: { ($0["timestamp"] as Int64) < ($1["timestamp"] as Int64) }) else {
                    return nil
                }
                let checkpoint = try Self.withCosignatures(first, in: db)
                var best: (timestamp: UInt64, checkpoint: SignedCheckpoint)?
                for cosignature in checkpoint.cosignatures where cosignature.witnessName == witness {
                    if best == nil || cosignature.timestamp < best!.timestamp {
                        best = (cosignature.timestamp, checkpoint)
                    }
                }
                return best
            }
        }
    }
}
