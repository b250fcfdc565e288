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
        let chain = sync.chain
        let inForce = sync.charter.version
        let forked = sync.forkProofs[AuthorityFeed.origin(of: store.networkID)] != nil
        let versions = (chain?.versions ?? []).map { version in
            CharterHistory.Version(
                version: version.version, sha256: version.sha256.hex, replaces: version.charter.replaces?.hex,
                takesEffect: UTCTime.text(milliseconds: version.takesEffectMs), entryIndex: version.entryIndex,
                signature: Data(version.signed.signature).base64EncodedString(),
                toml: String(decoding: version.signed.bytes, as: UTF8.self), inForce: version.version == inForce)
        }
        return CharterHistory(
            networkID: store.networkID.description, inForce: inForce, forked: forked, versions: versions)
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
