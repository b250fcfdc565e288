import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto

extension DossierVerifier {
    /// A hash as §10 writes it: 64 lower-case hex digits, and nothing else.
    static func digest(_ text: String) -> SHA256Digest? {
        guard let digest = SHA256Digest(hex: text), digest.hex == text else { return nil }
        return digest
    }

    // MARK: - Step 4: each feed's file

    mutating func checkFeeds() {
        for file in archive.files.sorted(by: { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) })
        where file.path.hasPrefix("feeds/") {
            switch checkFeed(file) {
            case .success(let (origin, listed)):
                ledger.feeds[origin.description] = listed
                verification.pass(
                    file.path,
                    "\(listed.count) checkpoint(s) of \(origin.shortName) signed by \(origin.author), consistent with the latest (size \(listed.last!.checkpoint.checkpoint.size))"
                )
            case .failure(let error):
                verification.fail(file.path, error.reason)
            }
        }
        ledger.index()
    }

    func checkFeed(_ file: TarArchive.File) -> Result<(FeedOrigin, [DossierLedger.Listed]), DossierError> {
        func fail(_ reason: String) -> Result<(FeedOrigin, [DossierLedger.Listed]), DossierError> {
            .failure(DossierError(file.path, reason))
        }
        let parts = file.path.dropFirst("feeds/".count).split(separator: "/").map(String.init)
        guard parts.count == 2, parts[1].hasSuffix(".json"),
            let origin = try? FeedOrigin(network: network, group: parts[0], author: String(parts[1].dropLast(5)))
        else { return fail("not a feed's file: feeds/<group>/<author>.json") }
        guard let document = try? AdminJSON.decode(FeedDocument.self, from: Data(file.bytes)) else {
            return fail("not a feed's file (JSON with origin and checkpoints)")
        }
        guard document.origin == origin.description else {
            return fail("its origin is \(document.origin.prefix(120).debugDescription), not \(origin)")
        }
        guard let chain, chain.versions.contains(where: { $0.charter.group(origin.group) != nil }) else {
            return fail("\(origin.group) is a group of no version of the charter")
        }
        var listed: [DossierLedger.Listed] = []
        for item in document.checkpoints {
            switch checkNote(item.checkpoint, origin: origin) {
            case .success(let checked):
                if let last = listed.last, last.checkpoint.checkpoint.size >= checked.checkpoint.checkpoint.size {
                    return fail("its checkpoints are not in strictly ascending size")
                }
                listed.append(checked)
            case .failure(let error):
                return fail(error.reason)
            }
        }
        guard let latest = listed.last else { return fail("it lists no checkpoint") }
        guard document.checkpoints.last?.consistency?.isEmpty ?? true else {
            return fail("the latest checkpoint carries a consistency proof: none is due")
        }
        for (item, checked) in zip(document.checkpoints.dropLast(), listed.dropLast()) {
            let hashes = (item.consistency ?? []).map { Self.digest($0) }
            guard item.consistency != nil, hashes.allSatisfy({ $0 != nil }) else {
                return fail(
                    "the checkpoint of size \(checked.checkpoint.checkpoint.size) has no consistency proof in hex")
            }
            do {
                try MerkleVerification.verifyConsistency(
                    oldSize: checked.checkpoint.checkpoint.size, newSize: latest.checkpoint.checkpoint.size,
                    oldRoot: checked.checkpoint.checkpoint.root, newRoot: latest.checkpoint.checkpoint.root,
                    proof: hashes.map { $0! })
            } catch {
                return fail(
                    "the consistency proof from size \(checked.checkpoint.checkpoint.size) to \(latest.checkpoint.checkpoint.size) does not verify: \(error)"
                )
            }
        }
        return .success((origin, listed))
    }

    // MARK: - Step 5: each entry's file

    mutating func checkEntries() {
        for file in archive.files.sorted(by: { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) })
        where file.path.hasPrefix("entries/") {
            switch checkEntry(file) {
            case .success(let (reference, bytes, leafHash, facts)):
                entries[reference] = (bytes, leafHash, file.path)
                evidence[reference.description] = facts
                verification.pass(
                    file.path,
                    "\(facts.kind) \(reference): leaf hash and inclusion proof to the checkpoint of size \(facts.checkpointSize), witnessed by \(facts.witnessedBy.joined(separator: ", "))"
                )
            case .failure(let error):
                verification.fail(file.path, error.reason)
            }
        }
    }

    func checkEntry(
        _ file: TarArchive.File
    ) -> Result<(EntryReference, [UInt8], SHA256Digest, DossierStory.Evidence), DossierError> {
        typealias Outcome = Result<(EntryReference, [UInt8], SHA256Digest, DossierStory.Evidence), DossierError>
        func fail(_ reason: String) -> Outcome { .failure(DossierError(file.path, reason)) }
        let name = String(file.path.dropFirst("entries/".count))
        guard name.hasSuffix(".json"), let reference = try? EntryReference(parsing: String(name.dropLast(5))),
            reference.description == String(name.dropLast(5)),
            let origin = try? FeedOrigin(network: network, group: reference.group, author: reference.author)
        else { return fail("not an entry's file: entries/<group>/<author>/<index>.json") }
        guard let document = try? AdminJSON.decode(EntryProofDocument.self, from: Data(file.bytes)) else {
            return fail("not an entry with its proof (§10)")
        }
        guard document.reference == reference.description, document.origin == origin.description,
            document.index == reference.index
        else { return fail("its reference, origin or index is not \(reference)") }
        guard let data = Data(base64Encoded: document.bytesBase64) else { return fail("bytes_base64 is not base64") }
        let bytes = Array(data)
        let entry: Tocsin_V1_Entry
        do {
            entry = try EntryDecoder.decode(bytes)
        } catch {
            return fail("the entry breaks §2's rules: \(error)")
        }
        let leafHash = MerkleHash.leaf(bytes)
        guard Self.digest(document.leafHash) == leafHash else {
            return fail("its leaf hash is not SHA-256(0x00 || entry bytes): the entry's bytes were changed")
        }
        guard let proof = document.proof else { return fail("it carries no proof") }
        guard let listed = ledger.feeds[origin.description] else {
            return fail(
                "its feed's file feeds/\(reference.group)/\(reference.author).json is missing or does not verify")
        }
        let note: DossierLedger.Listed
        switch checkNote(proof.checkpoint, origin: origin) {
        case .success(let checked): note = checked
        case .failure(let error): return fail(error.reason)
        }
        guard
            let feedCheckpoint = listed.first(where: { $0.checkpoint.checkpoint.size == proof.treeSize }),
            feedCheckpoint.checkpoint.checkpoint.root == note.checkpoint.checkpoint.root,
            note.checkpoint.checkpoint.size == proof.treeSize,
            Self.digest(proof.root) == note.checkpoint.checkpoint.root
        else {
            return fail(
                "its proof leads to no checkpoint its feed's file lists (size \(proof.treeSize), root \(proof.root.prefix(64)))"
            )
        }
        let hashes = proof.hashes.map { Self.digest($0) }
        guard hashes.allSatisfy({ $0 != nil }) else { return fail("a proof hash is not 64 hex digits") }
        do {
            try MerkleVerification.verifyInclusion(
                leafHash: leafHash, index: reference.index, size: proof.treeSize, proof: hashes.map { $0! },
                root: note.checkpoint.checkpoint.root)
        } catch {
            return fail("its inclusion proof does not lead to the checkpoint's root: \(error)")
        }
        guard let chain,
            let policy = chain.latest.charter.witnessPolicy(group: reference.group, author: reference.author)
        else { return fail("the latest charter has no witness policy for \(origin.shortName)") }
        let witnesses = WitnessStatus(
            policy: policy,
            cosigners: feedCheckpoint.cosigned.keys.compactMap { WitnessName.node(in: $0, network: network) })
        guard witnesses.isWitnessed else {
            return fail("the checkpoint its proof leads to is \(witnesses)")
        }
        let witnessed = ledger.witnessed(reference, policy: policy, network: network)
        let facts = DossierStory.Evidence(
            reference: reference.description, path: file.path, kind: EntrySummary(bytes: bytes).kind,
            leafHash: leafHash.hex, authorTimeMs: entry.authorTimeMs, checkpointSize: proof.treeSize,
            checkpointRoot: note.checkpoint.checkpoint.root.hex, proofHashes: proof.hashes,
            witnessedMs: witnessed.seconds.flatMap { Witnessing.milliseconds(seconds: $0) },
            witnessedBy: witnesses.cosigned)
        return .success((reference, bytes, leafHash, facts))
    }
}
