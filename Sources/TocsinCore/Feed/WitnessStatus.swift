/// A checkpoint's or an entry's witnesses, judged by the charter's witness policy: which of
/// the feed's witnesses cosigned, and whether they are enough.
public struct WitnessStatus: Hashable, Sendable, CustomStringConvertible {
    public let policy: Charter.WitnessPolicy
    /// The policy's witnesses that cosigned, in the policy's order.
    public let cosigned: [String]

    public var isWitnessed: Bool { cosigned.count >= policy.quorum }

    public init(policy: Charter.WitnessPolicy, cosigners: some Sequence<String>) {
        self.policy = policy
        cosigned = policy.judge(cosigners: cosigners).counted
    }

    /// A checkpoint's status, from the cosignatures it carries (verified when they were stored).
    /// Lines by nodes the policy does not name count for nothing. Nil for a group the charter
    /// does not have (the authority's feed has no witness policy).
    public init?(checkpoint: SignedCheckpoint, origin: FeedOrigin, charter: Charter, network: NetworkID) {
        guard let policy = charter.witnessPolicy(group: origin.group, author: origin.author) else { return nil }
        self.init(
            policy: policy,
            cosigners: checkpoint.cosignatures.compactMap { WitnessName.node(in: $0.witnessName, network: network) })
    }

    /// An entry's status: the policy's witnesses that cosigned a held checkpoint including it.
    public init?(entry reference: EntryReference, ledger: some ConsultationLedger, charter: Charter, network: NetworkID)
    {
        guard let policy = charter.witnessPolicy(group: reference.group, author: reference.author),
            let origin = try? FeedOrigin(network: network, group: reference.group, author: reference.author)
        else { return nil }
        let cosigners = policy.witnesses.filter {
            ledger.witnessing(of: reference.index, in: origin, by: WitnessName.of(node: $0, network: network)) != nil
        }
        self.init(policy: policy, cosigners: cosigners)
    }

    /// `witnessed by RN (1 of 1 needed)` or `not yet witnessed: 0 of 1 needed (witnesses RN)`.
    public var description: String {
        isWitnessed
            ? "witnessed by \(cosigned.joined(separator: ", ")) (\(policy.quorum) needed)"
            : "not yet witnessed: \(cosigned.count) of \(policy.quorum) needed (witnesses \(policy.witnesses.joined(separator: ", ")))"
    }
}
