import Foundation
import GRDB
import TocsinCore

extension FeedStore {
    /// When `witness` (a witness name, `WitnessName.of`) first vouched for entry `index` of
    /// `origin`: its earliest cosignature on a stored checkpoint that includes the entry, with
    /// that checkpoint. Looks at the 16 smallest such checkpoints: a witness cosigns the
    /// checkpoints it verifies as they arrive, so the first covering one is among them.
    public func witnessed(
        origin: FeedOrigin, index: UInt64, by witness: String
    ) throws(StoreError) -> (timestamp: UInt64, checkpoint: SignedCheckpoint)? {
        guard index < Checkpoint.maximumSize else { return nil }
        return try Self.run {
            try database.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT checkpoints.id, checkpoints.note FROM checkpoints JOIN feeds ON feeds.id = checkpoints.feed_id
                        WHERE feeds.origin = ? AND checkpoints.size > ? ORDER BY checkpoints.size, checkpoints.id LIMIT 16
                        """, arguments: [origin.description, Int64(index)])
                var best: (timestamp: UInt64, checkpoint: SignedCheckpoint)?
                for row in rows {
                    let checkpoint = try Self.withCosignatures(row, in: db)
                    for cosignature in checkpoint.cosignatures where cosignature.witnessName == witness {
                        if best == nil || cosignature.timestamp < best!.timestamp {
                            best = (cosignature.timestamp, checkpoint)
                        }
                    }
                }
                return best
            }
        }
    }
}
