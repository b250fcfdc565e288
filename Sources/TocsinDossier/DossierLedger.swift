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

    /// A dossier holds all it ever will.
    var isComplete: Bool { true }

    /// For each origin and witness, the earliest cosignature on a listed checkpoint at or
    /// after each position (checkpoints smallest first): a witnessing is then one binary search,
    /// whatever a hostile dossier lists.
    var earliestFrom: [String: [String: [(timestamp: UInt64, position: Int)?]]] = [:]

    /// Indexes the checkpoints once every feed is read.
    mutating func index() {
        earliestFrom = feeds.mapValues { listed in
            let witnesses = Set(listed.flatMap(\.cosigned.keys))
            var byWitness: [String: [(timestamp: UInt64, position: Int)?]] = [:]
            for witness in witnesses {
                var suffix = [(timestamp: UInt64, position: Int)?](repeating: nil, count: listed.count + 1)
                for position in stride(from: listed.count - 1, through: 0, by: -1) {
                    suffix[position] = suffix[position + 1]
                    if let timestamp = listed[position].cosigned[witness],
                        suffix[position] == nil || timestamp < suffix[position]!.timestamp
                    {
                        suffix[position] = (timestamp, position)
                    }
                }
                byWitness[witness] = suffix
            }
            return byWitness
        }
    }

    func witnessing(of index: UInt64, in origin: FeedOrigin, by witness: String) -> Witnessing? {
        guard let listed = feeds[origin.description], let suffix = earliestFrom[origin.description]?[witness] else {
            return nil
        }
        // The first listed checkpoint that includes entry `index` (size > index).
        var (low, high) = (0, listed.count)
        while low < high {
            let middle = (low + high) / 2
            if listed[middle].checkpoint.checkpoint.size > index { high = middle } else { low = middle + 1 }
        }
        guard let earliest = suffix[low] else { return nil }
        return Witnessing(timestamp: earliest.timestamp, checkpoint: listed[earliest.position].checkpoint)
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
