import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// The charter's amendments: the chain of versions, what makes an amendment valid, the
/// version in force, and the keys each version lets sign.
@Suite struct CharterChainTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let network = try! FictionalNetwork.make(nationals: 3, relays: 2, now: now)
    static let hour: Int64 = 3_600_000
    static let nowMs = Int64(now.timeIntervalSince1970 * 1000)

    /// Version 2: XD admitted to nro.
    static func admission() throws -> (FictionalNetwork.Member, Charter) {
        let newcomer = try network.issueMember(id: "XD", now: now)
        let charter = network.charter.amended(
            version: 2, nodes: { $0 + [newcomer.node] },
            groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members + ["XD"]) : $0 } })
        return (newcomer, charter)
    }

    @Test func anAmendmentSignedByTheAuthorityExtendsTheChainAndTakesEffectAtItsTime() throws {
        let (_, charter) = try Self.admission()
        let bundle = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs + Self.hour)
        let chain = try bundle.verify(
            genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        #expect(chain.versions.map(\.version) == [1, 2])
        #expect(chain.latest.charter.group("nro")?.members.contains("XD") == true)
        #expect(chain.latest.charter.replaces == Self.network.genesisChain.genesis.sha256)
        #expect(chain.inForce(atMs: Self.nowMs).version == 1)
        #expect(chain.inForce(atMs: Self.nowMs + Self.hour - 1).version == 1)
        #expect(chain.inForce(atMs: Self.nowMs + Self.hour).version == 2)
        // The network id stays the genesis charter's.
        #expect(chain.network == Self.network.networkID)
        // The file round-trips.
        let reread = try AmendmentBundle(serialized: bundle.serialized)
        #expect(reread.entries == bundle.entries)
        #expect(reread.checkpoint.checkpoint == bundle.checkpoint.checkpoint)
    }

    @Test func eachBadAmendmentIsRefusedWithItsReason() throws {
        let chain = Self.network.genesisChain
        let (_, charter) = try Self.admission()
        func entry(
            _ toml: String, signer: Ed25519PrivateKey = Self.network.authority.key, version: UInt64? = nil
        )
            throws -> [UInt8]
        {
            let bytes = Array(toml.utf8)
            var update = Tocsin_V1_CharterUpdate()
            let parsedVersion = try Charter(toml: bytes).version
            update.version = version ?? parsedVersion
            update.charterToml = Data(bytes)
            update.signature = Data(signer.signature(for: bytes))
            return try Tocsin_V1_Entry.with {
                $0.kind = .charter
                $0.authorTimeMs = 1
                $0.charter = update
            }.serializedBytes()
        }
        let latestHash = chain.latest.sha256
        func text(_ charter: Charter, replaces: SHA256Digest? = latestHash, takesEffect: Int64? = 0) -> String {
            Charter(
                network: charter.network, version: charter.version, replaces: replaces, takesEffectMs: takesEffect,
                nodes: charter.nodes, groups: charter.groups
            ).renderTOML()
        }
        let good = text(charter)
        #expect(throws: Never.self) { try chain.amendment(entry: try entry(good), index: 0) }
        #expect(throws: AmendmentError.badSignature(version: 2)) {
            try chain.amendment(entry: try entry(good, signer: Self.network.members[0].key), index: 0)
        }
        #expect(throws: AmendmentError.versionNotHigher(version: 1, current: 1)) {
            try chain.amendment(entry: try entry(text(charter.amended(version: 1))), index: 0)
        }
        let otherHash = SHA256.hash(Array("another charter".utf8))
        #expect(
            throws: AmendmentError.wrongPredecessor(
                version: 2, replaces: otherHash.hex, expected: chain.latest.sha256.hex)
        ) {
            try chain.amendment(entry: try entry(text(charter, replaces: otherHash)), index: 0)
        }
        #expect(throws: AmendmentError.missingTerms(version: 2)) {
            try chain.amendment(entry: try entry(text(charter, replaces: nil, takesEffect: nil)), index: 0)
        }
        #expect(throws: AmendmentError.versionMismatch(entry: 3, toml: 2)) {
            try chain.amendment(entry: try entry(good, version: 3), index: 0)
        }
        // XA takes a new key and XB is given XA's old one: a key belongs to one node for ever.
        let oldKey = Self.network.member("XA")!.node.publicKey
        let newKey = try Ed25519PrivateKey.generate().publicKey
        let stolen = charter.amended(
            version: 2,
            nodes: { nodes in
                nodes.map { node in
                    switch node.id {
                    case "XA": return Charter.Node(id: "XA", name: node.name, role: node.role, publicKey: newKey)
                    case "XB": return Charter.Node(id: "XB", name: node.name, role: node.role, publicKey: oldKey)
                    default: return node
                    }
                }
            })
        #expect {
            try chain.amendment(entry: try entry(text(stolen)), index: 0)
        } throws: { error in
            guard case AmendmentError.keyHistory = error else { return false }
            return true
        }
        // Not a charter entry at all.
        #expect(throws: AmendmentError.self) {
            try chain.amendment(
                entry: SampleEntries.bulletin(number: 1, country: "XA", byteCount: 90, authorTimeMs: 1), index: 0)
        }
    }

    @Test func anAmendmentTakingEffectBeforeTheOneItReplacesIsRefused() throws {
        let (_, charter) = try Self.admission()
        let second = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs + Self.hour)
        let chain = try second.verify(
            genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        let third = try Self.network.amendment(
            charter.amended(version: 3), after: chain, previous: second, takesEffectMs: Self.nowMs)
        #expect(throws: AmendmentBundleError.self) {
            try third.verify(genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        }
    }

    @Test func anAmendmentNeverTakesEffectBeforeTheAuthoritySignedIt() throws {
        let (_, charter) = try Self.admission()
        let past = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs - Self.hour,
            now: Self.now)
        #expect {
            try past.verify(genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        } throws: { error in
            guard case AmendmentBundleError.amendment(.retroactive) = error else { return false }
            return true
        }
        // Within the clock skew: accepted.
        let skewed = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil,
            takesEffectMs: Self.nowMs - CharterChain.retroactivityMs + 1_000, now: Self.now)
        #expect(throws: Never.self) {
            try skewed.verify(genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        }
    }

    @Test func aFileThatIsNotAnAmendmentFileIsRefusedWithItsReason() throws {
        let (_, charter) = try Self.admission()
        let genuine = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        func reason(_ bytes: [UInt8]) -> String? {
            do {
                _ = try AmendmentBundle(serialized: bytes)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(reason(Array("charter = 1".utf8))?.contains("not a Tocsin amendment file") == true)
        #expect(
            reason([UInt8](repeating: 0, count: AmendmentBundle.maximumByteCount + 1))?.contains("more than") == true)
        // Entries of a member's feed, not the authority's.
        let member = Tocsin_V1_Entries.with {
            $0.origin = "tocsin/\(Self.network.networkID.shortHex)/nro/XA"
            $0.entries = genuine.entries.map { Data($0) }
            $0.checkpoint = Data(genuine.checkpoint.note.formatted.utf8)
        }
        #expect(reason(try member.serializedBytes())?.contains("not of an authority feed") == true)
        // Not from the first entry.
        var late = try Tocsin_V1_Entries(serializedBytes: genuine.serialized)
        late.firstIndex = 1
        #expect(reason(try late.serializedBytes())?.contains("from its first entry") == true)
        // Another network's: refused by the sync machine, which holds nothing afterwards.
        let other = try FictionalNetwork.make(nationals: 2, relays: 1, now: Self.now)
        let foreign = try other.amendment(
            other.charter.amended(version: 2), after: other.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        var node = SyncNode(
            configuration: .init(
                nodeID: "RN", network: Self.network.networkID, charter: Self.network.charter, witnessKey: nil,
                chain: Self.network.genesisChain),
            feeds: [])
        guard case .failure(let refusal) = node.publish(foreign, now: 1_800_000_000) else {
            Issue.record("another network's amendment was published")
            return
        }
        #expect(refusal.description.contains("of network \(other.networkID.shortHex)"))
        #expect(node.feeds.isEmpty)
    }

    @Test func aFileWhoseCheckpointIsNotTheAuthoritysIsRefused() throws {
        let (_, charter) = try Self.admission()
        let bundle = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        let forged = try SignedCheckpoint.sign(bundle.checkpoint.checkpoint, key: Self.network.members[0].key)
        let file = AmendmentBundle(entries: bundle.entries, checkpoint: forged, origin: bundle.origin)
        #expect {
            try file.verify(genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        } throws: { error in
            guard case AmendmentBundleError.notSignedByAuthority = error else { return false }
            return true
        }
    }

    // MARK: - Keys

    static func rotation(revokedThrough limits: [String: UInt64]?) throws -> (Ed25519PrivateKey, CharterChain) {
        let newKey = try Ed25519PrivateKey.generate()
        let old = Self.network.member("XA")!.node
        let charter = Self.network.charter.amended(
            version: 2,
            nodes: { nodes in
                nodes.map {
                    $0.id == "XA"
                        ? Charter.Node(
                            id: "XA", name: old.name, role: old.role, publicKey: newKey.publicKey,
                            previousKeys: [Charter.PreviousKey(publicKey: old.publicKey, validThrough: limits)])
                        : $0
                }
            })
        let bundle = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        return (
            newKey,
            try bundle.verify(genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        )
    }

    func checkpoint(size: UInt64, by key: Ed25519PrivateKey) throws -> SignedCheckpoint {
        let origin = try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA")
        return try SignedCheckpoint.sign(
            Checkpoint(origin: origin.description, size: size, root: SHA256.hash([UInt8(size)])), key: key)
    }

    @Test func aRotatedKeyStillVerifiesWhatItSignedAndTheNewKeySignsFromNowOn() throws {
        let (newKey, chain) = try Self.rotation(revokedThrough: nil)
        let oldKey = Self.network.member("XA")!.key
        let keys = try #require(chain.authorKeys(of: "XA", group: "nro", through: 2))
        #expect(keys.current == newKey.publicKey)
        #expect(throws: Never.self) { try checkpoint(size: 7, by: oldKey).verify(author: keys) }
        #expect(throws: Never.self) { try checkpoint(size: 9, by: newKey).verify(author: keys) }
        // Under version 1 only the old key signs.
        let before = try #require(chain.authorKeys(of: "XA", group: "nro", through: 1))
        #expect(throws: NoteError.self) { try checkpoint(size: 9, by: newKey).verify(author: before) }
        // A rotated key still counts as a witness key; a stranger's does not sign.
        #expect(chain.witnessKeys(of: "XA", through: 2).contains(oldKey.publicKey))
        #expect(throws: NoteError.self) {
            try checkpoint(size: 9, by: Self.network.members[0].key).verify(author: keys)
        }
    }

    @Test func aRevokedKeyVerifiesUpToTheNamedSizeAndNothingBeyond() throws {
        let (newKey, chain) = try Self.rotation(revokedThrough: ["nro": 5])
        let oldKey = Self.network.member("XA")!.key
        let keys = try #require(chain.authorKeys(of: "XA", group: "nro", through: 2))
        #expect(throws: Never.self) { try checkpoint(size: 5, by: oldKey).verify(author: keys) }
        #expect(throws: NoteError.revokedKey(keyName: try checkpoint(size: 6, by: oldKey).checkpoint.origin, size: 6)) {
            try checkpoint(size: 6, by: oldKey).verify(author: keys)
        }
        #expect(throws: Never.self) { try checkpoint(size: 6, by: newKey).verify(author: keys) }
        // In a group the amendment does not name, nothing of the old key counts.
        let elsewhere = try #require(chain.authorKeys(of: "XA", group: "all", through: 2))
        #expect(elsewhere.keys.contains { $0.publicKey == oldKey.publicKey && $0.maximumSize == 0 })
        // A revoked key witnesses nothing more.
        #expect(!chain.witnessKeys(of: "XA", through: 2).contains(oldKey.publicKey))
        // A fork made with the revoked key beyond its size proves nothing.
        let fork = ForkProof(sameSize: try checkpoint(size: 8, by: oldKey), try checkpoint(size: 8, by: newKey))
        #expect(throws: ForkProofError.self) { try fork.verify(author: keys) }
    }

    @Test func aRevokedKeyIsNeverTrustedAgain() throws {
        let (_, chain) = try Self.rotation(revokedThrough: ["nro": 5])
        let oldKey = Self.network.member("XA")!.node.publicKey
        let restored = chain.latest.charter.amended(
            version: 3,
            nodes: { nodes in
                nodes.map {
                    $0.id == "XA" ? Charter.Node(id: "XA", name: $0.name, role: $0.role, publicKey: oldKey) : $0
                }
            })
        let previous = try Self.network.amendment(
            chain.latest.charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        let bundle = try Self.network.amendment(restored, after: chain, previous: previous, takesEffectMs: Self.nowMs)
        #expect {
            try bundle.verify(genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        } throws: { error in
            guard case AmendmentBundleError.amendment(.keyHistory) = error else { return false }
            return true
        }
    }

    @Test func anAmendmentMustKeepEveryEarlierKeyAndMayOnlyShrinkARevokedKeysLimits() throws {
        let (_, chain) = try Self.rotation(revokedThrough: ["nro": 5])
        let previous = try Self.network.amendment(
            chain.latest.charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        func third(_ change: (Charter.Node) -> Charter.Node) throws -> AmendmentBundle {
            let charter = chain.latest.charter.amended(
                version: 3, nodes: { $0.map { $0.id == "XA" ? change($0) : $0 } })
            return try Self.network.amendment(charter, after: chain, previous: previous, takesEffectMs: Self.nowMs)
        }
        func refusal(_ bundle: AmendmentBundle) -> String? {
            do {
                _ = try bundle.verify(
                    genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
                return nil
            } catch {
                return error.description
            }
        }
        // The revoked key left out: it would be trusted without limit as an earlier key.
        let dropped = try third { Charter.Node(id: $0.id, name: $0.name, role: $0.role, publicKey: $0.publicKey) }
        #expect(refusal(dropped)?.contains("leaves out") == true)
        // Its limit raised.
        let raised = try third { node in
            Charter.Node(
                id: node.id, name: node.name, role: node.role, publicKey: node.publicKey,
                previousKeys: node.previousKeys.map {
                    Charter.PreviousKey(publicKey: $0.publicKey, validThrough: ["nro": 9])
                })
        }
        #expect(refusal(raised)?.contains("only shrink") == true)
        // Lowered: accepted.
        let lowered = try third { node in
            Charter.Node(
                id: node.id, name: node.name, role: node.role, publicKey: node.publicKey,
                previousKeys: node.previousKeys.map {
                    Charter.PreviousKey(publicKey: $0.publicKey, validThrough: ["nro": 3])
                })
        }
        #expect(refusal(lowered) == nil)
    }

    // MARK: - Drafts, diffs, witnesses

    @Test func theAmendCommandsDraftGainsItsTermsBeforeTheFirstTable() throws {
        let draft = Self.network.charter.amended(version: 2).renderTOML()
        let replaces = Self.network.genesisChain.genesis.sha256
        let text = try Charter.amendmentText(draft: draft, replaces: replaces, takesEffectMs: Self.nowMs)
        let parsed = try Charter(toml: Array(text.utf8))
        #expect(parsed.replaces == replaces)
        #expect(parsed.takesEffectMs == Self.nowMs)
        #expect(parsed.nodes == Self.network.charter.nodes)
        // A draft naming other terms is refused rather than silently changed.
        #expect(throws: CharterError.self) {
            try Charter.amendmentText(draft: text, replaces: SHA256.hash([1]), takesEffectMs: Self.nowMs)
        }
    }

    @Test func theDiffNamesWhatChanged() throws {
        let (newcomer, charter) = try Self.admission()
        let changed = charter.amended(
            version: 2, nodes: { $0.filter { $0.id != "XB" } },
            groups: { groups in
                groups.map { group in
                    let members = group.members.filter { $0 != "XB" }
                    return group.id == "all"
                        ? group.with(members: members, convener: "RS") : group.with(members: members)
                }
            })
        let diff = CharterDiff(from: Self.network.charter, to: changed)
        let lines = diff.changes.map(\.description)
        #expect(lines.contains("node XB: removed (was national, National focal point of XB (fictional state))"))
        #expect(lines.contains("node XD: added national, \(newcomer.node.name)"))
        #expect(lines.contains("group all: convener RN → RS"))
        #expect(lines.contains { $0.hasPrefix("group nro: members admitted XD") })
        #expect(CharterDiff(from: Self.network.charter, to: Self.network.charter).changes.isEmpty)
    }

    @Test func theWitnessPolicyNeverLetsAnAuthorWitnessItself() throws {
        let charter = Self.network.charter
        // nro: RN convenes and is its only relay. Its own feed is witnessed by the other members.
        let convener = try #require(charter.witnessPolicy(group: "nro", author: "RN"))
        #expect(convener.witnesses == charter.group("nro")!.members.filter { $0 != "RN" })
        #expect(convener.quorum == 1)
        let member = try #require(charter.witnessPolicy(group: "nro", author: "XA"))
        #expect(member.witnesses == ["RN"])
        #expect(member.judge(cosigners: ["XB"]).isWitnessed == false)
        #expect(member.judge(cosigners: ["RN", "XB"]) == (["RN"], true))
        // all: both relays witness.
        #expect(charter.witnessPolicy(group: "all", author: "XA")?.witnesses == ["RN", "RS"])
    }

    @Test func theReservedIDsAreRefusedInACharter() throws {
        let authorityNode = Self.network.charter.amended(
            version: 1,
            nodes: {
                $0 + [
                    Charter.Node(
                        id: "authority", name: "x", role: .observer,
                        publicKey: try! Ed25519PrivateKey.generate().publicKey)
                ]
            })
        #expect(throws: CharterError.self) { try Charter(toml: Array(authorityNode.renderTOML().utf8)) }
        let charterGroup = Self.network.charter.amended(
            version: 1,
            groups: {
                $0 + [
                    Charter.Group(
                        id: "charter", name: "x", members: ["RN"], convener: "RN", policy: .majority, quorumPercent: nil
                    )
                ]
            })
        #expect(throws: CharterError.self) { try Charter(toml: Array(charterGroup.renderTOML().utf8)) }
    }

    /// Each new field, malformed, refused with the place and the reason.
    @Test(arguments: [
        ("top", "replaces = \"xyz\"\ntakes-effect = \"2027-01-01T00:00:00Z\"", "64 lower-case hex digits"),
        (
            "top", "replaces = \"\(String(repeating: "a", count: 64))\"\ntakes-effect = \"2027-01-01\"",
            "YYYY-MM-DDTHH:MM:SSZ"
        ),
        ("top", "replaces = \"\(String(repeating: "a", count: 64))\"", "both `replaces` and `takes-effect`"),
        (
            "node", "previous-keys = [{ public-key = \"OLD\", valid-through = { nor = 3 } }]",
            "not a group of this charter"
        ),
        (
            "node", "previous-keys = [{ public-key = \"OLD\", valid-through = { nro = -1 } }]",
            "checkpoint size from 0 to 2^40"
        ),
        ("node", "previous-keys = [{ public-key = \"OTHER\" }]", "already the key of another node"),
        ("node", "previous-keys = [{ public-key = \"OLD\", limit = 3 }]", "unknown key `limit`"),
        ("group", "witnesses = [\"XB\"]", "is not a member of the group"),
        ("group", "witness-quorum = 9", "witness-quorum is from 1"),
        ("group", "history = \"sometimes\"", "history \"sometimes\" is not one of"),
    ])
    func aMalformedNewFieldIsRefusedWithItsReason(place: String, line: String, reason: String) throws {
        let old = try Ed25519PrivateKey.generate().publicKey.spkiBase64
        let other = Self.network.member("XB")!.node.publicKey.spkiBase64
        var lines = Self.network.charter.renderTOML().components(separatedBy: "\n")
        let filled = line.replacingOccurrences(of: "OLD", with: old).replacingOccurrences(of: "OTHER", with: other)
        let anchor: Int
        switch place {
        case "top": anchor = lines.firstIndex { $0.hasPrefix("version = ") }!
        case "node": anchor = lines.firstIndex { $0 == "id = \"XA\"" }!
        default: anchor = lines.firstIndex { $0 == "id = \"nro\"" }!
        }
        lines.insert(filled, at: anchor + 1)
        #expect {
            try Charter(toml: Array(lines.joined(separator: "\n").utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func theNewCharterFieldsRoundTripThroughTOML() throws {
        let (_, chain) = try Self.rotation(revokedThrough: ["nro": 5, "all": 2])
        let charter = chain.latest.charter.amended(
            version: 3,
            groups: { groups in
                groups.map {
                    Charter.Group(
                        id: $0.id, name: $0.name, members: $0.members, convener: $0.convener, policy: $0.policy,
                        quorumPercent: $0.quorumPercent, deliberationMinutes: $0.deliberationMinutes,
                        history: $0.id == "nro" ? .fromAdmission : .full, witnesses: [$0.convener],
                        witnessQuorum: 1)
                }
            })
        let text = charter.renderTOML()
        #expect(text.contains("history = \"from-admission\""))
        let parsed = try Charter(toml: Array(text.utf8))
        #expect(parsed == charter)
        #expect(parsed.group("nro")?.history == .fromAdmission)
        #expect(parsed.group("all")?.history == .full)
        #expect(parsed.node("XA")?.previousKeys.first?.validThrough == ["nro": 5, "all": 2])
        let misspelt = Array(text.replacingOccurrences(of: "\"from-admission\"", with: "\"from-joining\"").utf8)
        #expect {
            try Charter(toml: misspelt)
        } throws: { error in
            "\(error)".contains("history \"from-joining\" is not one of full, from-admission")
        }
    }

    /// Version 2 admits XD to nro and makes nro's history `from-admission`; version 3 removes
    /// XC from nro; version 4 admits XC again.
    static func historyChain() throws -> CharterChain {
        let (newcomer, admitted) = try admission()
        let admission = admitted.amended(
            version: 2,
            groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members, history: .fromAdmission) : $0 } })
        _ = newcomer
        var bundle = try network.amendment(
            admission, after: network.genesisChain, previous: nil, takesEffectMs: nowMs + hour)
        var chain = try bundle.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let removal = admission.amended(
            version: 3,
            groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members.filter { $0 != "XC" }) : $0 } })
        bundle = try network.amendment(removal, after: chain, previous: bundle, takesEffectMs: nowMs + 2 * hour)
        chain = try bundle.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let readmission = removal.amended(
            version: 4, groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members + ["XC"]) : $0 } })
        bundle = try network.amendment(readmission, after: chain, previous: bundle, takesEffectMs: nowMs + 3 * hour)
        chain = try bundle.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        // Version 5: nro's history whole again, and XB admitted to it.
        let whole = readmission.amended(
            version: 5,
            groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members + ["XB"], history: .full) : $0 } })
        bundle = try network.amendment(whole, after: chain, previous: bundle, takesEffectMs: nowMs + 4 * hour)
        return try bundle.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
    }

    @Test func aMemberAdmittedToAFromAdmissionGroupStartsAtItsAdmission() throws {
        let chain = try Self.historyChain()
        let nro = chain.latest.charter.group("nro")!
        #expect(nro.members.contains("XD"))
        // Admitted by version 2: its copy starts when version 2 took effect.
        #expect(chain.historyStart(of: "XD", group: "nro", through: 4) == Self.nowMs + Self.hour)
        // A founding member (the genesis charter lists it) holds the whole history.
        let founder = try #require(nro.members.first { $0 != "XD" && $0 != "XC" })
        #expect(chain.historyStart(of: founder, group: "nro", through: 4) == nil)
        // Removed and admitted again: its first admission counts (a feed has no holes).
        #expect(chain.historyStart(of: "XC", group: "nro", through: 4) == nil)
        // Under version 1 the group's history is whole, for everyone.
        #expect(chain.historyStart(of: "XD", group: "nro", through: 1) == nil)
        // A group whose history is whole: every member holds it from the first entry.
        #expect(chain.historyStart(of: "XD", group: "all", through: 4) == nil)
        // The setting of the amendment that admitted a member decides, whatever came later: a
        // feed held from a cut can never take the entries before it.
        #expect(chain.historyStart(of: "XD", group: "nro", through: 5) == Self.nowMs + Self.hour)
        #expect(chain.historyStart(of: "XB", group: "nro", through: 5) == nil)
    }
}

/// Which charter a proposal is judged under, across amendments.
@Suite struct ProposalCharterTests {
    @Test func aProposalIsJudgedUnderTheVersionInForceWhenItWasWritten() throws {
        let network = CharterChainTests.network
        let takesEffect = CharterChainTests.nowMs + CharterChainTests.hour
        // Version 2 makes XC the convener of nro (RN convenes it under version 1).
        let second = network.charter.amended(
            version: 2, groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members, convener: "XC") : $0 } })
        let file = try network.amendment(second, after: network.genesisChain, previous: nil, takesEffectMs: takesEffect)
        let chain = try file.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
        let machine = ConsultationMachine(
            configuration: .init(
                nodeID: "RN", network: network.networkID, charter: chain.latest.charter, chain: chain))
        func proposal(version: UInt64) -> Tocsin_V1_Proposal {
            .with {
                $0.title = "Exercise"
                $0.charterVersion = version
            }
        }
        let skew = ConsultationMachine.charterVersionSkewMs
        // Written before the amendment, naming version 1: judged under it (RN convenes), even
        // once version 2 is in force.
        #expect(
            machine.charter(ofProposal: proposal(version: 1), authorTimeMs: takesEffect - 1)?.group("nro")?.convener
                == "RN")
        // Naming version 1 long after version 2 took effect: void.
        #expect(machine.charter(ofProposal: proposal(version: 1), authorTimeMs: takesEffect + skew + 1) == nil)
        // Within the clock skew of the change, either version is accepted.
        #expect(machine.charter(ofProposal: proposal(version: 1), authorTimeMs: takesEffect + skew - 1) != nil)
        #expect(machine.charter(ofProposal: proposal(version: 2), authorTimeMs: takesEffect - skew + 1)?.version == 2)
        // Naming version 2 well before it takes effect, or a version not held: void.
        #expect(machine.charter(ofProposal: proposal(version: 2), authorTimeMs: takesEffect - skew - 1) == nil)
        #expect(machine.charter(ofProposal: proposal(version: 3), authorTimeMs: takesEffect + 1) == nil)
        // Naming none: the version in force at its own time.
        #expect(machine.charter(ofProposal: proposal(version: 0), authorTimeMs: takesEffect)?.version == 2)
        #expect(machine.charter(ofProposal: proposal(version: 0), authorTimeMs: takesEffect - 1)?.version == 1)
    }
}
