import Foundation
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// A small fictional network, made once per process with keys of its own (none is ever
/// written down), and genuine messages of it for the targets to send as they are or mutated:
/// signatures hold, so the fuzzer reaches what lies behind them.
final class FuzzFixture: Sendable {
    static let shared = FuzzFixture()

    let network: FictionalNetwork
    /// XA's feed in nro, in two author batches: entries [0, 2) and [2, 5).
    let batches: [FeedBatch]
    /// The relay RN's cosignature of each batch's checkpoint.
    let cosigned: [SignedCheckpoint]
    /// Two checkpoints of XC's nro feed of the same size with different roots.
    let fork: ForkProof
    /// Messages a peer could send: heads, checkpoints, cosignatures, entries, wants, a fork proof.
    let messages: [Tocsin_V1_Message]
    /// An amendment file: version 2 rotates XA's key and revokes XC's (valid through 1 in nro).
    let amendment: AmendmentBundle
    /// The chain of the genesis charter and that amendment.
    let amendedChain: CharterChain

    private init() {
        let network = try! FictionalNetwork.make(
            nationals: 3, relays: 2, observers: 1, now: Date(timeIntervalSince1970: 1_800_000_000))
        self.network = network
        let origin = try! FeedOrigin(network: network.networkID, group: "nro", author: "XA")
        var author = FeedAuthor(origin: origin, key: network.member("XA")!.key)
        let first = try! author.append(
            (0..<2).map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 200, authorTimeMs: 1) })
        let second = try! author.append(
            (2..<5).map { SampleEntries.bulletin(number: $0, country: "XA", byteCount: 200, authorTimeMs: 2) })
        batches = [first, second]
        let witness = WitnessName.of(node: "RN", network: network.networkID)
        let cosigned = [first, second].map { batch in
            batch.checkpoint.adding(
                try! Cosignature.sign(
                    batch.checkpoint.checkpoint, witnessName: witness, key: network.member("RN")!.key,
                    timestamp: 1_800_000_100))
        }
        self.cosigned = cosigned
        let forked = try! FeedOrigin(network: network.networkID, group: "nro", author: "XC")
        let branches = (0..<2).map { branch in
            var xc = FeedAuthor(origin: forked, key: network.member("XC")!.key)
            return try! xc.append([SampleEntries.bulletin(number: branch, country: "XC", authorTimeMs: 3)])
        }
        let fork = ForkProof(sameSize: branches[0].checkpoint, branches[1].checkpoint)
        self.fork = fork
        let rotated = network.charter.amended(
            version: 2,
            nodes: { nodes in
                nodes.map { node in
                    switch node.id {
                    case "XA", "XC":
                        return Charter.Node(
                            id: node.id, name: node.name, role: node.role,
                            publicKey: try! Ed25519PrivateKey.generate().publicKey,
                            previousKeys: [
                                Charter.PreviousKey(
                                    publicKey: node.publicKey, validThrough: node.id == "XC" ? ["nro": 1] : nil)
                            ])
                    default:
                        return node
                    }
                }
            })
        amendment = try! network.amendment(
            rotated, after: network.genesisChain, previous: nil, takesEffectMs: 1_800_000_000_000,
            now: Date(timeIntervalSince1970: 1_800_000_000))
        amendedChain = try! amendment.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)

        func head(_ checkpoint: SignedCheckpoint) -> Tocsin_V1_Head {
            .with {
                $0.origin = origin.description
                $0.checkpoint = Data(checkpoint.note.formatted.utf8)
            }
        }
        func entries(_ batch: FeedBatch, note: SignedCheckpoint) -> Tocsin_V1_Message {
            .with {
                $0.entries = .with {
                    $0.origin = origin.description
                    $0.firstIndex = batch.firstIndex
                    $0.entries = batch.entries.map { Data($0) }
                    $0.checkpoint = Data(note.note.formatted.utf8)
                }
            }
        }
        var messages: [Tocsin_V1_Message] = [
            .with { $0.heads.heads = [head(first.checkpoint)] },
            .with { $0.heads.heads = [head(cosigned[1])] },
            .with { $0.checkpoint = head(second.checkpoint) },
            .with { $0.cosignature = head(cosigned[0]) },
            .with { $0.cosignature = head(cosigned[1]) },
            entries(first, note: first.checkpoint),
            entries(second, note: cosigned[1]),
            .with { $0.forkProof = fork.message },
            .with { $0.ping = .with { $0.nonce = 7 } },
        ]
        messages.append(
            .with {
                $0.want = .with {
                    $0.origin = origin.description
                    $0.from = 0
                    $0.to = 5
                }
            })
        messages.append(
            .with {
                $0.heads.heads = [
                    .with {
                        $0.origin = forked.description
                        $0.checkpoint = Data(branches[0].checkpoint.note.formatted.utf8)
                    }
                ]
            })
        self.messages = messages
    }

    /// The `Hello` `id` sends first.
    func hello(from id: String) -> Tocsin_V1_Message {
        .with {
            $0.hello = .with {
                $0.protocolVersion = SyncNode.protocolVersion
                $0.networkID = Data(network.networkID.digest.bytes)
                $0.nodeID = id
                $0.charterVersion = network.charter.version
            }
        }
    }
}
