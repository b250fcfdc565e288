import Foundation
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// One node's sync machine facing a single peer, message by message.
@Suite struct SyncNodeTests {
    static let network = try! FictionalNetwork.make(
        nationals: 3, relays: 2, observers: 1, now: Date(timeIntervalSince1970: 1_800_000_000))

    func node(_ id: String, feeds: [SyncFeed] = []) -> SyncNode {
        let member = Self.network.member(id)!
        return SyncNode(
            configuration: .init(
                nodeID: id, network: Self.network.networkID, charter: Self.network.charter,
                witnessKey: member.node.role == .relay ? member.key : nil),
            feeds: feeds)
    }

    func hello(from id: String, network: NetworkID = Self.network.networkID) -> Tocsin_V1_Message {
        .with {
            $0.hello = .with {
                $0.protocolVersion = SyncNode.protocolVersion
                $0.networkID = Data(network.digest.bytes)
                $0.nodeID = id
                $0.charterVersion = 1
            }
        }
    }

    /// A feed of XA in `group` with `count` entries, as an author batch.
    func batch(group: String = "nro", count: Int = 3) throws -> FeedBatch {
        var author = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: group, author: "XA"),
            key: Self.network.member("XA")!.key)
        return try author.append(
            (0..<count).map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 90, authorTimeMs: 1) })
    }

    /// An `Entries` message carrying all of `batch` with `checkpoint` (cosignatures included).
    static func entries(_ batch: FeedBatch, checkpoint: SignedCheckpoint) -> Tocsin_V1_Message {
        .with {
            $0.entries = .with {
                $0.origin = batch.origin.description
                $0.firstIndex = batch.firstIndex
                $0.entries = batch.entries.map { Data($0) }
                $0.checkpoint = Data(checkpoint.note.formatted.utf8)
            }
        }
    }

    func established(_ id: String, with peer: String, feeds: [SyncFeed] = []) -> (SyncNode, [SyncAction]) {
        var node = node(id, feeds: feeds)
        _ = node.connected(peer: peer)
        let actions = node.received(hello(from: peer), from: peer, now: 1)
        return (node, actions)
    }

    /// The message `action` sends, a pushed batch counting as the checkpoint it announces.
    static func announcement(_ action: SyncAction) -> (String, Tocsin_V1_Message)? {
        switch action {
        case .send(let peer, let message): return (peer, message)
        case .sendEntries(let peer, _, _, let announcement): return (peer, announcement)
        default: return nil
        }
    }

    static func closes(_ actions: [SyncAction], code: Tocsin_V1_ErrorCode) -> Bool {
        let sentError = actions.contains {
            if case .send(_, let message) = $0, case .error(let error) = message.body { return error.code == code }
            return false
        }
        let closed = actions.contains { if case .close = $0 { return true } else { return false } }
        let stored = actions.contains { if case .store = $0 { return true } else { return false } }
        return sentError && closed && !stored
    }

    @Test func anythingBeforeHelloIsRefused() {
        var node = node("RN")
        _ = node.connected(peer: "XA")
        let actions = node.received(.with { $0.ping = .with { $0.nonce = 1 } }, from: "XA", now: 1)
        #expect(Self.closes(actions, code: .outOfOrder))
    }

    @Test func aHelloFromAnotherNetworkOrNamingAnotherNodeIsRefused() {
        var node = node("RN")
        _ = node.connected(peer: "XA")
        let other = NetworkID(genesisCharter: Array("another charter".utf8))
        #expect(Self.closes(node.received(hello(from: "XA", network: other), from: "XA", now: 1), code: .wrongNetwork))
        var second = self.node("RN")
        _ = second.connected(peer: "XA")
        #expect(Self.closes(second.received(hello(from: "XB"), from: "XA", now: 1), code: .notPermitted))
    }

    @Test func headsAnnounceOnlyTheFeedsThePeerMaySee() throws {
        let nro = try batch(group: "nro")
        let all = try batch(group: FictionalNetwork.networkWideGroup)
        var feeds: [SyncFeed] = []
        for batch in [nro, all] {
            var feed = SyncFeed(origin: batch.origin, author: Self.network.member("XA")!.key.publicKey)
            feed.record(batch)
            feeds.append(feed)
        }
        let (_, toObserver) = established("RN", with: "OBS1", feeds: feeds)
        let announced = toObserver.compactMap { action -> [String]? in
            guard case .send(_, let message) = action, case .heads(let heads) = message.body else { return nil }
            return heads.heads.map(\.origin)
        }
        #expect(announced == [[all.origin.description]])
        let (_, toMember) = established("RN", with: "XA", feeds: feeds)
        let announcedToMember = toMember.compactMap { action -> Int? in
            guard case .send(_, let message) = action, case .heads(let heads) = message.body else { return nil }
            return heads.heads.count
        }
        #expect(announcedToMember == [2])
    }

    @Test func aWantForAFeedOfAnotherGroupIsRefused() throws {
        let nro = try batch(group: "nro")
        var feed = SyncFeed(origin: nro.origin, author: Self.network.member("XA")!.key.publicKey)
        feed.record(nro)
        var (node, _) = established("RN", with: "OBS1", feeds: [feed])
        let want = Tocsin_V1_Message.with {
            $0.want = .with {
                $0.origin = nro.origin.description
                $0.from = 0
                $0.to = 3
            }
        }
        #expect(Self.closes(node.received(want, from: "OBS1", now: 1), code: .notPermitted))
    }

    @Test func unverifiableCheckpointsAndEntriesAreRefusedAndNothingIsStored() throws {
        let genuine = try batch()
        var (node, _) = established("RN", with: "XA")
        // A checkpoint whose note was altered after signing.
        let altered = genuine.checkpoint.note.formatted.replacingOccurrences(of: "\n3\n", with: "\n4\n")
        let head = Tocsin_V1_Message.with {
            $0.checkpoint = .with {
                $0.origin = genuine.origin.description
                $0.checkpoint = Data(altered.utf8)
            }
        }
        #expect(Self.closes(node.received(head, from: "XA", now: 1), code: .unverifiable))

        // Entries that do not match their checkpoint.
        var (second, _) = established("RN", with: "XA")
        var entries = genuine.entries
        entries[2][entries[2].count - 1] ^= 1
        let message = Tocsin_V1_Message.with {
            $0.entries = .with {
                $0.origin = genuine.origin.description
                $0.firstIndex = 0
                $0.entries = entries.map { Data($0) }
                $0.checkpoint = Data(genuine.checkpoint.note.formatted.utf8)
            }
        }
        #expect(Self.closes(second.received(message, from: "XA", now: 1), code: .unverifiable))
        #expect(second.feeds[genuine.origin]?.size ?? 0 == 0)
    }

    @Test func genuineEntriesAreStoredCosignedByARelayOnceDurableAndPushed() throws {
        let genuine = try batch()
        var (node, _) = established("RN", with: "XA")
        _ = node.connected(peer: "XC")
        _ = node.received(hello(from: "XC"), from: "XC", now: 1)
        let message = Self.entries(genuine, checkpoint: genuine.checkpoint)
        let received = node.received(message, from: "XA", now: 1_800_000_123)
        // Its cosignature is written in the batch's own transaction.
        let stored = try #require(
            received.compactMap { action -> FeedBatch? in
                if case .store(let batch) = action { return batch } else { return nil }
            }.first)
        #expect(stored.entries == genuine.entries)
        let cosignature = try #require(stored.checkpoint.cosignatures.first)
        #expect(stored.checkpoint.cosignatures.count == 1 && cosignature.timestamp == 1_800_000_123)
        try cosignature.verify(
            checkpoint: genuine.checkpoint.checkpoint, publicKey: Self.network.member("RN")!.key.publicKey)
        // Neither held, nor announced, nor shown in Heads before it is durable.
        #expect(
            !received.contains {
                switch $0 {
                case .storeCosignature, .storeOwnCosignature, .send: return true
                default: return false
                }
            })
        #expect(node.feeds[genuine.origin]?.latest?.cosignatures.isEmpty == true)
        let actions = node.stored(origin: genuine.origin, size: 3, now: 1_800_000_200)
        #expect(node.feeds[genuine.origin]?.latest?.cosignatures == [cosignature])
        // Then pushed to every member, the sender too: it learns of the witness.
        let pushedTo = actions.compactMap { action -> String? in
            guard let (peer, message) = Self.announcement(action), case .checkpoint = message.body else { return nil }
            return peer
        }
        #expect(pushedTo == ["XA", "XC"])
        // The same batch again is dropped quietly.
        #expect(node.received(message, from: "XA", now: 2).isEmpty)
    }

    @Test func cosignaturesThatCameWithABatchAreStoredWithItAndTravelInItsAnnouncement() throws {
        let genuine = try batch()
        let byRS = try Cosignature.sign(
            genuine.checkpoint.checkpoint, witnessName: WitnessName.of(node: "RS", network: Self.network.networkID),
            key: Self.network.member("RS")!.key, timestamp: 1_800_000_000)
        var (node, _) = established("RN", with: "XA")
        _ = node.connected(peer: "XC")
        _ = node.received(hello(from: "XC"), from: "XC", now: 1)
        let message = Self.entries(genuine, checkpoint: genuine.checkpoint.adding(byRS))
        let received = node.received(message, from: "XA", now: 1_800_000_100)
        #expect(received.contains { if case .forwardCosignaturesSoon = $0 { true } else { false } })
        // Written in the batch's transaction, with RN's own: no write of their own.
        #expect(!received.contains { if case .storeCosignature = $0 { true } else { false } })
        let stored = try #require(
            received.compactMap { action -> FeedBatch? in
                if case .store(let batch) = action { return batch } else { return nil }
            }.first)
        #expect(Set(stored.checkpoint.cosignatures.map(\.witnessName)).count == 2)
        let announced = node.stored(origin: genuine.origin, size: 3, now: 1_800_000_101)
        let notes = announced.compactMap { action -> SignedCheckpoint? in
            guard let (_, sent) = Self.announcement(action), case .checkpoint(let head) = sent.body else { return nil }
            return try? SignedCheckpoint(parsing: Array(head.checkpoint))
        }
        // Both peers get the checkpoint with RS's cosignature and RN's own.
        #expect(notes.count == 2)
        #expect(notes.allSatisfy { Set($0.cosignatures.map(\.witnessName)).count == 2 })
        #expect(node.forwardCosignatures().isEmpty)
    }

    /// A peer that showed it holds the checkpoint with every cosignature is not sent it again;
    /// a peer that lacks a cosignature is.
    @Test func aCheckpointIsNotPushedToAPeerKnownToHoldItWithEveryCosignature() throws {
        let genuine = try batch(group: "all")
        let byRN = try Cosignature.sign(
            genuine.checkpoint.checkpoint, witnessName: WitnessName.of(node: "RN", network: Self.network.networkID),
            key: Self.network.member("RN")!.key, timestamp: 1_800_000_000)
        func pushes(_ actions: [SyncAction]) -> [String] {
            actions.compactMap { action -> String? in
                guard let (peer, message) = Self.announcement(action), case .checkpoint = message.body else {
                    return nil
                }
                return peer
            }
        }
        // XC (no witness) hears the batch from RN while XA shows it holds the same checkpoint
        // with RN's cosignature, and XB has shown nothing.
        var (node, _) = established("XC", with: "RN")
        for peer in ["XA", "XB"] {
            _ = node.connected(peer: peer)
            _ = node.received(hello(from: peer), from: peer, now: 1)
        }
        let cosigned = genuine.checkpoint.adding(byRN)
        _ = node.received(Self.entries(genuine, checkpoint: cosigned), from: "RN", now: 1_800_000_001)
        _ = node.received(
            .with {
                $0.checkpoint = .with {
                    $0.origin = genuine.origin.description
                    $0.checkpoint = Data(cosigned.note.formatted.utf8)
                }
            }, from: "XA", now: 1_800_000_001)
        #expect(pushes(node.stored(origin: genuine.origin, size: 3, now: 1_800_000_002)) == ["XB"])
        // XB was behind: it may fetch the entries elsewhere and not keep the cosignatures, so
        // it is sent them again until it shows it holds them.
        #expect(pushes(node.stored(origin: genuine.origin, size: 3, now: 1_800_000_003)) == ["XB"])
        _ = node.received(
            .with {
                $0.checkpoint = .with {
                    $0.origin = genuine.origin.description
                    $0.checkpoint = Data(cosigned.note.formatted.utf8)
                }
            }, from: "XB", now: 1_800_000_004)
        #expect(pushes(node.stored(origin: genuine.origin, size: 3, now: 1_800_000_005)).isEmpty)
    }

    @Test func aWitnessCosignsAtStartWhatItHoldsWithoutItsCosignature() throws {
        let genuine = try batch()
        var feed = SyncFeed(origin: genuine.origin, author: Self.network.member("XA")!.key.publicKey)
        feed.record(genuine)
        var (node, _) = established("RN", with: "XA", feeds: [feed])
        let actions = node.witnessHeldCheckpoints(now: 1_800_000_500)
        let cosignatures = actions.compactMap { action -> Cosignature? in
            if case .storeOwnCosignature(let cosignature, let checkpoint) = action,
                checkpoint == genuine.checkpoint.checkpoint
            {
                return cosignature
            }
            return nil
        }
        #expect(cosignatures.count == 1 && actions.count == 1)
        try cosignatures[0].verify(
            checkpoint: genuine.checkpoint.checkpoint, publicKey: Self.network.member("RN")!.key.publicKey)
        _ = node.ownCosignatureStored(cosignatures[0], of: genuine.checkpoint.checkpoint)
        #expect(node.witnessHeldCheckpoints(now: 1_800_000_600).isEmpty, "cosigned once")
    }

    @Test func aFeedWhoseAuthorIsNotInItsGroupIsRefused() throws {
        // XB is in sro, not nro: a feed nro/XB cannot exist, whoever carries it.
        var author = FeedAuthor(
            origin: try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XB"),
            key: Self.network.member("XB")!.key)
        let forged = try author.append([SampleEntries.bulletin(number: 0, country: "XB", authorTimeMs: 1)])
        var (node, _) = established("RN", with: "XA")
        let head = Tocsin_V1_Message.with {
            $0.checkpoint = .with {
                $0.origin = forged.origin.description
                $0.checkpoint = Data(forged.checkpoint.note.formatted.utf8)
            }
        }
        #expect(Self.closes(node.received(head, from: "XA", now: 1), code: .notPermitted))
        #expect(node.feeds[forged.origin] == nil)
    }

    @Test func aRestoredNodeStaysBehindItsOwnFeedWhenThePeerThatShowedItLeaves() throws {
        // The network holds 3 entries of XA's feed; XA, restored from a copy, holds none.
        let held = try batch(count: 3)
        var (node, _) = established("XA", with: "RN")
        #expect(node.appendReadiness(group: "nro") == .waitingForPeers)
        var heads = Tocsin_V1_Heads()
        heads.heads = [
            .with {
                $0.origin = held.origin.description
                $0.checkpoint = Data(held.checkpoint.note.formatted.utf8)
            }
        ]
        let asked = node.received(.with { $0.heads = heads }, from: "RN", now: 1)
        #expect(
            asked.contains { if case .send(_, let message) = $0, case .want = message.body { true } else { false } })
        #expect(node.appendReadiness(group: "nro") == .catchingUp(held: 0, known: 3))
        // The relay leaves before the entries arrive; another peer says nothing of the feed.
        node.disconnected(peer: "RN")
        _ = node.connected(peer: "XC")
        _ = node.received(hello(from: "XC"), from: "XC", now: 2)
        _ = node.received(.with { $0.heads = Tocsin_V1_Heads() }, from: "XC", now: 2)
        #expect(node.appendReadiness(group: "nro") == .catchingUp(held: 0, known: 3))
        #expect(node.ownFeedKnown[held.origin] == 3)
    }

    /// A feed of XA in nro whose author signed a checkpoint after every entry, entries of
    /// `sizes` bytes (about: sample bulletins are padded to the size).
    func feed(entrySizes sizes: [Int]) throws -> (SyncFeed, [[UInt8]]) {
        let origin = try FeedOrigin(network: Self.network.networkID, group: "nro", author: "XA")
        var author = FeedAuthor(origin: origin, key: Self.network.member("XA")!.key)
        var feed = SyncFeed(origin: origin, author: Self.network.member("XA")!.key.publicKey)
        var entries: [[UInt8]] = []
        for (number, size) in sizes.enumerated() {
            let entry = SampleEntries.bulletin(number: number, country: "XA", byteCount: size, authorTimeMs: 1)
            let batch = try author.append([entry])
            feed.record(batch)
            entries.append(entry)
        }
        return (feed, entries)
    }

    @Test func aWantIsAnsweredInBatchesCutByBytesAtCheckpoints() throws {
        let (feed, entries) = try feed(entrySizes: [3_000, 3_000, 3_000, 9_000, 500, 500, 500, 500])
        var node = SyncNode(
            configuration: .init(
                nodeID: "RN", network: Self.network.networkID, charter: Self.network.charter, witnessKey: nil,
                maximumBatchEntries: 3, maximumBatchBytes: 7_000, maximumBatchesPerWant: 16),
            feeds: [feed])
        _ = node.connected(peer: "XA")
        _ = node.received(hello(from: "XA"), from: "XA", now: 1)
        let want = Tocsin_V1_Message.with {
            $0.want = .with {
                $0.origin = feed.origin.description
                $0.from = 0
                $0.to = 8
            }
        }
        let serve = try #require(
            node.received(want, from: "XA", now: 1).compactMap { action -> Range<UInt64>? in
                if case .serve(_, _, let range) = action { return range } else { return nil }
            }.first)
        #expect(serve == 0..<8)
        let batches = node.batches(serving: serve, of: feed.origin, entryBytes: entries.map(\.count))
        // Two of about 3 KB, then one; the 9 KB entry alone (an interval is never split); then
        // three small ones (the entry bound), then the last.
        #expect(batches == [0..<2, 2..<3, 3..<4, 4..<7, 7..<8])
        for batch in batches where batch.count > 1 {
            #expect(entries[Int(batch.lowerBound)..<Int(batch.upperBound)].map(\.count).reduce(0, +) <= 7_000)
        }
    }

    @Test func aWantUnansweredPastItsTimeoutIsAskedOfAnotherPeerThatAnnouncedTheRange() throws {
        let held = try batch(count: 3)
        var node = node("XC")
        let head = Tocsin_V1_Message.with {
            $0.heads.heads = [
                .with {
                    $0.origin = held.origin.description
                    $0.checkpoint = Data(held.checkpoint.note.formatted.utf8)
                }
            ]
        }
        func wants(_ actions: [SyncAction]) -> [String] {
            actions.compactMap { action in
                if case .send(let peer, let message) = action, case .want = message.body { return peer }
                return nil
            }
        }
        for peer in ["RN", "XA"] {
            _ = node.connected(peer: peer)
            _ = node.received(hello(from: peer), from: peer, now: 100)
        }
        #expect(wants(node.received(head, from: "RN", now: 100)) == ["RN"])
        #expect(wants(node.received(head, from: "XA", now: 101)).isEmpty, "one outstanding Want per feed")
        #expect(node.expireWants(now: 104).isEmpty, "not yet due")
        let expired = node.expireWants(now: 105)
        #expect(wants(expired) == ["XA"])
        #expect(
            expired.contains {
                if case .log(let peer, let text, let warning) = $0 {
                    return peer == "RN" && warning && text.contains("RN did not answer")
                }
                return false
            })
        #expect(node.unansweredWants == ["RN": 1])
        // XA is silent too: back to RN (each has left one unanswered; a tie goes by name).
        #expect(wants(node.expireWants(now: 111)) == ["RN"])
        #expect(node.unansweredWants == ["RN": 1, "XA": 1])
    }

    @Test func aCosignatureDatedBeyondTheClockSkewIsNotAcceptedUntilTheClockReachesIt() throws {
        let genuine = try batch()
        var feed = SyncFeed(origin: genuine.origin, author: Self.network.member("XA")!.key.publicKey)
        feed.record(genuine)
        var (node, _) = established("XC", with: "RN", feeds: [feed])
        // The convener's clock runs an hour ahead of this node's (1,800,000,000 s).
        let cosignature = try Cosignature.sign(
            genuine.checkpoint.checkpoint, witnessName: WitnessName.of(node: "RN", network: Self.network.networkID),
            key: Self.network.member("RN")!.key, timestamp: 1_800_003_600)
        let head = Tocsin_V1_Message.with {
            $0.cosignature = .with {
                $0.origin = genuine.origin.description
                $0.checkpoint = Data(genuine.checkpoint.adding(cosignature).note.formatted.utf8)
            }
        }
        func stored(_ actions: [SyncAction]) -> Bool {
            actions.contains { if case .storeCosignature = $0 { true } else { false } }
        }
        func warned(_ actions: [SyncAction]) -> Bool {
            actions.contains {
                if case .log(_, let text, true) = $0 { return text.contains("3600 s ahead") }
                return false
            }
        }
        let early = node.received(head, from: "RN", now: 1_800_000_000)
        #expect(!stored(early) && warned(early))
        #expect(!early.contains { if case .close = $0 { true } else { false } }, "the session stays")
        let again = node.received(head, from: "RN", now: 1_800_000_030)
        #expect(!stored(again) && !warned(again), "one warning per witness")
        // Within the allowed 300 s: accepted.
        #expect(stored(node.received(head, from: "RN", now: 1_800_003_300)))
        #expect(node.feeds[genuine.origin]?.latest?.cosignatures.map(\.timestamp) == [1_800_003_600])
    }

    /// Entries whose checkpoint carries a cosignature by a known witness that does not verify:
    /// the batch (verified) is stored, and the session is closed; a line by a witness the
    /// charter does not name is passed over.
    @Test func aBadCosignatureCarriedWithEntriesClosesTheSessionAndAnUnknownWitnessIsPassedOver() throws {
        let genuine = try batch()
        func entries(withCosignatureBy witness: String) throws -> Tocsin_V1_Message {
            var note = genuine.checkpoint.note
            let name = WitnessName.of(node: witness, network: Self.network.networkID)
            let keyID =
                try Self.network.member(witness).map {
                    try NoteKey(name: name, publicKey: $0.key.publicKey, type: .cosignatureV1).keyID
                } ?? 7
            note.signatures.append(
                NoteSignature(keyName: name, keyID: keyID, signature: [UInt8](repeating: 9, count: 72)))
            return .with {
                $0.entries = .with {
                    $0.origin = genuine.origin.description
                    $0.firstIndex = 0
                    $0.entries = genuine.entries.map { Data($0) }
                    $0.checkpoint = Data(note.formatted.utf8)
                }
            }
        }
        var (node, _) = established("RN", with: "XA")
        let forged = node.received(try entries(withCosignatureBy: "RS"), from: "XA", now: 1)
        #expect(forged.contains { if case .store = $0 { true } else { false } })
        #expect(forged.contains { if case .close = $0 { true } else { false } })
        var (other, _) = established("RN", with: "XA")
        let unknown = other.received(try entries(withCosignatureBy: "ZZ"), from: "XA", now: 1)
        #expect(unknown.contains { if case .store = $0 { true } else { false } })
        #expect(!unknown.contains { if case .close = $0 { true } else { false } })
    }

    /// A peer that disconnects while asked for entries does not hold them back: the range is
    /// asked of another peer that announced it at once, and counted against the one that left.
    @Test func aWantWhosePeerLeavesIsAskedOfAnotherAtOnce() throws {
        let held = try batch(count: 3)
        var node = node("XC")
        let head = Tocsin_V1_Message.with {
            $0.heads.heads = [
                .with {
                    $0.origin = held.origin.description
                    $0.checkpoint = Data(held.checkpoint.note.formatted.utf8)
                }
            ]
        }
        for peer in ["RN", "XA"] {
            _ = node.connected(peer: peer)
            _ = node.received(hello(from: peer), from: peer, now: 100)
            _ = node.received(head, from: peer, now: 100)
        }
        let asked = node.disconnected(peer: "RN", now: 101)
        #expect(
            asked.contains {
                if case .send(let peer, let message) = $0, case .want = message.body { return peer == "XA" }
                return false
            })
        #expect(node.unansweredWants == ["RN": 1])
    }

    /// What must be durable is written again when the store writes again (a write of it may
    /// have failed while the disk was full).
    @Test func resumingAfterAStoreFailureWritesTheRestoreGuardAndForkProofsAgain() throws {
        let held = try batch(count: 3)
        var (node, _) = established("XA", with: "RN")
        _ = node.received(
            .with {
                $0.heads.heads = [
                    .with {
                        $0.origin = held.origin.description
                        $0.checkpoint = Data(held.checkpoint.note.formatted.utf8)
                    }
                ]
            }, from: "RN", now: 1)
        node.pause()
        #expect(node.isPaused)
        let resumed = node.resume(now: 2)
        #expect(
            resumed.contains {
                if case .rememberOwnFeed(let origin, let size) = $0 { return origin == held.origin && size == 3 }
                return false
            })
        #expect(!node.isPaused)
    }

    @Test func pingIsAnswered() {
        var (node, _) = established("RN", with: "XA")
        let actions = node.received(.with { $0.ping = .with { $0.nonce = 42 } }, from: "XA", now: 1)
        guard case .send(let peer, let message) = actions.first, case .pong(let pong) = message.body else {
            Issue.record("no pong")
            return
        }
        #expect(peer == "XA" && pong.nonce == 42)
    }
}

@Suite struct FrameDecoderTests {
    @Test func framesSplitAcrossReadsAreReassembled() throws {
        let payloads: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 1000)]
        let wire = payloads.flatMap { FrameDecoder.frame($0) }
        var decoder = FrameDecoder(maximumFrameSize: 4096)
        var decoded: [[UInt8]] = []
        for chunk in stride(from: 0, to: wire.count, by: 5) {
            decoder.append(wire[chunk..<min(chunk + 5, wire.count)])
            while let frame = try decoder.nextFrame() { decoded.append(Array(frame.bytes)) }
        }
        #expect(decoded == payloads)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func anOversizedFrameIsRefusedFromItsHeaderAlone() {
        var decoder = FrameDecoder(maximumFrameSize: 1024)
        decoder.append([0x00, 0x00, 0x04, 0x01])
        #expect(throws: FrameError.tooLarge(length: 1025, limit: 1024)) { try decoder.nextFrame() }
        var garbage = FrameDecoder()
        garbage.append([0xff, 0xff, 0xff, 0xff, 0x00])
        #expect(throws: FrameError.self) { try garbage.nextFrame() }
    }

    @Test func garbageInsideAFrameFailsAsAMessageNotAsAFrame() throws {
        var decoder = FrameDecoder()
        decoder.append(FrameDecoder.frame([0xff, 0xff, 0xff]))
        let frame = try #require(try decoder.nextFrame())
        #expect(throws: (any Error).self) { try Tocsin_V1_Message(serializedBytes: frame) }
    }
}

@Suite struct TokenBucketTests {
    @Test func aBurstIsAllowedThenTheRateHolds() {
        var bucket = TokenBucket(capacity: 3, ratePerSecond: 2)
        var granted: [Bool] = []
        for now in [0, 0, 0, 0, 0.5, 0.5, 100, 100, 100, 100, 50.0] { granted.append(bucket.take(now: now)) }
        // Three at once, then one per half second; a long pause refills to the capacity, no
        // more; a clock that goes backwards grants nothing.
        #expect(granted == [true, true, true, false, true, false, true, true, true, false, false])
    }
}
