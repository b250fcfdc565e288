import Foundation
import TocsinCore
import TocsinCrypto

/// Charter amendments: the authority's amendment file, and amendments the authority signed
/// whose TOML is arbitrary (so the chain's rules are reached behind the signature).
///
/// The first byte picks the mode: 0, the rest is an amendment file, read, verified against the
/// fixture's genesis charter and published to a sync machine; otherwise, the rest is a
/// charter's TOML, signed as the authority would and checked as the next amendment of a chain
/// that already holds one (a rotation with a revoked key).
enum AmendmentFuzzing {
    static func run(_ bytes: [UInt8]) {
        let fixture = FuzzFixture.shared
        let network = fixture.network
        guard let mode = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        if mode == 0 {
            guard let bundle = try? AmendmentBundle(serialized: rest) else { return }
            _ = try? bundle.verify(genesis: network.signedCharter, authority: network.authority.key.publicKey)
            var node = SyncNode(
                configuration: .init(
                    nodeID: "RN", network: network.networkID, charter: network.charter,
                    witnessKey: network.member("RN")!.key, chain: network.genesisChain),
                feeds: [])
            if case .success(let actions) = node.publish(bundle, now: 1_800_000_000) {
                for case .store(let batch) in actions {
                    _ = node.stored(origin: batch.origin, size: batch.frontier.size, now: 1_800_000_000)
                }
                _ = node.adoptDue(nowMs: .max)
            }
            return
        }
        let signature = network.authority.key.signature(for: rest)
        let update = Tocsin_V1_Entry.with {
            $0.kind = .charter
            $0.authorTimeMs = 1
            $0.charter = .with {
                $0.version = (try? Charter(toml: rest))?.version ?? 3
                $0.charterToml = Data(rest)
                $0.signature = Data(signature)
            }
        }
        guard let entry = try? update.serializedBytes() as [UInt8] else { return }
        let chain = fixture.amendedChain
        if let version = try? chain.amendment(entry: entry, index: chain.amendmentCount) {
            var next = chain
            next.append(version)
            for node in version.charter.nodes {
                for group in version.charter.groups {
                    _ = next.authorKeys(of: node.id, group: group.id, through: version.version)
                }
                _ = next.witnessKeys(of: node.id, through: version.version)
            }
            _ = next.inForce(atMs: .max)
            _ = CharterDiff(from: chain.latest.charter, to: version.charter)
        }
    }
}
