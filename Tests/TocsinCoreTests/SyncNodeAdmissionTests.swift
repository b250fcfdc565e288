import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// Replication to a member admitted to a group whose charter says
/// `history = "from-admission"`: a feed reaches it from the first entry authored at or after
/// its admission, with the frontier of what comes before as the base.
@Suite struct SyncNodeAdmissionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let network = try! FictionalNetwork.make(nationals: 3, relays: 2, now: now)
    static let seconds: UInt64 = 1_800_000_000
    static let admittedMs = Int64(seconds) * 1000 + 3_600_000
    static let newcomer = try! network.issueMember(id: "XD", now: now)

    /// Version 2 (in force an hour from now): XD admitted to nro, whose history becomes
    /// `from-admission`.
    static let chain: CharterChain = {
        let charter = network.charter.amended(
            version: 2, nodes: { $0 + [newcomer.node] },
            groups: {
                $0.map { $0.id == "nro" ? $0.with(members: $0.members + ["XD"], history: .fromAdmission) : $0 }
            })
        let bundle = try! network.amendment(
            charter, after: network.genesisChain, previous: nil, takesEffectMs: admittedMs, now: now)
        return try! bundle.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
    }()

    static var origin: FeedOrigin { try! FeedOrigin(network: network.networkID, group: "nro", author: "XA") }

    /// XA's nro feed: 40 entries before the admission, then 10 after, checkpoints every 10.
    static let batches: [FeedBatch] = {
        var author = FeedAuthor(origin: origin, key: network.member("XA")!.key)
        return (0..<5).map { block in
            let entries = (block * 10..<block * 10 + 10).map { number in
                SampleEntries.bulletin(
                    number: number, country: "XA", byteCount: 80,
                    authorTimeMs: admittedMs + (block < 4 ? -100_000 : 1_000) + Int64(number))
            }
            return try! author.append(entries)
        }
    }()

    static func node(_ id: String, holding batches: [FeedBatch] = [], peers: [String]) -> SyncNode {
        var feed = SyncFeed(origin: origin, author: network.member("XA")!.node.publicKey)
        for batch in batches { feed.record(batch) }
        var node = SyncNode(
            configuration: .init(
                nodeID: id, network: network.networkID, charter: chain.latest.charter,
                witnessKey: network.member(id)?.node.role == .relay ? network.member(id)!.key : nil, chain: chain),
            feeds: batches.isEmpty ? [] : [feed])
        for peer in peers {
            _ = node.connected(peer: peer)
            _ = node.received(
                .with {
                    $0.hello = .with {
                        $0.protocolVersion = SyncNode.protocolVersion
                        $0.networkID = Data(network.networkID.digest.bytes)
                        $0.nodeID = peer
                        $0.charterVersion = 2
                    }
                }, from: peer, now: seconds)
        }
        return node
    }

    static func want(from: UInt64, to: UInt64 = 50) -> Tocsin_V1_Message {
        .with {
            $0.want = .with {
                $0.origin = origin.description
                $0.from = from
                $0.to = to
            }
        }
    }

    /// What a server sends a newcomer: entries `first..<end` with the base before them.
    static func entries(first: Int, through batch: Int, base: [SHA256Digest]? = nil) -> Tocsin_V1_Message {
        var frontier = MerkleFrontier()
        let all = batches.flatMap(\.entries)
        for entry in all.prefix(first) { frontier.append(MerkleHash.leaf(entry)) }
        let end = Int(batches[batch].checkpoint.checkpoint.size)
        return .with {
            $0.entries = .with {
                $0.origin = origin.description
                $0.firstIndex = UInt64(first)
                $0.entries = all[first..<end].map { Data($0) }
                $0.checkpoint = Data(batches[batch].checkpoint.note.formatted.utf8)
                $0.base = (base ?? frontier.nodes).map { Data($0.bytes) }
            }
        }
    }

    /// `peer` announces XA's feed up to `batch`'s checkpoint; the node asks it from 0.
    static func announce(through batch: Int, from peer: String, to node: inout SyncNode) {
        let head = Tocsin_V1_Head.with {
            $0.origin = origin.description
            $0.checkpoint = Data(batches[batch].checkpoint.note.formatted.utf8)
        }
        let asked = node.received(.with { $0.heads.heads = [head] }, from: peer, now: seconds)
        #expect(
            asked.contains {
                if case .send(peer, let message) = $0, case .want(let want) = message.body {
                    want.from == 0
                } else {
                    false
                }
            }, "\(asked)")
    }

    static func stored(_ actions: [SyncAction]) -> [FeedBatch] {
        actions.compactMap { if case .store(let batch) = $0 { batch } else { nil } }
    }

    @Test func aMemberAdmittedLaterIsServedFromItsAdmissionAFounderFromTheFirstEntry() throws {
        var relay = Self.node("RN", holding: Self.batches, peers: ["XC", "XD"])
        let newcomer = relay.received(Self.want(from: 0), from: "XD", now: Self.seconds)
        guard case .serveFromAdmission("XD", Self.origin, Self.admittedMs, 0, 50) = newcomer.first else {
            Issue.record("the newcomer is not served from its admission: \(newcomer)")
            return
        }
        // Whatever it asks for goes through its cut (the edge serves nothing before it).
        let later = relay.received(Self.want(from: 1), from: "XD", now: Self.seconds)
        guard case .serveFromAdmission("XD", Self.origin, Self.admittedMs, 1, 50) = later.first else {
            Issue.record("a Want from 1 bypasses the cut: \(later)")
            return
        }
        // A founder receives the whole history.
        let founder = relay.received(Self.want(from: 0), from: "XC", now: Self.seconds)
        #expect(founder.contains { if case .serve("XC", _, 0..<50) = $0 { true } else { false } })
        #expect(relay.servingSpan(of: Self.origin, from: 40, to: 50) == 40..<50)
    }

    @Test func theNewcomerTakesTheBaseItAskedForAndHoldsTheFeedFromItsFirstEntryOn() throws {
        var member = Self.node("XD", peers: ["RN"])
        // Unasked, a base is dropped: a peer could otherwise cut a newcomer off for good.
        let unasked = member.received(Self.entries(first: 40, through: 4), from: "RN", now: Self.seconds)
        #expect(Self.stored(unasked).isEmpty)
        Self.announce(through: 4, from: "RN", to: &member)
        let actions = member.received(Self.entries(first: 40, through: 4), from: "RN", now: Self.seconds)
        let batch = try #require(Self.stored(actions).first)
        #expect(batch.base?.size == 40)
        #expect(batch.firstIndex == 40 && batch.entries.count == 10)
        #expect(member.feeds[Self.origin]?.firstHeldIndex == 40)
        #expect(member.feeds[Self.origin]?.size == 50)
    }

    @Test func aBaseAloneIsRememberedNotStoredAndTheFeedIsAskedForAgainOnlyWhenItGrows() throws {
        var member = Self.node("XD", peers: ["RN"])
        Self.announce(through: 3, from: "RN", to: &member)
        let alone = Self.entries(first: 40, through: 3)
        #expect(alone.entries.entries.isEmpty)
        // The first 40 entries are all from before the admission (as far as RN holds): nothing
        // to store, since a peer further along may hold later entries written before it too.
        #expect(Self.stored(member.received(alone, from: "RN", now: Self.seconds)).isEmpty)
        #expect(member.feeds[Self.origin]?.writtenBeforeAdmission == 40)
        #expect(member.feeds[Self.origin]?.size == 0)
        // RN announcing the same size again asks for nothing; announcing more asks from 0.
        let head3 = Tocsin_V1_Head.with {
            $0.origin = Self.origin.description
            $0.checkpoint = Data(Self.batches[3].checkpoint.note.formatted.utf8)
        }
        let again = member.received(.with { $0.heads.heads = [head3] }, from: "RN", now: Self.seconds)
        #expect(
            !again.contains { if case .send(_, let message) = $0, case .want = message.body { true } else { false } })
        Self.announce(through: 4, from: "RN", to: &member)
        let batch = try #require(
            Self.stored(member.received(Self.entries(first: 40, through: 4), from: "RN", now: Self.seconds)).first)
        #expect(batch.base?.size == 40 && batch.entries.count == 10)
    }

    @Test func aFounderDropsABaseAndAMalformedBaseClosesTheSession() throws {
        // A founding member receives the whole history: a cut offered to it is dropped.
        var founder = Self.node("XC", peers: ["RN"])
        Self.announce(through: 4, from: "RN", to: &founder)
        let dropped = founder.received(Self.entries(first: 40, through: 4), from: "RN", now: Self.seconds)
        #expect(Self.stored(dropped).isEmpty)
        #expect(founder.feeds[Self.origin]?.size ?? 0 == 0)
        // Three hashes for 40 entries (it takes one per set bit: 32 and 8) is no base.
        var member = Self.node("XD", peers: ["RN"])
        Self.announce(through: 4, from: "RN", to: &member)
        let hash = SHA256.hash(Array("x".utf8))
        let malformed = member.received(
            Self.entries(first: 40, through: 4, base: [hash, hash, hash]), from: "RN", now: Self.seconds)
        #expect(malformed.contains { if case .close("RN", _) = $0 { true } else { false } })
        // A forged base does not lead to the signed root: refused, nothing stored.
        var forged = Self.node("XD", peers: ["RN"])
        Self.announce(through: 4, from: "RN", to: &forged)
        let refused = forged.received(
            Self.entries(first: 40, through: 4, base: [hash, hash]), from: "RN", now: Self.seconds)
        #expect(Self.stored(refused).isEmpty)
        #expect(refused.contains { if case .close("RN", _) = $0 { true } else { false } })
        // A cut before the admission (the first entry written earlier) is dropped.
        var early = Self.node("XD", peers: ["RN"])
        Self.announce(through: 4, from: "RN", to: &early)
        #expect(Self.stored(early.received(Self.entries(first: 39, through: 4), from: "RN", now: Self.seconds)).isEmpty)
    }

    @Test func aFeedHeldFromAnAdmissionServesNothingBeforeItsFirstEntry() throws {
        var member = Self.node("XD", peers: ["RN", "XC"])
        Self.announce(through: 4, from: "RN", to: &member)
        _ = member.received(Self.entries(first: 40, through: 4), from: "RN", now: Self.seconds)
        #expect(member.feeds[Self.origin]?.firstHeldIndex == 40)
        // A founder asking from the start is left to a peer holding the whole feed.
        #expect(member.received(Self.want(from: 0), from: "XC", now: Self.seconds).isEmpty)
        #expect(member.received(Self.want(from: 39), from: "XC", now: Self.seconds).isEmpty)
        #expect(
            member.received(Self.want(from: 40), from: "XC", now: Self.seconds).contains {
                if case .serve("XC", _, 40..<50) = $0 { true } else { false }
            })
    }
}
