extension Charter {
    /// Who witnesses one feed, and how many of their cosignatures make a checkpoint witnessed.
    public struct WitnessPolicy: Hashable, Sendable {
        /// The nodes whose cosignatures count, in charter order.
        public let witnesses: [String]
        /// How many of them must have cosigned.
        public let quorum: Int

        /// The witnesses of `witnesses` that cosigned, and whether they are enough.
        public func judge(cosigners: some Sequence<String>) -> (counted: [String], isWitnessed: Bool) {
            let cosigned = Set(cosigners)
            let counted = witnesses.filter { cosigned.contains($0) }
            return (counted, counted.count >= quorum)
        }
    }

    /// The default witnesses of a group: its convener and its relays.
    static func defaultWitnesses(of group: Group, nodes: [Node]) -> [String] {
        let relays = Set(nodes.filter { $0.role == .relay }.map(\.id))
        return group.members.filter { $0 == group.convener || relays.contains($0) }
    }

    /// The witness policy of the feed of `author` in `groupID` (nil for a group this charter
    /// does not have).
    ///
    /// The group's witnesses (named in `witnesses`, else its convener and relays), without the
    /// author: no node witnesses its own feed. When that leaves no one (a convener that is the
    /// group's only relay, writing its own decisions), the group's other members witness it.
    /// The quorum is the group's `witness-quorum`, at most the number of witnesses.
    public func witnessPolicy(group groupID: String, author: String) -> WitnessPolicy? {
        guard let group = group(groupID) else { return nil }
        var witnesses = (group.namedWitnesses ?? Self.defaultWitnesses(of: group, nodes: nodes)).filter { $0 != author }
        if witnesses.isEmpty { witnesses = group.members.filter { $0 != author } }
        return WitnessPolicy(witnesses: witnesses, quorum: min(group.witnessQuorum, witnesses.count))
    }
}
