import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto

/// Verifies a dossier offline, as PROTOCOL.md §11 "Verifying a dossier" says: the archive,
/// the manifest, the charter chain back to the authority certificate, each feed's checkpoints
/// and consistency proofs, each entry's inclusion proof and witnessing, completeness, and the
/// consultation (every decision audited and its votes tallied again). Needs no data directory
/// and no network; never traps on hostile bytes.
public struct DossierVerifier {
    var verification = DossierVerification()
    var archive = TarArchive(files: [])
    /// The archive's files by path (the archive has each path once).
    var filesByPath: [String: [UInt8]] = [:]
    var chain: CharterChain?
    var network = NetworkID(digest: SHA256.hash([]))
    var ledger = DossierLedger()
    /// The entries whose checks passed, by reference, with their bytes and leaf hashes.
    var entries: [EntryReference: (bytes: [UInt8], leafHash: SHA256Digest, path: String)] = [:]
    var evidence: [String: DossierStory.Evidence] = [:]
    var followReferrals: Bool

    init(followReferrals: Bool) {
        self.followReferrals = followReferrals
    }

    /// Verifies the dossier `bytes`. `followReferrals`: also verify the dossiers that referrals
    /// carry (one level).
    public static func verify(_ bytes: [UInt8], followReferrals: Bool = true) -> DossierVerification {
        var verifier = DossierVerifier(followReferrals: followReferrals)
        verifier.run(bytes)
        return verifier.verification
    }

    mutating func run(_ bytes: [UInt8]) {
        do {
            archive = try TarArchive(reading: bytes)
        } catch {
            return verification.fail(error.element, error.reason)
        }
        filesByPath = Dictionary(archive.files.map { ($0.path, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        guard archive.files.first?.path == "manifest.json" else {
            return verification.fail("archive", "its first file is not manifest.json")
        }
        verification.pass("archive", "a ustar archive of \(archive.files.count) files")
        guard checkManifest(), checkCharter() else { return }
        checkFeeds()
        checkEntries()
        checkCompleteness()
        checkConsultation()
    }

    // MARK: - Step 2: the manifest

    mutating func checkManifest() -> Bool {
        guard let data = archive["manifest.json"],
            let manifest = try? AdminJSON.decode(DossierManifest.self, from: Data(data))
        else {
            verification.fail("manifest.json", "it is not a manifest (JSON with format, network, subjects, items)")
            return false
        }
        guard manifest.format == DossierManifest.format else {
            verification.fail(
                "manifest.json", "its format is \(manifest.format.debugDescription), not \(DossierManifest.format)")
            return false
        }
        guard let networkDigest = SHA256Digest(hex: manifest.network), manifest.network == networkDigest.hex else {
            verification.fail("manifest.json", "its network is not 64 lower-case hex digits")
            return false
        }
        guard !manifest.subjects.isEmpty,
            manifest.subjects.allSatisfy({ (try? EntryReference(parsing: $0))?.description == $0 })
        else {
            verification.fail(
                "manifest.json", "its subjects are not a non-empty list of references <group>/<author>/<index>")
            return false
        }
        network = NetworkID(digest: networkDigest)
        verification.manifest = manifest
        var listed: Set<String> = ["manifest.json"]
        guard manifest.items.map(\.path) == archive.files.dropFirst().map(\.path),
            manifest.items.allSatisfy({ Self.digest($0.sha256) != nil })
        else {
            verification.fail(
                "manifest.json", "its items are not the archive's other files, each once, in archive order")
            return false
        }
        for item in manifest.items {
            guard let bytes = filesByPath[item.path], listed.insert(item.path).inserted else {
                verification.fail(item.path, "listed in the manifest but not in the archive (or listed twice)")
                return false
            }
            guard SHA256.hash(bytes).hex == item.sha256, UInt64(bytes.count) == item.bytes else {
                verification.fail(item.path, "its SHA-256 or size is not the one the manifest lists")
                return false
            }
        }
        if let unlisted = archive.files.first(where: { !listed.contains($0.path) }) {
            verification.fail("manifest.json", "\(unlisted.path) is in the archive but not in the manifest")
            return false
        }
        verification.pass("manifest.json", "\(manifest.items.count) files, each with the SHA-256 the manifest lists")
        return true
    }

    // MARK: - Step 3: the charter

    mutating func checkCharter() -> Bool {
        guard let pem = archive["charter/authority.pem"].flatMap({ String(validating: $0, as: UTF8.self) }),
            let certificate = try? Certificate(pem: pem), let authority = try? certificate.publicKey()
        else {
            verification.fail("charter/authority.pem", "it is not a certificate with an Ed25519 key")
            return false
        }
        let fingerprint = SHA256.hash(certificate.der).hex
        verification.pass("charter/authority.pem", "the authority's certificate, SHA-256 \(fingerprint)")
        guard let toml = archive["charter/genesis.toml"], let signature = archive["charter/genesis.sig"] else {
            verification.fail("charter/genesis.toml", "the genesis charter or its signature is missing")
            return false
        }
        guard signature.count == 64 else {
            verification.fail("charter/genesis.sig", "it is not the 64 bytes of an Ed25519 signature")
            return false
        }
        let genesis: SignedCharter
        do {
            genesis = try SignedCharter(toml: toml, signatureFile: signature, authority: authority)
        } catch {
            verification.fail("charter/genesis.toml", "\(error)")
            return false
        }
        guard genesis.networkID == network else {
            verification.fail("charter/genesis.toml", "its SHA-256 is not the network id the manifest names")
            return false
        }
        verification.pass(
            "charter/genesis.toml",
            "version \(genesis.charter.version) of \(genesis.charter.network.debugDescription), signed by the authority; network \(network.shortHex)"
        )
        var chain = CharterChain(genesis: genesis, authority: authority)
        if let amendments = archive["charter/amendments.pb"] {
            do {
                chain = try AmendmentBundle(serialized: amendments).verify(genesis: genesis, authority: authority)
            } catch {
                verification.fail("charter/amendments.pb", "\(error)")
                return false
            }
            verification.pass(
                "charter/amendments.pb",
                "\(chain.amendmentCount) amendment(s), signed by the authority, each valid against the one before; latest version \(chain.latest.version)"
            )
        }
        self.chain = chain
        verification.chain = chain
        var story = DossierStory()
        story.networkName = genesis.charter.network
        story.networkID = network.description
        story.authorityFingerprint = fingerprint
        story.charterVersions = chain.versions.map {
            DossierStory.CharterVersionFacts(
                version: $0.version, takesEffectMs: $0.takesEffectMs, sha256: $0.sha256.hex)
        }
        for version in chain.versions {
            for node in version.charter.nodes { story.nodeNames[node.id] = node.name }
        }
        if let manifest = verification.manifest {
            story.exportedBy = manifest.exportedBy ?? "-"
            story.exportedAt = manifest.exportedAt ?? "-"
            story.subjects = manifest.subjects
        }
        verification.story = story
        return true
    }

    // MARK: - Checkpoint notes (steps 4 and 5)

    /// Checks a checkpoint note of `origin`: its author's signature (keys through the latest
    /// version) and every cosignature line of a known witness key. Returns the checkpoint and
    /// the lines that verified, or why it fails.
    func checkNote(_ text: String, origin: FeedOrigin) -> Result<DossierLedger.Listed, DossierError> {
        func fail(_ reason: String) -> Result<DossierLedger.Listed, DossierError> { .failure(DossierError("", reason)) }
        guard let chain else { return fail("no charter") }
        guard let checkpoint = try? SignedCheckpoint(parsing: Array(text.utf8)) else {
            return fail("a checkpoint note does not parse (§4)")
        }
        guard checkpoint.checkpoint.origin == origin.description else {
            return fail(
                "a checkpoint names \(checkpoint.checkpoint.origin.prefix(100).debugDescription), not \(origin)")
        }
        guard let keys = chain.authorKeys(for: origin, through: chain.latest.version) else {
            return fail("\(origin.author) is not a node of the charter")
        }
        do {
            try checkpoint.verify(author: keys)
        } catch {
            return fail(
                "the checkpoint of size \(checkpoint.checkpoint.size) is not signed by \(origin.author): \(error)")
        }
        var cosigned: [String: UInt64] = [:]
        for cosignature in checkpoint.cosignatures {
            guard let node = WitnessName.node(in: cosignature.witnessName, network: network),
                chain.latest.charter.node(node) != nil
            else { continue }
            let witnessKeys = chain.witnessKeys(of: node, through: chain.latest.version)
            guard
                witnessKeys.contains(where: {
                    (try? NoteKey(name: cosignature.witnessName, publicKey: $0, type: .cosignatureV1))?.keyID
                        == cosignature.keyID
                })
            else { continue }
            guard cosigned[cosignature.witnessName] == nil else {
                return fail("the checkpoint of size \(checkpoint.checkpoint.size) carries two cosignatures by \(node)")
            }
            guard (try? cosignature.verify(checkpoint: checkpoint.checkpoint, anyOf: witnessKeys)) != nil else {
                return fail(
                    "the cosignature by \(node) of the checkpoint of size \(checkpoint.checkpoint.size) does not verify"
                )
            }
            cosigned[cosignature.witnessName] = cosignature.timestamp
        }
        return .success(DossierLedger.Listed(checkpoint: checkpoint, cosigned: cosigned))
    }
}
