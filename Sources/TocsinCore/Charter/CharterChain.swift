import Foundation
import TocsinCrypto

/// Every version of a network's charter: the genesis charter, then the amendments of the
/// authority feed, each checked against the one before.
///
/// An amendment is an entry of kind `charter` whose TOML is signed by the authority (the same
/// detached signature as the genesis charter's), names a higher `version`, `replaces` the
/// SHA-256 of the version before, and `takes-effect` no earlier than it. The version in force
/// at a time is the last one taking effect by then. Keys follow the whole chain: a key once
/// pinned for a node is never another node's, and a key once revoked is never trusted again.
public struct CharterChain: Sendable {
    public let authority: Ed25519PublicKey
    public let network: NetworkID
    /// Oldest first; the first is the genesis charter.
    public private(set) var versions: [CharterVersion]

    public init(genesis: SignedCharter, authority: Ed25519PublicKey) {
        self.authority = authority
        self.network = genesis.networkID
        versions = [CharterVersion(signed: genesis, takesEffectMs: 0, entryIndex: nil)]
    }

    /// The genesis charter followed by the amendments `entries` (the authority feed from its
    /// first entry).
    public init(
        genesis: SignedCharter, authority: Ed25519PublicKey, amendments entries: [[UInt8]]
    )
        throws(AmendmentError)
    {
        self.init(genesis: genesis, authority: authority)
        for (index, entry) in entries.enumerated() {
            try append(amendment(entry: entry, index: UInt64(index)))
        }
    }

    /// How far before the authority signed it an amendment may take effect: clock skew only.
    public static let retroactivityMs: Int64 = 300_000

    public var genesis: CharterVersion { versions[0] }
    public var latest: CharterVersion { versions[versions.count - 1] }
    /// Amendments held: the size of the authority feed this chain reflects.
    public var amendmentCount: UInt64 { UInt64(versions.count - 1) }

    /// The version in force at `milliseconds`: the last to take effect by then.
    public func inForce(atMs milliseconds: Int64) -> CharterVersion {
        versions.last { $0.takesEffectMs <= milliseconds } ?? genesis
    }

    public func version(_ number: UInt64) -> CharterVersion? {
        versions.first { $0.version == number }
    }

    /// Checks the authority feed's entry at `index` as the next amendment of this chain.
    public func amendment(entry bytes: [UInt8], index: UInt64) throws(AmendmentError) -> CharterVersion {
        let entry: Tocsin_V1_Entry
        do {
            entry = try EntryDecoder.decode(bytes)
        } catch {
            throw .notAnAmendment(index: index, reason: "\(error)")
        }
        guard entry.kind == .charter, case .charter(let update) = entry.payload else {
            throw .notAnAmendment(index: index, reason: "its kind is not `charter`")
        }
        let signed: SignedCharter
        do {
            signed = try SignedCharter(
                toml: Array(update.charterToml), signatureFile: Array(update.signature), authority: authority)
        } catch .badSignature {
            throw .badSignature(version: update.version)
        } catch .malformedSignature {
            throw .badSignature(version: update.version)
        } catch {
            throw .invalidCharter(version: update.version, error)
        }
        let charter = signed.charter
        guard charter.version == update.version else {
            throw .versionMismatch(entry: update.version, toml: charter.version)
        }
        let current = latest
        guard charter.version > current.version else {
            throw .versionNotHigher(version: charter.version, current: current.version)
        }
        guard let replaces = charter.replaces, let takesEffectMs = charter.takesEffectMs else {
            throw .missingTerms(version: charter.version)
        }
        guard replaces == current.sha256 else {
            throw .wrongPredecessor(version: charter.version, replaces: replaces.hex, expected: current.sha256.hex)
        }
        guard takesEffectMs >= current.takesEffectMs else {
            throw .effectiveTooEarly(
                version: charter.version, takesEffectMs: takesEffectMs, previousMs: current.takesEffectMs)
        }
        // Never in the past of the authority's own signing (beyond clock skew): an amendment
        // that took effect before it existed would change, after the fact, under which charter
        // proposals already written were judged.
        guard takesEffectMs >= entry.authorTimeMs &- Self.retroactivityMs else {
            throw .retroactive(version: charter.version, takesEffectMs: takesEffectMs, signedMs: entry.authorTimeMs)
        }
        try checkKeyHistory(of: charter)
        return CharterVersion(signed: signed, takesEffectMs: takesEffectMs, entryIndex: index)
    }

    /// Appends a version `amendment(entry:index:)` returned.
    public mutating func append(_ version: CharterVersion) {
        precondition(version.version > latest.version, "append the amendment that was checked")
        versions.append(version)
    }

    /// This chain with the amendments `entries` appended (the authority feed from `firstIndex`).
    public func appending(_ entries: [[UInt8]], firstIndex: UInt64) throws(AmendmentError) -> CharterChain {
        var chain = self
        for (offset, entry) in entries.enumerated() {
            chain.append(try chain.amendment(entry: entry, index: firstIndex + UInt64(offset)))
        }
        return chain
    }

    /// A key stays with the node it was first pinned for; a node keeps every key it had (as
    /// its key or a previous key), so that none is trusted again by being left out; a revoked
    /// key stays revoked, and its limits only ever shrink.
    func checkKeyHistory(of charter: Charter) throws(AmendmentError) {
        var owner: [Ed25519PublicKey: String] = [:]
        var keysOf: [String: Set<Ed25519PublicKey>] = [:]
        var limits: [Ed25519PublicKey: [String: UInt64]] = [:]
        for version in versions {
            for node in version.charter.nodes {
                for key in [node.publicKey] + node.previousKeys.map(\.publicKey) {
                    owner[key] = owner[key] ?? node.id
                    keysOf[node.id, default: []].insert(key)
                }
                for key in node.previousKeys {
                    if let validThrough = key.validThrough { limits[key.publicKey] = validThrough }
                }
            }
        }
        for node in charter.nodes {
            let keys = [node.publicKey] + node.previousKeys.map(\.publicKey)
            for key in keys {
                if let first = owner[key], first != node.id {
                    throw .keyHistory(
                        version: charter.version,
                        reason: "node \(node.id) is given a key that was \(first)'s: a key belongs to one node for ever"
                    )
                }
            }
            let dropped = (keysOf[node.id] ?? []).subtracting(keys)
            if !dropped.isEmpty {
                throw .keyHistory(
                    version: charter.version,
                    reason:
                        "node \(node.id) leaves out \(dropped.count) of its earlier keys: keep each under previous-keys (revoked with valid-through if it must sign nothing more)"
                )
            }
            if limits[node.publicKey] != nil {
                throw .keyHistory(
                    version: charter.version, reason: "node \(node.id)'s key was revoked: it is never trusted again")
            }
            for key in node.previousKeys {
                guard let earlier = limits[key.publicKey] else { continue }
                guard let now = key.validThrough else {
                    throw .keyHistory(
                        version: charter.version,
                        reason: "a key of \(node.id) was revoked: it cannot become a rotated key again")
                }
                for (group, size) in now where size > (earlier[group] ?? 0) {
                    throw .keyHistory(
                        version: charter.version,
                        reason:
                            "a revoked key of \(node.id) would sign more of \(group) (\(size)) than before (\(earlier[group] ?? 0)): a revoked key's limits only shrink"
                    )
                }
            }
        }
    }

    // MARK: - Keys

    /// The keys that may sign `node`'s checkpoints in `group`, under the versions up to
    /// `version` (the version in force): its key in that version first, then every earlier key
    /// with the limit the latest of those versions set for it. Nil for a node no version names.
    public func authorKeys(of node: String, group: String, through version: UInt64) -> AuthorKeys? {
        var limits: [Ed25519PublicKey: UInt64?] = [:]
        var order: [Ed25519PublicKey] = []
        var current: Ed25519PublicKey?
        for charterVersion in versions where charterVersion.version <= version {
            guard let entry = charterVersion.charter.node(node) else { continue }
            current = entry.publicKey
            if limits[entry.publicKey] == nil { order.append(entry.publicKey) }
            limits[entry.publicKey] = .some(nil)
            for previous in entry.previousKeys {
                if limits[previous.publicKey] == nil { order.append(previous.publicKey) }
                limits[previous.publicKey] = .some(previous.validThrough.map { $0[group] ?? 0 })
            }
        }
        guard let current else { return nil }
        let earlier = order.filter { $0 != current }.map { key in
            AuthorKeys.Key(publicKey: key, maximumSize: limits[key] ?? nil)
        }
        return AuthorKeys(keys: [AuthorKeys.Key(publicKey: current)] + earlier)
    }

    /// The keys that may sign `origin`'s checkpoints under the versions up to `version`: the
    /// authority's key for the authority feed, the author's keys for any other.
    public func authorKeys(for origin: FeedOrigin, through version: UInt64) -> AuthorKeys? {
        AuthorityFeed.isAuthorityFeed(origin)
            ? AuthorKeys(authority) : authorKeys(of: origin.author, group: origin.group, through: version)
    }

    /// The keys whose cosignatures count for `node` as a witness, under the versions up to
    /// `version`: its key in that version, and its earlier keys unless revoked.
    public func witnessKeys(of node: String, through version: UInt64) -> [Ed25519PublicKey] {
        guard let keys = authorKeys(of: node, group: "", through: version) else { return [] }
        return keys.keys.filter { $0.maximumSize == nil }.map(\.publicKey)
    }

    // MARK: - History

    /// Where `node`'s copy of `group`'s feeds starts, under the versions up to `version` (the
    /// version in force): nil for the whole history, or the time (milliseconds since 1970) of
    /// its admission, when an amendment admitted the node to the group and that amendment's
    /// group says `history = "from-admission"`. A member since the genesis charter, or one
    /// admitted while the group's history was `full`, holds the whole history: a setting
    /// changed later applies to later admissions only (a feed held from a cut can never take
    /// the entries before it).
    ///
    /// The admission is the first version that lists the node in the group: a member removed
    /// and admitted again receives what was written meanwhile, since a feed has no holes.
    /// Each feed then starts at the first entry its author wrote at or after that time, which
    /// every node holding the feed computes alike (`FeedStore.firstIndex(of:authoredFromMs:)`).
    public func historyStart(of node: String, group: String, through version: UInt64) -> Int64? {
        guard
            let admission = versions.first(where: {
                $0.version <= version && $0.charter.group(group)?.members.contains(node) == true
            }), admission.entryIndex != nil, admission.charter.group(group)?.history == .fromAdmission
        else { return nil }
        return admission.takesEffectMs
    }

    /// Every node any version names.
    public var everyNode: [String] {
        var seen: Set<String> = []
        return versions.flatMap { $0.charter.nodes.map(\.id) }.filter { seen.insert($0).inserted }
    }
}
