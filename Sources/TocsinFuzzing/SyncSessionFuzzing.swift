import Foundation
import TocsinCore

/// A relay's sync machine facing peers whose messages come from the input: raw frames through
/// the frame decoder, genuine messages, genuine messages with a byte changed, disconnections,
/// time passing. The node's own actions are carried out as the runtime would (stored batches
/// reported durable, `Want`s served from what it holds).
enum SyncSessionFuzzing {
    static func run(_ bytes: [UInt8]) {
        let fixture = FuzzFixture.shared
        var input = FuzzInput(bytes)
        var node = SyncNode(
            configuration: .init(
                nodeID: "RN", network: fixture.network.networkID, charter: fixture.network.charter,
                witnessKey: fixture.network.member("RN")!.key, maximumBatchEntries: 2, maximumBatchBytes: 600,
                maximumBatchesPerWant: 3),
            feeds: [])
        let peers = ["XA", "XC", "RS"]
        var peer = peers[0]
        var now: UInt64 = 1_800_000_000
        var decoder = FrameDecoder(maximumFrameSize: 1 << 16)
        var held: [FeedOrigin: [[UInt8]]] = [:]

        func connect(_ id: String) {
            _ = node.connected(peer: id)
            carryOut(node.received(fixture.hello(from: id), from: id, now: now))
        }
        func carryOut(_ actions: [SyncAction]) {
            for action in actions {
                switch action {
                case .store(let batch):
                    held[batch.origin, default: []] += batch.entries
                    carryOut(node.stored(origin: batch.origin, size: batch.frontier.size, now: now))
                case .serve(_, let origin, let span):
                    let entries = held[origin] ?? []
                    let sizes = span.compactMap { index in index < entries.count ? entries[Int(index)].count : nil }
                    _ = node.batches(serving: span, of: origin, entryBytes: sizes)
                case .close(let closed, _):
                    carryOut(node.disconnected(peer: closed, now: now))
                case .storeOwnCosignature(let cosignature, let checkpoint):
                    carryOut(node.ownCosignatureStored(cosignature, of: checkpoint))
                case .send, .sendEntries, .storeCosignature, .storeForkProof, .rememberOwnFeed, .examine,
                    .forwardCosignaturesSoon,
                    .log, .adoptCharter, .serveFromAdmission:
                    break
                }
            }
        }
        func deliver(_ message: PeerMessage) {
            if node.establishedPeers.contains(peer) == false { connect(peer) }
            carryOut(node.received(message, from: peer, now: now))
        }

        connect(peer)
        var steps = 0
        while !input.isAtEnd, steps < 64 {
            steps += 1
            switch input.byte() % 8 {
            case 0:
                // Raw bytes into the frame decoder, as a socket would deliver them.
                decoder.append(input.take(input.uint16() % 4096))
                while let frame = try? decoder.nextFrame() {
                    guard let message = try? PeerMessage(decoding: frame) else { continue }
                    deliver(message)
                }
            case 1:
                deliver(PeerMessage(fixture.messages[Int(input.byte()) % fixture.messages.count]))
            case 2:
                let message = fixture.messages[Int(input.byte()) % fixture.messages.count]
                guard var encoded: [UInt8] = try? message.serializedBytes(), !encoded.isEmpty else { continue }
                encoded[input.uint16() % encoded.count] = input.byte()
                if let mutated = try? PeerMessage(decoding: FramePayload(encoded)) { deliver(mutated) }
            case 3:
                carryOut(node.disconnected(peer: peer, now: now))
                connect(peer)
            case 4:
                now &+= UInt64(input.byte()) * 10
                carryOut(node.expireWants(now: now))
            case 5:
                carryOut(node.antiEntropy())
            case 6:
                peer = peers[Int(input.byte()) % peers.count]
            default:
                carryOut(node.forwardCosignatures())
            }
        }
        _ = node.appendReadiness(group: "nro")
    }
}
