import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinMetrics
import TocsinNet
import TocsinNode
import TocsinStore

/// What a hostile test client saw of its session.
final class Capture: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = PeerMessage
    private let lock = NSLock()
    private var received: [Tocsin_V1_Message] = []
    let authenticated: EventLoopPromise<Void>
    /// Called after each message (to wake a test's waiter).
    let onRead: @Sendable () -> Void

    init(authenticated: EventLoopPromise<Void>, onRead: @escaping @Sendable () -> Void = {}) {
        self.authenticated = authenticated
        self.onRead = onRead
    }

    var messages: [Tocsin_V1_Message] { lock.withLock { received } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data).protobuf
        lock.withLock { received.append(message) }
        onRead()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is PeerAuthenticated { authenticated.succeed() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        authenticated.fail(ChannelError.ioOnClosedChannel)
    }
}

/// A node facing a peer with a valid certificate that misbehaves: each fault gets an Error
/// and a closed session, the store stays as it was, and the node keeps serving the others.
@Suite(.serialized) struct HostilePeerTests {
    /// A head of `author`'s feed in the network-wide group (one entry, signed by the author),
    /// followed by `cosignatures` lines that name witnesses of the charter with the right key
    /// ids and signatures that do not verify: each costs a verification to refuse.
    static func head(of network: FictionalNetwork, by author: String, cosignatures: Int) -> Tocsin_V1_Head {
        let origin = try! FeedOrigin(network: network.networkID, group: "all", author: author)
        var feed = FeedAuthor(origin: origin, key: network.member(author)!.key)
        let batch = try! feed.append([SampleEntries.bulletin(number: 0, country: "XB", authorTimeMs: 1)])
        let witnesses = network.charter.nodes.map(\.id).filter { $0 != author }
        var note = batch.checkpoint.note
        for number in 0..<cosignatures {
            let witness = witnesses[number % witnesses.count]
            let name = WitnessName.of(node: witness, network: network.networkID)
            let key = try! NoteKey(name: name, publicKey: network.member(witness)!.key.publicKey, type: .cosignatureV1)
            note.signatures.append(
                NoteSignature(keyName: name, keyID: key.keyID, signature: [UInt8](repeating: 7, count: 72)))
        }
        return .with {
            $0.origin = origin.description
            $0.checkpoint = Data(note.formatted.utf8)
        }
    }

    /// A member floods a relay with Heads that would each cost thousands of signature checks,
    /// reconnecting as soon as it is cut off: the relay refuses each at its first fault, and
    /// its own appends go on.
    @Test func aFloodingMemberCannotStopTheNodeFromAppending() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("XA", peers: ["RN"])
            let relay = local.nodes["RN"]!
            _ = try await local.append(
                "RN", group: "all", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
            let network = local.network
            let port = local.ports["RN"]!
            // 200 heads of one feed, each with 500 costly cosignature lines: about 13 MiB.
            let head = Self.head(of: network, by: "XB", cosignatures: 500)
            let flood = Tocsin_V1_Message.with { $0.heads.heads = Array(repeating: head, count: 200) }
            let flooding = Task {
                var sessions = 0
                while !Task.isCancelled {
                    guard let (channel, _) = try? await TestPeer.connect(as: "XB", of: network, port: port) else {
                        continue
                    }
                    sessions += 1
                    channel.write(TestPeer.hello(from: "XB", of: network), promise: nil)
                    for _ in 0..<4 { channel.write(flood, promise: nil) }
                    channel.flush()
                    _ = try? await channel.closeFuture.get()
                }
                return sessions
            }
            try await Task.sleep(for: .milliseconds(500))
            for number in 1...3 {
                let started = ContinuousClock.now
                _ = try await relay.append(
                    group: "all", entries: [SampleEntries.bulletin(number: number, country: "XA", authorTimeMs: 1)])
                let took = ContinuousClock.now - started
                #expect(took < .seconds(2), "an append during the flood took \(took)")
            }
            flooding.cancel()
            let sessions = await flooding.value
            #expect(sessions >= 1)
            #expect(
                local.logs.lines(of: "tocsin.RN").contains {
                    $0.text.contains("Heads names") && $0.text.contains("twice")
                }
            )
        }
    }
    /// A member announces a checkpoint and never answers the `Want` for it: after the timeout
    /// the node asks a peer that announced the same, gets the entry long before anti-entropy
    /// would have repaired it (30 s here, as by default), and names the silent member in its
    /// log and in its peer list.
    @Test func aMemberThatWithholdsAFeedIsPassedOverAndNamed() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA"] { try local.create(id) }
            try await local.start("RN", peers: [], antiEntropy: .seconds(30))
            let network = local.network
            // XB shows the relay XA's checkpoint of one entry, then stays silent.
            let (withholder, capture) = try await TestPeer.connect(
                as: "XB", of: network, port: local.ports["RN"]!, onRead: { local.waiter.signal() })
            try await withholder.writeAndFlush(TestPeer.hello(from: "XB", of: network)).get()
            try await withholder.writeAndFlush(
                Tocsin_V1_Message.with { $0.heads.heads = [Self.head(of: network, by: "XA", cosignatures: 0)] }
            ).get()
            #expect(
                await local.waiter.wait {
                    capture.messages.contains { if case .want = $0.body { return true } else { return false } }
                }, "the relay never asked the withholder")
            // XA itself comes, with that very entry, written before it came (so it is announced
            // in XA's heads, not pushed with its entries as a fresh append would be).
            var author = FeedAuthor(
                origin: try FeedOrigin(network: network.networkID, group: "all", author: "XA"),
                key: network.member("XA")!.key)
            let batch = try author.append([SampleEntries.bulletin(number: 0, country: "XB", authorTimeMs: 1)])
            do {
                let store = try FeedStore.open(directory: local.dataDirectory("XA"))
                _ = try store.append(batch, now: Date())
            }
            try await local.start("XA", peers: ["RN"], antiEntropy: .seconds(30))
            let started = ContinuousClock.now
            #expect(
                await local.waiter.wait(timeout: 20) { local.size("RN", batch.origin) == 1 },
                "the relay did not get the withheld entry")
            let took = ContinuousClock.now - started
            #expect(took < .seconds(15), "the withheld entry took \(took)")
            let statuses = await local.nodes["RN"]!.peerStatuses()
            #expect(statuses.first { $0.nodeID == "XB" }.map { $0.connected && $0.unansweredWants >= 1 } == true)
            #expect(statuses.first { $0.nodeID == "XA" }?.unansweredWants == 0)
            #expect(
                local.logs.lines(of: "tocsin.RN").contains {
                    $0.text.contains("XB did not answer a Want") && $0.text.contains(batch.origin.description)
                })
            try await withholder.close()
        }
    }

    @Test func misbehavingPeersAreCutOffWithoutTouchingTheStore() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("XA", peers: ["RN"])
            let first = try await local.append(
                "XA", group: "nro", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
            // Stored, and cosigned by the relay (a second transaction): only then is the store at rest.
            #expect(
                await local.waiter.wait {
                    let head = (try? local.nodes["RN"]!.store.head(of: first.origin)) ?? nil
                    return head?.size == 1 && head?.checkpoint?.cosignatures.isEmpty == false
                })
            // XA's network-wide feed, exactly as `head(of:by:cosignatures:)` forges it, for a Heads
            // the relay must merge (same size, same root) and so check cosignature by cosignature.
            let networkWide = try await local.append(
                "XA", group: "all", [SampleEntries.bulletin(number: 0, country: "XB", authorTimeMs: 1)])
            #expect(
                await local.waiter.wait {
                    let head = (try? local.nodes["RN"]!.store.head(of: networkWide.origin)) ?? nil
                    return head?.size == 1 && head?.checkpoint?.cosignatures.isEmpty == false
                })
            let port = local.ports["RN"]!
            let network = local.network
            let hostile = network.member("XB")!  // in sro and all, not in nro
            let hello = TestPeer.hello(from: "XB", of: network)
            let before = try local.nodes["RN"]!.store.heads()

            /// Opens a session as XB, runs `misbehave`, and waits (at most 20 s) for the node to close it.
            func session(
                _ misbehave: (Channel) async throws -> Void
            ) async throws -> (closed: Bool, errors: [Tocsin_V1_Error]) {
                let (channel, capture) = try await TestPeer.connect(as: "XB", of: network, port: port)
                try await misbehave(channel)
                let timedOut = NIOLockedValueBox(false)
                let timeout = channel.eventLoop.scheduleTask(in: .seconds(20)) {
                    timedOut.withLockedValue { $0 = true }
                    channel.close(promise: nil)
                }
                try? await channel.closeFuture.get()
                timeout.cancel()
                let errors = capture.messages.compactMap { message -> Tocsin_V1_Error? in
                    if case .error(let error) = message.body { return error } else { return nil }
                }
                return (!timedOut.withLockedValue { $0 }, errors)
            }

            func writeRaw(_ channel: Channel, _ bytes: [UInt8]) async throws {
                // Below the framer: straight into TLS.
                try await channel.eventLoop.submit {
                    let framer = try channel.pipeline.syncOperations.context(handlerType: MessageFramer.self)
                    framer.writeAndFlush(NIOAny(channel.allocator.buffer(bytes: bytes)), promise: nil)
                }.get()
            }

            let genuine = try SignedCheckpoint(parsing: Array(first.checkpoint.note.formatted.utf8))
            let cases: [(String, Tocsin_V1_ErrorCode?, (Channel) async throws -> Void)] = [
                (
                    "a message before Hello", .outOfOrder,
                    { try await $0.writeAndFlush(Tocsin_V1_Message.with { $0.ping = .init() }).get() }
                ),
                (
                    "a Want for a group the peer is not in", .notPermitted,
                    { channel in
                        try await channel.writeAndFlush(hello).get()
                        try await channel.writeAndFlush(
                            Tocsin_V1_Message.with {
                                $0.want = .with {
                                    $0.origin = first.origin.description
                                    $0.from = 0
                                    $0.to = 1
                                }
                            }
                        ).get()
                    }
                ),
                (
                    "a checkpoint with a bad signature", .unverifiable,
                    { channel in
                        let origin = try FeedOrigin(network: network.networkID, group: "all", author: "XB")
                        let forged = try SignedCheckpoint.sign(
                            Checkpoint(origin: origin.description, size: 3, root: genuine.checkpoint.root),
                            key: network.member("XC")!.key)
                        try await channel.writeAndFlush(hello).get()
                        try await channel.writeAndFlush(
                            Tocsin_V1_Message.with {
                                $0.checkpoint = .with {
                                    $0.origin = origin.description
                                    $0.checkpoint = Data(forged.note.formatted.utf8)
                                }
                            }
                        ).get()
                    }
                ),
                (
                    "entries that do not match their checkpoint", .unverifiable,
                    { channel in
                        let origin = try FeedOrigin(network: network.networkID, group: "all", author: "XB")
                        var author = FeedAuthor(origin: origin, key: hostile.key)
                        let batch = try author.append([
                            SampleEntries.bulletin(number: 1, country: "XB", authorTimeMs: 1)
                        ])
                        try await channel.writeAndFlush(hello).get()
                        try await channel.writeAndFlush(
                            Tocsin_V1_Message.with {
                                $0.entries = .with {
                                    $0.origin = origin.description
                                    $0.firstIndex = 0
                                    $0.entries = [
                                        Data(SampleEntries.bulletin(number: 2, country: "XB", authorTimeMs: 1))
                                    ]
                                    $0.checkpoint = Data(batch.checkpoint.note.formatted.utf8)
                                }
                            }
                        ).get()
                    }
                ),
                (
                    "a Heads naming one feed twice", .malformed,
                    { channel in
                        let head = Self.head(of: network, by: "XB", cosignatures: 0)
                        try await channel.writeAndFlush(hello).get()
                        try await channel.writeAndFlush(Tocsin_V1_Message.with { $0.heads.heads = [head, head] }).get()
                    }
                ),
                (
                    "a cosignature that does not verify", .unverifiable,
                    { channel in
                        // Of a checkpoint the relay holds (XA's in the network-wide group); two
                        // witnesses, so that at least one is not the relay (whose own it skips).
                        let head = Self.head(of: network, by: "XA", cosignatures: 2)
                        try await channel.writeAndFlush(hello).get()
                        try await channel.writeAndFlush(Tocsin_V1_Message.with { $0.heads.heads = [head] }).get()
                    }
                ),
                (
                    "garbage inside a frame", nil,
                    { try await writeRaw($0, FrameDecoder.frame([0xff, 0xff, 0xff, 0xff])) }
                ),
                ("an oversized frame", nil, { try await writeRaw($0, [0x7f, 0xff, 0xff, 0xff]) }),
            ]
            for (what, code, misbehave) in cases {
                let started = Date()
                let logged = local.logs.count
                let outcome = try await session(misbehave)
                print(
                    "\(what): closed=\(outcome.closed) in \(Date().timeIntervalSince(started))s errors=\(outcome.errors.map(\.code))"
                )
                #expect(outcome.closed, "the node did not close the session after \(what)")
                if let code { #expect(outcome.errors.map(\.code).contains(code), "\(what): \(outcome.errors)") }
                // The operator is told, in a line that names the peer (or its address before Hello).
                let lines = local.logs.lines(of: "tocsin.RN", after: logged)
                #expect(
                    lines.contains {
                        $0.level >= .warning && ($0.text.contains("XB") || $0.text.contains("127.0.0.1"))
                    },
                    "\(what): \(lines.map(\.text))")
                if !lines.isEmpty { print("\(what) logged: \(lines.map(\.text))") }
            }
            let after = try local.nodes["RN"]!.store.heads()
            func describe(_ heads: [FeedHead]) -> Set<String> {
                Set(
                    heads.map {
                        "\($0.origin) size \($0.size) frozen \($0.isFrozen) \($0.checkpoint?.note.formatted ?? "-")"
                    })
            }
            #expect(after == before, "changed: \(describe(after).symmetricDifference(describe(before)))")

            // The node still serves its honest peers.
            let second = try await local.append(
                "XA", group: "nro", [SampleEntries.bulletin(number: 1, country: "XA", authorTimeMs: 1)])
            #expect(await local.waiter.wait { local.size("RN", second.origin) == 2 })
            #expect(try local.nodes["RN"]!.store.audit().holds)
            // Every refusal counts against the peer, by its reason.
            let metrics = PrometheusText(local.nodes["RN"]!.metrics.render(MetricsSnapshot()))
            for reason in ["outOfOrder", "notPermitted", "unverifiable", "malformed", "tooLarge"] {
                let count = metrics.value("tocsin_peer_rejected_messages_total", ["peer": "XB", "reason": reason]) ?? 0
                #expect(count >= 1, "\(reason): \(count)")
            }
            #expect(
                (metrics.value("tocsin_peer_rejected_messages_total", ["peer": "XB", "reason": "unverifiable"]) ?? 0)
                    >= 3)
        }
    }
}
