import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinStore

/// Writes a dossier (PROTOCOL.md §11) from a node's store: the subjects and their closure,
/// each entry with its inclusion proof to a witnessed checkpoint, the feeds' checkpoints with
/// consistency proofs to the latest held, the charter chain, and the readable reports, written
/// from the dossier as the verifier reads it.
public struct DossierExporter {
    let store: FeedStore
    let chain: CharterChain
    let network: NetworkID

    public init(store: FeedStore) throws(DossierError) {
        self.store = store
        network = store.networkID
        do {
            chain = try store.charterChain()
        } catch {
            throw DossierError("charter", "the store's charter chain cannot be read: \(error)")
        }
    }

    /// The dossier of `subjects` as archive bytes, with the entries not yet witnessed (their
    /// proofs lead to the latest checkpoint held; the dossier verifies once they are).
    public func export(
        subjects: [EntryReference], exportedBy: String, nowMs: Int64
    ) throws(DossierError) -> (archive: [UInt8], unwitnessed: [EntryReference]) {
        guard !subjects.isEmpty else { throw DossierError("subjects", "name at least one entry") }
        let links = try DossierLinks(store: store)
        var included: Set<EntryReference> = []
        var queue = subjects
        for subject in subjects where links.leafHashes[subject] == nil {
            throw DossierError(subject.description, "this node holds no such entry")
        }
        while let next = queue.popLast() {
            guard included.insert(next).inserted else { continue }
            queue += links.closure(of: next)
        }
        var files: [TarArchive.File] = []
        files += try charterFiles()
        let (feedFiles, entryFiles, unwitnessed) = try proofFiles(for: included, links: links)
        files += feedFiles + entryFiles
        // A ustar name holds 100 bytes: ids of 64 characters each could make a longer path.
        if let long = files.first(where: { !TarArchive.isValidPath($0.path) }) {
            throw DossierError(
                long.path,
                "the path is longer than the 100 bytes a dossier's file name may have (PROTOCOL.md §11): the group and author ids are too long for a dossier"
            )
        }
        let manifestBase = (
            network: network.description, name: chain.latest.charter.network,
            exportedAt: DossierTime.text(milliseconds: nowMs), subjects: subjects.map(\.description)
        )
        // The report is written from the dossier as a verifier reads it, so that it states
        // only what the dossier proves.
        func archive(of files: [TarArchive.File]) -> [UInt8] {
            let manifest = DossierManifest(
                network: manifestBase.network, networkName: manifestBase.name, exportedBy: exportedBy,
                exportedAt: manifestBase.exportedAt, subjects: manifestBase.subjects,
                items: files.map {
                    DossierManifest.Item(
                        path: $0.path, sha256: SHA256.hash($0.bytes).hex, bytes: UInt64($0.bytes.count))
                })
            let manifestBytes = (try? Array(AdminJSON.encode(manifest, pretty: true))) ?? []
            return TarArchive(files: [TarArchive.File(path: "manifest.json", bytes: manifestBytes)] + files)
                .serialized(modificationTime: UInt64(max(0, nowMs / 1000)))
        }
        let verification = DossierVerifier.verify(archive(of: files), followReferrals: false)
        for language in DossierReport.Language.allCases {
            let report = DossierReport(verification: verification, language: language)
            files.append(TarArchive.File(path: "report.\(language.rawValue).html", bytes: Array(report.html.utf8)))
        }
        return (archive(of: files), unwitnessed.sorted())
    }

    // MARK: - The charter

    func charterFiles() throws(DossierError) -> [TarArchive.File] {
        do {
            let genesis = try store.genesisCharter()
            var files = [
                TarArchive.File(path: "charter/authority.pem", bytes: Array(try store.authorityCertificatePEM().utf8)),
                TarArchive.File(path: "charter/genesis.toml", bytes: genesis.bytes),
                TarArchive.File(path: "charter/genesis.sig", bytes: genesis.signature),
            ]
            let authority = AuthorityFeed.origin(of: network)
            if let head = try store.head(of: authority), head.size > 0, let checkpoint = head.checkpoint {
                let entries = try store.entries(of: authority, in: 0..<head.size).map(\.bytes)
                let bundle = AmendmentBundle(entries: entries, checkpoint: checkpoint, origin: authority)
                files.append(TarArchive.File(path: "charter/amendments.pb", bytes: bundle.serialized))
            }
            return files
        } catch {
            throw DossierError("charter", "the store's charter files cannot be read: \(error)")
        }
    }

    // MARK: - Feeds and entries

    func proofFiles(
        for included: Set<EntryReference>, links: DossierLinks
    ) throws(DossierError) -> (feeds: [TarArchive.File], entries: [TarArchive.File], unwitnessed: [EntryReference]) {
        let charter = chain.latest.charter
        let byFeed = Dictionary(grouping: included) { "\($0.group)/\($0.author)" }
        var feedFiles: [TarArchive.File] = []
        var entryFiles: [TarArchive.File] = []
        var unwitnessed: [EntryReference] = []
        for key in byFeed.keys.sorted() {
            let references = byFeed[key]!.sorted()
            let first = references[0]
            do {
                let origin = try FeedOrigin(network: network, group: first.group, author: first.author)
                let held = try store.checkpoints(of: origin)
                guard let latest = held.last else {
                    throw DossierError("feeds/\(key).json", "this node holds no checkpoint of \(origin)")
                }
                var bySize: [UInt64: SignedCheckpoint] = [:]
                for checkpoint in held { bySize[checkpoint.checkpoint.size] = checkpoint }
                var sizes: Set<UInt64> = [latest.checkpoint.size]
                var chosen: [EntryReference: SignedCheckpoint] = [:]
                for reference in references {
                    let including = held.filter { $0.checkpoint.size > reference.index }
                    let witnessed = including.first {
                        WitnessStatus(checkpoint: $0, origin: origin, charter: charter, network: network)?.isWitnessed
                            == true
                    }
                    if witnessed == nil { unwitnessed.append(reference) }
                    let checkpoint = witnessed ?? latest
                    chosen[reference] = checkpoint
                    sizes.insert(checkpoint.checkpoint.size)
                    // The conveners' first witnessing of each entry: what dates a vote and a
                    // proposal in the audit.
                    for convener in conveners(of: reference.group) {
                        if let witnessing = store.witnessing(
                            of: reference.index, in: origin, by: WitnessName.of(node: convener, network: network))
                        {
                            sizes.insert(witnessing.checkpoint.checkpoint.size)
                        }
                    }
                }
                sizes.formUnion(links.citedSizes[origin.description] ?? [])
                let listed = sizes.sorted().compactMap { bySize[$0] }
                let latestSize = latest.checkpoint.size
                var items: [FeedDocument.Item] = []
                for checkpoint in listed {
                    let size = checkpoint.checkpoint.size
                    guard size != latestSize else {
                        items.append(FeedDocument.Item(checkpoint: checkpoint.note.formatted, consistency: nil))
                        continue
                    }
                    guard
                        let proof = try store.consistencyProof(origin: origin, oldSize: size, newSize: latestSize)
                    else {
                        throw DossierError(
                            "feeds/\(key).json",
                            "this node cannot prove \(origin) consistent from \(size) to \(latestSize) entries")
                    }
                    items.append(
                        FeedDocument.Item(checkpoint: checkpoint.note.formatted, consistency: proof.map(\.hex)))
                }
                feedFiles.append(
                    TarArchive.File(
                        path: "feeds/\(key).json",
                        bytes: Array(
                            try AdminJSON.encode(
                                FeedDocument(origin: origin.description, checkpoints: items), pretty: true))))
                for reference in references {
                    let checkpoint = chosen[reference]!
                    let size = checkpoint.checkpoint.size
                    guard let entry = try store.entry(origin: origin, index: reference.index),
                        let proof = try store.withProofs(
                            origin: origin,
                            { proofs, _ in
                                try proofs.inclusionProof(index: reference.index, size: size)
                            })
                    else {
                        throw DossierError(
                            "entries/\(reference).json", "this node cannot prove \(reference) in \(size) entries")
                    }
                    let document = EntryProofDocument(
                        origin: origin, index: reference.index, bytes: entry.bytes, authorTimeMs: entry.authorTimeMs,
                        checkpoint: checkpoint, proof: proof, charter: charter, network: network)
                    entryFiles.append(
                        TarArchive.File(
                            path: "entries/\(reference).json",
                            bytes: Array(try AdminJSON.encode(document, pretty: true))))
                }
            } catch let error as DossierError {
                throw error
            } catch {
                throw DossierError("feeds/\(key).json", "\(error)")
            }
        }
        return (feedFiles, entryFiles, unwitnessed)
    }

    /// Every node that convened `group` in some version of the charter.
    func conveners(of group: String) -> Set<String> {
        Set(chain.versions.compactMap { $0.charter.group(group)?.convener })
    }
}
