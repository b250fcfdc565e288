import Foundation
import TocsinCore
import TocsinCrypto

extension FictionalNetwork {
    /// A key and a certificate for node `id` issued by this network's authority: a state to
    /// admit, or a node's new key (`tocsin keygen` and the authority's `issue` do the same).
    public func issueMember(
        id: String, name: String? = nil, role: Charter.Role = .national, now: Date,
        validity: TimeInterval = 365 * 86_400
    ) throws -> Member {
        let key = try Ed25519PrivateKey.generate()
        let certificate = try authority.issue(
            nodeID: id, publicKey: key.publicKey, notBefore: now.addingTimeInterval(-3600),
            notAfter: now.addingTimeInterval(validity), serial: UInt64.random(in: 1_000...UInt64(Int64.max)))
        return Member(
            node: Charter.Node(
                id: id, name: name ?? "National focal point of \(id) (fictional state)", role: role,
                publicKey: key.publicKey),
            key: key, certificate: certificate)
    }

    /// `charter` signed by the authority as the amendment that follows `chain`'s latest
    /// version, taking effect at `takesEffectMs`: the file `tocsin charter amend` writes.
    /// `replaces` and `takes-effect` are filled in (any the charter names are replaced).
    public func amendment(
        _ charter: Charter, after chain: CharterChain, previous: AmendmentBundle?, takesEffectMs: Int64,
        now: Date = Date()
    ) throws -> AmendmentBundle {
        let terms = Charter(
            network: charter.network, version: charter.version, replaces: chain.latest.sha256,
            takesEffectMs: takesEffectMs, nodes: charter.nodes, groups: charter.groups)
        let toml = Array(terms.renderTOML().utf8)
        let signed = try SignedCharter(
            toml: toml, signatureFile: authority.key.signature(for: toml), authority: authority.key.publicKey)
        return try AmendmentBundle.extending(
            previous, with: signed, network: networkID, authorityKey: authority.key,
            authorTimeMs: Int64(now.timeIntervalSince1970 * 1000))
    }

    /// The chain of the genesis charter alone.
    public var genesisChain: CharterChain {
        CharterChain(genesis: signedCharter, authority: authority.key.publicKey)
    }
}

extension Charter {
    /// This charter as version `version`, with `nodes` and `groups` changed by the closures:
    /// the draft of an amendment.
    public func amended(
        version: UInt64, nodes changeNodes: ([Node]) -> [Node] = { $0 },
        groups changeGroups: ([Group]) -> [Group] = { $0 }
    ) -> Charter {
        Charter(network: network, version: version, nodes: changeNodes(nodes), groups: changeGroups(groups))
    }
}

extension Charter.Group {
    /// This group with other members (and, if given, another convener or history setting).
    public func with(
        members: [String], convener: String? = nil, history: Charter.History? = nil
    ) -> Charter.Group {
        Charter.Group(
            id: id, name: name, members: members, convener: convener ?? self.convener, policy: policy,
            quorumPercent: quorumPercent, deliberationMinutes: deliberationMinutes, history: history ?? self.history,
            witnesses: namedWitnesses, witnessQuorum: witnessQuorum)
    }
}
