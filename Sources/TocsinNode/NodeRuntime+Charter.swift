import Foundation
import TocsinAdmin
import TocsinCore

/// The charter's versions: what the node holds, and publishing an amendment.
extension NodeRuntime {
    /// Every version held, the one in force marked.
    public func charterHistory() async -> CharterHistory {
        await onQueue { self.charterHistoryOnQueue() }
    }

    func charterHistoryOnQueue() -> CharterHistory {
        let forked = sync.forkProofs[AuthorityFeed.origin(of: store.networkID)] != nil
        guard let chain = sync.chain else {
            return CharterHistory(
                networkID: store.networkID.description, inForce: sync.charter.version, forked: forked, versions: [])
        }
        return CharterHistory(chain: chain, inForce: sync.charter.version, forked: forked)
    }

    /// Publishes an amendment file: checked as a peer's batch of the authority feed would be,
    /// stored, then announced to every peer. Returns once it is durable.
    public func publish(_ bundle: AmendmentBundle) async throws -> CharterHistory {
        let now = UInt64(max(0, clock().timeIntervalSince1970))
        let outcome = await onQueue { () -> Result<Void, SyncNode.PublishRefusal> in
            guard self.storeFailure == nil else { return .failure(.storeCannotWrite) }
            switch self.sync.publish(bundle, now: now) {
            case .success(let actions):
                self.perform(actions)
                return .success(())
            case .failure(let refusal):
                return .failure(refusal)
            }
        }
        if case .failure(let refusal) = outcome {
            throw ServiceError(.invalid(field: "amendment"), refusal.description)
        }
        await withCheckedContinuation { continuation in afterQueuedWrites { continuation.resume() } }
        return await charterHistory()
    }
}
