import TocsinCore
import TocsinCrypto

/// The store answers the consultation machine's questions from what is durably held. A read
/// that fails answers nil: not witnessed, no root (the audit then waits or flags, it never
/// trusts).
extension FeedStore: ConsultationLedger {
    public func witnessing(of index: UInt64, in origin: FeedOrigin, by witness: String) -> Witnessing? {
        guard let found = (try? witnessed(origin: origin, index: index, by: witness)) ?? nil else { return nil }
        return Witnessing(timestamp: found.timestamp, checkpoint: found.checkpoint)
    }

    public func root(of origin: FeedOrigin, size: UInt64) -> SHA256Digest? {
        let root = try? withProofs(origin: origin) { proofs, head in
            size <= head.size ? try proofs.root(size: size) : nil
        }
        return root ?? nil
    }
}
