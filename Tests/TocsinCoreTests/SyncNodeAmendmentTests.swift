import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// The sync machine following the authority feed: amendments fetched, checked, stored and
/// adopted when they take effect.
@Suite struct SyncNodeAmendmentTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let network = try! FictionalNetwork.make(nationals: 3, relays: 2, now: now)
    static let seconds: UInt64 = 1_800_000_000
    static var nowMs: Int64 { Int64(seconds) * 1000 }

    func node(_ id: String) -> SyncNode {
        let member = Self.network.member(id)!
        return SyncNode(
            configuration: .init(
                nodeID: id, network: Self.network.networkID, charter: Self.network.charter,
                witnessKey: member.node.role == .relay ? member.key : nil, chain: Self.network.genesisChain),
            feeds: [])
    }

    func hello(from id: String) -> Tocsin_V1_Message {
        .with {
            $0.hello = .with {
                $0.protocolVersion = SyncNode.protocolVersion
                $0.networkID = Data(Self.network.networkID.digest.bytes)
                $0.nodeID = id
                $0.charterVersion = 1
            }
        }
    }

    func established(_ id: String, with peers: [String]) -> SyncNode {
        var node = node(id)
        for peer in peers {
            _ = node.connected(peer: peer)
            _ = node.received(hello(from: peer), from: peer, now: Self.seconds)
        }
        return node
    }

    static func entries(_ bundle: AmendmentBundle) -> Tocsin_V1_Message {
        .with {
            $0.entries = .with {
                $0.origin = bundle.origin.description
                $0.firstIndex = 0
                $0.entries = bundle.entries.map { Data($0) }
                $0.checkpoint = Data(bundle.checkpoint.note.formatted.utf8)
            }
        }
    }

    static func head(_ bundle: AmendmentBundle) -> Tocsin_V1_Head {
        .with {
            $0.origin = bundle.origin.description
            $0.checkpoint = Data(bundle.checkpoint.note.formatted.utf8)
        }
    }

    /// Version 2, in force `offsetMs` from now: XB removed from the network, XA's key rotated.
    static func amendment(offsetMs: Int64 = 0) throws -> (bundle: AmendmentBundle, newKey: Ed25519PrivateKey) {
        let newKey = try Ed25519PrivateKey.generate()
        let charter = network.charter.amended(
            version: 2,
            nodes: { nodes in
                nodes.filter { $0.id != "XB" }.map { node in
                    node.id == "XA"
                        ? Charter.Node(
                            id: "XA", name: node.name, role: node.role, publicKey: newKey.publicKey,
                            previousKeys: [Charter.PreviousKey(publicKey: node.publicKey)])
                        : node
                }
            },
            groups: { $0.map { $0.with(members: $0.members.filter { $0 != "XB" }) } })
        let bundle = try network.amendment(
            charter, after: network.genesisChain, previous: nil, takesEffectMs: nowMs + offsetMs)
        return (bundle, newKey)
    }

    /// Carries out stores at once (reporting them durable), collecting every other action.
    func run(_ actions: [SyncAction], on node: inout SyncNode, now: UInt64 = Self.seconds) -> [SyncAction] {
        var seen: [SyncAction] = []
        for action in actions {
            seen.append(action)
            if case .store(let batch) = action {
                seen += run(node.stored(origin: batch.origin, size: batch.frontier.size, now: now), on: &node, now: now)
            }
        }
        return seen
    }

    static func closed(_ actions: [SyncAction]) -> [String] {
        actions.compactMap { if case .close(let peer, _) = $0 { return peer } else { return nil } }
    }

    static func adopted(_ actions: [SyncAction]) -> [UInt64] {
        actions.compactMap { if case .adoptCharter(let version) = $0 { return version.version } else { return nil } }
    }

    @Test func anAmendmentFetchedFromAPeerIsAdoptedWhenItTakesEffectAndClosesTheRemovedNodesSessions() throws {
        let (bundle, _) = try Self.amendment(offsetMs: 60_000)
        var relay = established("RN", with: ["XA", "XB", "RS"])
        // RS announces the authority feed; RN asks for it.
        let asked = relay.received(.with { $0.heads.heads = [Self.head(bundle)] }, from: "RS", now: Self.seconds)
        #expect(
            asked.contains { if case .send("RS", let message) = $0, case .want = message.body { true } else { false } })
        let stored = run(relay.received(Self.entries(bundle), from: "RS", now: Self.seconds), on: &relay)
        #expect(stored.contains { if case .store = $0 { true } else { false } })
        #expect(relay.chain?.latest.version == 2)
        // Held, not yet in force.
        #expect(Self.adopted(stored).isEmpty)
        #expect(relay.charter.version == 1)
        #expect(relay.adoptDue(nowMs: Self.nowMs + 59_999).isEmpty)
        let adoption = relay.adoptDue(nowMs: Self.nowMs + 60_000)
        #expect(Self.adopted(adoption) == [2])
        #expect(relay.charter.version == 2)
        #expect(Self.closed(adoption) == ["XB"])
        #expect(!relay.establishedPeers.contains("XB"))
        // XB may not come back; nothing more is adopted twice.
        #expect(Self.closed(relay.connected(peer: "XB")) == ["XB"])
        #expect(relay.adoptDue(nowMs: Self.nowMs + 120_000).isEmpty)
    }

    @Test func aNodeCatchingUpTheAuthorityFeedJudgesThePeersOtherFeedsOnlyAfterTheAmendment() throws {
        let (bundle, newKey) = try Self.amendment()
        // XA, rotated, has appended under its new key.
        var author = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"), key: newKey)
        let batch = try author.append([SampleEntries.bulletin(number: 1, country: "XA", byteCount: 90, authorTimeMs: 1)]
        )
        let xaHead = Tocsin_V1_Head.with {
            $0.origin = batch.origin.description
            $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
        }
        var member = established("XC", with: ["RN"])
        // RN's Heads: the authority feed first, then XA's feed signed with the new key.
        let first = member.received(
            .with { $0.heads.heads = [Self.head(bundle), xaHead] }, from: "RN", now: Self.seconds)
        #expect(Self.closed(first).isEmpty, "a key the node does not know yet is not a fault while it catches up")
        // Once the amendment is stored (and in force), the set-aside heads are judged: XA's feed is asked for.
        let after = run(member.received(Self.entries(bundle), from: "RN", now: Self.seconds), on: &member)
        #expect(Self.adopted(after) == [2])
        #expect(
            after.contains {
                if case .send("RN", let message) = $0, case .want(let want) = message.body {
                    return want.origin == batch.origin.description
                }
                return false
            })
        #expect(Self.closed(after).isEmpty)
    }

    @Test func anAuthoritySignedBatchWhoseAmendmentIsInvalidIsRefusedAndNothingIsStored() throws {
        // Signed by the authority, but replacing a charter that is not the genesis charter.
        let bogusGenesis = try SignedCharter(
            toml: Array(Self.network.charter.amended(version: 1, nodes: { $0.reversed() }).renderTOML().utf8),
            signatureFile: Self.network.authority.key.signature(
                for: Array(Self.network.charter.amended(version: 1, nodes: { $0.reversed() }).renderTOML().utf8)),
            authority: Self.network.authority.key.publicKey)
        let wrongChain = CharterChain(genesis: bogusGenesis, authority: Self.network.authority.key.publicKey)
        let bundle = try Self.network.amendment(
            Self.network.charter.amended(version: 2), after: wrongChain, previous: nil, takesEffectMs: Self.nowMs)
        var relay = established("RN", with: ["RS"])
        _ = relay.received(.with { $0.heads.heads = [Self.head(bundle)] }, from: "RS", now: Self.seconds)
        let actions = relay.received(Self.entries(bundle), from: "RS", now: Self.seconds)
        #expect(SyncNodeTests.closes(actions, code: .unverifiable))
        #expect(relay.chain?.latest.version == 1)
        // Published by an operator, it is refused with the reason.
        guard case .failure(let refusal) = relay.publish(bundle, now: Self.seconds) else {
            Issue.record("an invalid amendment was published")
            return
        }
        #expect(refusal.description.contains("replaces"))
    }

    @Test func twoAmendmentsAtOneVersionAreAForkAndNeitherIsAdopted() throws {
        let (first, _) = try Self.amendment(offsetMs: 60_000)
        let second = try Self.network.amendment(
            Self.network.charter.amended(version: 2), after: Self.network.genesisChain, previous: nil,
            takesEffectMs: Self.nowMs + 60_000)
        var relay = established("RN", with: ["XA", "RS"])
        guard case .success(let published) = relay.publish(first, now: Self.seconds) else {
            Issue.record("a valid amendment was refused")
            return
        }
        _ = run(published, on: &relay)
        let actions = relay.received(.with { $0.heads.heads = [Self.head(second)] }, from: "RS", now: Self.seconds)
        #expect(actions.contains { if case .storeForkProof = $0 { true } else { false } })
        // The proof goes to every peer: every node may see the authority feed.
        let sentTo = actions.compactMap { action -> String? in
            if case .send(let peer, let message) = action, case .forkProof = message.body { return peer }
            return nil
        }
        #expect(Set(sentTo) == ["XA", "RS"])
        #expect(relay.adoptDue(nowMs: Self.nowMs + 120_000).isEmpty)
        #expect(relay.charter.version == 1)
    }

    @Test func aCheckpointSignedWithARevokedKeyBeyondItsSizeIsRefused() throws {
        let oldKey = Self.network.member("XA")!.key
        let newKey = try Ed25519PrivateKey.generate()
        let charter = Self.network.charter.amended(
            version: 2,
            nodes: { nodes in
                nodes.map { node in
                    node.id == "XA"
                        ? Charter.Node(
                            id: "XA", name: node.name, role: node.role, publicKey: newKey.publicKey,
                            previousKeys: [Charter.PreviousKey(publicKey: node.publicKey, validThrough: ["nro": 1])])
                        : node
                }
            })
        let bundle = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        var relay = established("RN", with: ["XC"])
        guard case .success(let published) = relay.publish(bundle, now: Self.seconds) else {
            Issue.record("a valid amendment was refused")
            return
        }
        #expect(Self.adopted(run(published, on: &relay)) == [2])
        var thief = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"), key: oldKey)
        let stolen = try thief.append(
            (0..<2).map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 90, authorTimeMs: 1) })
        let offered = relay.received(
            .with {
                $0.checkpoint = .with {
                    $0.origin = stolen.origin.description
                    $0.checkpoint = Data(stolen.checkpoint.note.formatted.utf8)
                }
            }, from: "XC", now: Self.seconds)
        // Refused, nothing stored or asked for; the session stays (the offerer may only have
        // stored the thief's checkpoint before the revocation reached it).
        #expect(!offered.contains { if case .close = $0 { true } else { false } })
        #expect(
            !offered.contains { if case .send(_, let message) = $0, case .want = message.body { true } else { false } })
        #expect(offered.contains { if case .log(_, let text, true) = $0 { text.contains("revoked") } else { false } })
        #expect(relay.feeds[stolen.origin] == nil || relay.feeds[stolen.origin]!.size == 0)
        // Offered again and again, it costs the peer its session.
        var last: [SyncAction] = []
        for _ in 0..<SyncNode.maximumRevokedOffers {
            last = relay.received(
                .with {
                    $0.checkpoint = .with {
                        $0.origin = stolen.origin.description
                        $0.checkpoint = Data(stolen.checkpoint.note.formatted.utf8)
                    }
                }, from: "XC", now: Self.seconds)
        }
        #expect(SyncNodeTests.closes(last, code: .unverifiable))
        // Copies of a genuine line are refused before any is checked twice.
        var doubled = stolen.checkpoint.note
        doubled.signatures.append(doubled.signatures[0])
        let keys = try #require(relay.chain?.authorKeys(of: "XA", group: "nro", through: 2))
        #expect(throws: NoteError.duplicateSignature(keyName: stolen.origin.description)) {
            try SignedCheckpoint(checkpoint: stolen.checkpoint.checkpoint, note: doubled).verify(author: keys)
        }
    }

    @Test func aThiefsCheckpointStoredBeforeTheRevocationIsFrozenAndNoLongerAnnounced() throws {
        let oldKey = Self.network.member("XA")!.key
        var thief = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"), key: oldKey)
        let legitimate = try thief.append([
            SampleEntries.bulletin(number: 0, country: "XA", byteCount: 90, authorTimeMs: 1)
        ])
        let stolen = try thief.append([SampleEntries.bulletin(number: 1, country: "XA", byteCount: 90, authorTimeMs: 2)]
        )
        var relay = established("RN", with: ["XC"])
        for batch in [legitimate, stolen] {
            _ = run(
                relay.received(
                    SyncNodeTests.entries(batch, checkpoint: batch.checkpoint), from: "XC", now: Self.seconds),
                on: &relay)
        }
        #expect(relay.feeds[stolen.origin]?.size == 2)
        let charter = Self.network.charter.amended(
            version: 2,
            nodes: { nodes in
                nodes.map { node in
                    node.id == "XA"
                        ? Charter.Node(
                            id: "XA", name: node.name, role: node.role,
                            publicKey: try! Ed25519PrivateKey.generate().publicKey,
                            previousKeys: [Charter.PreviousKey(publicKey: node.publicKey, validThrough: ["nro": 1])])
                        : node
                }
            })
        let bundle = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        guard case .success(let published) = relay.publish(bundle, now: Self.seconds) else {
            Issue.record("a valid amendment was refused")
            return
        }
        let adopted = run(published, on: &relay)
        #expect(
            adopted.contains { if case .log(_, let text, true) = $0 { text.contains("restore it") } else { false } })
        #expect(relay.disowned.contains(stolen.origin))
        #expect(relay.feeds[stolen.origin]?.verifier.isFrozen == true)
        let heads = relay.antiEntropy().flatMap { action -> [String] in
            if case .send(_, let message) = action, case .heads(let heads) = message.body {
                return heads.heads.map(\.origin)
            }
            return []
        }
        #expect(!heads.contains(stolen.origin.description))
        // Nor served when asked.
        let served = relay.received(
            .with {
                $0.want = .with {
                    $0.origin = stolen.origin.description
                    $0.from = 0
                    $0.to = 2
                }
            }, from: "XC", now: Self.seconds)
        #expect(!served.contains { if case .serve = $0 { true } else { false } })
        // After a restart too: loaded unfrozen from the store, it is frozen and disowned again.
        let chain = try #require(relay.chain)
        let held = try #require(relay.feeds[stolen.origin])
        let reloaded = SyncFeed(
            origin: stolen.origin, author: try #require(chain.authorKeys(of: "XA", group: "nro", through: 2)),
            frontier: held.verifier.frontier, latest: held.latest, checkpointRoots: held.checkpointRoots,
            isFrozen: false)
        let restarted = SyncNode(
            configuration: .init(
                nodeID: "RN", network: Self.network.networkID, charter: chain.latest.charter,
                witnessKey: Self.network.member("RN")!.key, chain: chain),
            feeds: [reloaded])
        #expect(restarted.disowned.contains(stolen.origin))
        #expect(restarted.feeds[stolen.origin]?.verifier.isFrozen == true)
    }

    @Test func aFeedInTheAuthoritysGroupByAnyoneButTheAuthorityIsRefused() throws {
        var relay = established("RN", with: ["XA"])
        var author = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: AuthorityFeed.group, author: "XA"),
            key: Self.network.member("XA")!.key)
        let batch = try author.append([SampleEntries.bulletin(number: 1, country: "XA", byteCount: 90, authorTimeMs: 1)]
        )
        let offered = relay.received(
            .with {
                $0.checkpoint = .with {
                    $0.origin = batch.origin.description
                    $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
                }
            }, from: "XA", now: Self.seconds)
        #expect(SyncNodeTests.closes(offered, code: .notPermitted))
    }

    @Test func aPeerThatAnnouncesAmendmentsAndNeverServesThemHoldsNothingBack() throws {
        let (bundle, _) = try Self.amendment()
        var author = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"),
            key: Self.network.member("XA")!.key)
        let batch = try author.append([SampleEntries.bulletin(number: 1, country: "XA", byteCount: 90, authorTimeMs: 1)]
        )
        let xaHead = Tocsin_V1_Head.with {
            $0.origin = batch.origin.description
            $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
        }
        var member = established("XC", with: ["RN"])
        let deferred = member.received(
            .with { $0.heads.heads = [Self.head(bundle), xaHead] }, from: "RN", now: Self.seconds)
        func asksFor(_ actions: [SyncAction], _ origin: FeedOrigin) -> Bool {
            actions.contains {
                if case .send(_, let message) = $0, case .want(let want) = message.body {
                    return want.origin == origin.description
                }
                return false
            }
        }
        #expect(!asksFor(deferred, batch.origin))
        // RN never answers: once its Want times out, XA's feed is asked for all the same.
        let expired = member.expireWants(now: Self.seconds + 60)
        #expect(asksFor(expired, batch.origin))
    }

    @Test func aConvenerCosignsItsGroupsFeedsEvenWhenTheCharterNamesOtherWitnesses() throws {
        let charter = Self.network.charter.amended(
            version: 1,
            groups: { groups in
                groups.map {
                    $0.id != "nro"
                        ? $0
                        : Charter.Group(
                            id: $0.id, name: $0.name, members: $0.members, convener: $0.convener, policy: $0.policy,
                            quorumPercent: $0.quorumPercent, witnesses: ["XC"])
                }
            })
        var relay = SyncNode(
            configuration: .init(
                nodeID: "RN", network: Self.network.networkID, charter: charter,
                witnessKey: Self.network.member("RN")!.key, witnessesEverything: false),
            feeds: [])
        _ = relay.connected(peer: "XA")
        _ = relay.received(hello(from: "XA"), from: "XA", now: Self.seconds)
        var author = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA"),
            key: Self.network.member("XA")!.key)
        let batch = try author.append([SampleEntries.bulletin(number: 1, country: "XA", byteCount: 90, authorTimeMs: 1)]
        )
        _ = relay.received(
            .with {
                $0.checkpoint = .with {
                    $0.origin = batch.origin.description
                    $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
                }
            }, from: "XA", now: Self.seconds)
        let actions = relay.received(
            SyncNodeTests.entries(batch, checkpoint: batch.checkpoint), from: "XA", now: Self.seconds)
        let stored = actions.compactMap { action -> FeedBatch? in
            if case .store(let batch) = action { batch } else { nil }
        }
        #expect(
            stored.first?.checkpoint.cosignatures.map(\.witnessName) == [
                WitnessName.of(node: "RN", network: Self.network.networkID)
            ])
    }

    @Test func aFeedPermittedOnlyUnderTheVersionBeforeIsPassedOverAndOneRemovedLongAgoIsRefused() throws {
        let (second, _) = try Self.amendment()
        let secondChain = try second.verify(
            genesis: Self.network.signedCharter, authority: Self.network.authority.key.publicKey)
        let third = try Self.network.amendment(
            secondChain.latest.charter.amended(version: 3), after: secondChain, previous: second,
            takesEffectMs: Self.nowMs)
        // XB's feed in the network-wide group, which versions 2 and 3 remove it from.
        var author = FeedAuthor(
            origin: try FeedOrigin(
                network: Self.network.networkID, group: FictionalNetwork.networkWideGroup, author: "XB"),
            key: Self.network.member("XB")!.key)
        let batch = try author.append([SampleEntries.bulletin(number: 1, country: "XB", byteCount: 90, authorTimeMs: 1)]
        )
        let offer = Tocsin_V1_Message.with {
            $0.checkpoint = .with {
                $0.origin = batch.origin.description
                $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
            }
        }
        func relay(adopting file: AmendmentBundle) -> SyncNode {
            var relay = established("RN", with: ["XC"])
            if case .success(let actions) = relay.publish(file, now: Self.seconds) { _ = run(actions, on: &relay) }
            return relay
        }
        // Under version 2, a peer still on version 1 may offer it: passed over, the session stays.
        var underSecond = relay(adopting: second)
        #expect(underSecond.charter.version == 2)
        let passed = underSecond.received(offer, from: "XC", now: Self.seconds)
        #expect(!passed.contains { if case .close = $0 { true } else { false } })
        // Under version 3, no version from 2 on permits it: refused.
        var underThird = relay(adopting: third)
        #expect(underThird.charter.version == 3)
        #expect(SyncNodeTests.closes(underThird.received(offer, from: "XC", now: Self.seconds), code: .notPermitted))
    }
    /// A peer that adopted an amendment this node is still fetching may already send feeds only
    /// that amendment permits: passed over while it is announced and while it is verified and
    /// not yet written, not taken for a fault that closes the session. Once it is held, such a
    /// feed is taken, and one that no version permits is refused again.
    @Test func aFeedPermittedOnlyByAnAmendmentInFlightIsPassedOverUntilTheAmendmentIsHeld() throws {
        // Version 2 moves XA into sro as well (XB and RS are sro's other members).
        let charter = Self.network.charter.amended(
            version: 2, groups: { $0.map { $0.id == "sro" ? $0.with(members: $0.members + ["XA"]) : $0 } })
        let bundle = try Self.network.amendment(
            charter, after: Self.network.genesisChain, previous: nil, takesEffectMs: Self.nowMs)
        func offer(_ author: String) throws -> Tocsin_V1_Message {
            var feed = FeedAuthor(
                origin: try FeedOrigin(network: Self.network.networkID, group: "sro", author: author),
                key: Self.network.member(author)!.key)
            let batch = try feed.append([
                SampleEntries.bulletin(number: 1, country: author, byteCount: 90, authorTimeMs: 1)
            ])
            return .with {
                $0.checkpoint = .with {
                    $0.origin = batch.origin.description
                    $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
                }
            }
        }
        let fromXA = try offer("XA")
        let fromXC = try offer("XC")
        let isClosed = { (actions: [SyncAction]) in actions.contains { if case .close = $0 { true } else { false } } }

        var node = established("XB", with: ["RS"])
        // Under version 1 alone, XA's feed in sro is refused.
        var alone = node
        #expect(SyncNodeTests.closes(alone.received(fromXA, from: "RS", now: Self.seconds), code: .notPermitted))

        // RS announces the amendment: XB asks for it, and meanwhile passes XA's feed over.
        let announced = node.received(
            .with { $0.heads = .with { $0.heads = [Self.head(bundle)] } }, from: "RS", now: Self.seconds)
        #expect(
            announced.contains { if case .send(_, let message) = $0, case .want = message.body { true } else { false } }
        )
        #expect(!isClosed(node.received(fromXA, from: "RS", now: Self.seconds)))

        // Verified and not yet written: still passed over.
        let verified = node.received(Self.entries(bundle), from: "RS", now: Self.seconds)
        let stores = verified.compactMap { if case .store(let batch) = $0 { batch } else { nil } }
        #expect(stores.count == 1)
        #expect(!isClosed(node.received(fromXA, from: "RS", now: Self.seconds)))

        // Written and adopted: XA's feed is taken, and XC's (in sro under no version) refused.
        var adopted: [SyncAction] = []
        for batch in stores {
            adopted += node.stored(origin: batch.origin, size: batch.frontier.size, now: Self.seconds)
        }
        #expect(Self.adopted(adopted) == [2])
        #expect(node.charter.version == 2)
        let taken = node.received(fromXA, from: "RS", now: Self.seconds)
        #expect(!isClosed(taken))
        #expect(
            taken.contains { if case .send(_, let message) = $0, case .want = message.body { true } else { false } })
        #expect(SyncNodeTests.closes(node.received(fromXC, from: "RS", now: Self.seconds), code: .notPermitted))
    }
}
