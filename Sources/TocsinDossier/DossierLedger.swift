import TocsinCore
import TocsinCrypto

/// The log as a dossier shows it (PROTOCOL.md §11, step 7): the only cosignatures held are
/// the verified lines on the checkpoints the feeds' files list, and a feed's root is known
/// only at those checkpoints' sizes.
struct DossierLedger: ConsultationLedger {
    struct Listed {
        let checkpoint: SignedCheckpoint
        /// Witness name → timestamp, for the cosignature lines that verified.
        let cosigned: [String: UInt64]
    }

    /// Verified checkpoints by origin (its description), smallest first.
    var feeds: [String: [Listed]] = [:]

    func witnessing(of index: UInt64, in origin: FeedOrigin, by witness: String) -> Witnessing? {
        var earliest: Witnessing?
        for listed in feeds[origin.description] ?? [] where listed.checkpoint.checkpoint.size > index {
            guard let timestamp = listed.cosigned[witness] else { continue }
            if earliest == nil || timestamp < earliest!.timestamp {
                earliest = Witnessing(timestamp: timestamp, checkpoint: listed.checkpoint)
            }
        }
        return earliest
    }

    func root(of origin: FeedOrigin, size: UInt64) -> SHA256Digest? {
        feeds[origin.description]?.first { $0.checkpoint.checkpoint.size == size }?.checkpoint.checkpoint.root
    }

    /// When `reference` was witnessed under `policy`: the time by which a quorum of its
    /// witnesses had cosigned a listed checkpoint including it (POSIX seconds), and who.
    func witnessed(
        _ reference: EntryReference, policy: Charter.WitnessPolicy, network: NetworkID
    ) -> (seconds: UInt64?, by: [String]) {
        guard let origin = try? FeedOrigin(network: network, group: reference.group, author: reference.author) else {
            return (nil, [])
        }
        let times = policy.witnesses.compactMap { node in
            witnessing(of: reference.index, in: origin, by: WitnessName.of(node: node, network: network)).map {
                (node, $0.timestamp)
            }
        }.sorted { $0.1 < $1.1 }
        guard times.count >= policy.quorum, policy.quorum > 0 else { return (nil, times.map(\.0)) }
        return (times[policy.quorum - 1].1, times.map(\.0))
    }
}
