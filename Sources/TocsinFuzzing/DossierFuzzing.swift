import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDossier

/// Dossiers: the input as an archive (first byte 0), or a genuine dossier of the fixture's
/// network with bytes of its files changed and its manifest brought up to date (otherwise, so
/// that the verifier reaches the proofs and the consultation); verified as `tocsin dossier
/// verify` does, its report written.
enum DossierFuzzing {
    static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let archive: [UInt8]
        if input.byte() % 2 == 0 {
            archive = input.rest()
        } else {
            var dossier = genuine
            for _ in 0..<Int(input.byte() % 8) {
                let file = Int(input.byte()) % dossier.files.count
                guard !dossier.files[file].bytes.isEmpty else { continue }
                dossier.files[file].bytes[input.uint16() % dossier.files[file].bytes.count] = input.byte()
            }
            if input.byte() % 4 != 0 { refreshManifest(&dossier) }
            archive = dossier.serialized(modificationTime: 0)
        }
        let verification = DossierVerifier.verify(archive)
        _ = DossierReport(verification: verification, language: .french).html
    }

    /// XA's nro feed of the fixture (five bulletins, two checkpoints cosigned by the relay RN)
    /// as a dossier: every check passes on it.
    static let genuine: TarArchive = {
        let fixture = FuzzFixture.shared
        let network = fixture.network
        let origin = try! FeedOrigin(network: network.networkID, group: "nro", author: "XA")
        let entries = fixture.batches.flatMap(\.entries)
        let tree = MerkleTree(entries: entries)
        let (first, latest) = (fixture.cosigned[0], fixture.cosigned[1])
        let feed = FeedDocument(
            origin: origin.description,
            checkpoints: [
                .init(
                    checkpoint: first.note.formatted,
                    consistency: (try! tree.proofs.consistencyProof(
                        oldSize: first.checkpoint.size, newSize: latest.checkpoint.size))!.map(\.hex)),
                .init(checkpoint: latest.note.formatted, consistency: nil),
            ])
        var files = [
            TarArchive.File(path: "charter/authority.pem", bytes: Array(network.authority.certificate.pem.utf8)),
            TarArchive.File(path: "charter/genesis.toml", bytes: network.signedCharter.bytes),
            TarArchive.File(path: "charter/genesis.sig", bytes: network.signedCharter.signature),
            TarArchive.File(path: "feeds/nro/XA.json", bytes: Array(try! AdminJSON.encode(feed))),
        ]
        for (index, entry) in entries.enumerated() {
            let checkpoint = index < Int(first.checkpoint.size) ? first : latest
            let document = EntryProofDocument(
                origin: origin, index: UInt64(index), bytes: entry, authorTimeMs: 1, checkpoint: checkpoint,
                proof: (try! tree.proofs.inclusionProof(index: UInt64(index), size: checkpoint.checkpoint.size))!,
                charter: network.charter, network: network.networkID)
            files.append(
                TarArchive.File(path: "entries/nro/XA/\(index).json", bytes: Array(try! AdminJSON.encode(document))))
        }
        var archive = TarArchive(files: [TarArchive.File(path: "manifest.json", bytes: [])] + files)
        refreshManifest(&archive, subjects: ["nro/XA/0"])
        return archive
    }()

    static func refreshManifest(_ archive: inout TarArchive, subjects: [String]? = nil) {
        let previous = try? AdminJSON.decode(DossierManifest.self, from: Data(archive.files[0].bytes))
        let manifest = DossierManifest(
            network: FuzzFixture.shared.network.networkID.description, networkName: nil, exportedBy: nil,
            exportedAt: nil, subjects: subjects ?? previous?.subjects ?? ["nro/XA/0"],
            items: archive.files.dropFirst().map {
                DossierManifest.Item(path: $0.path, sha256: SHA256.hash($0.bytes).hex, bytes: UInt64($0.bytes.count))
            })
        archive.files[0].bytes = (try? Array(AdminJSON.encode(manifest))) ?? []
    }
}
