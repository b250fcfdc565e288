import Foundation
import GRDB
import TocsinCore
import TocsinCrypto

/// The outcome of auditing a data directory.
public struct AuditReport: Sendable {
    public var feeds = 0
    public var entries: UInt64 = 0
    public var checkpoints = 0
    public var cosignatures = 0
    public var forkProofs = 0
    public var findings: [AuditFinding] = []

    /// True when everything holds: no integrity failure and no fork.
    public var holds: Bool { findings.isEmpty }
}

extension FeedStore {
    /// Recomputes every feed's tree from the stored entry bytes and checks every checkpoint,
    /// cosignature, subtree hash, charter and fork proof against the charter's keys.
    ///
    /// `authority` overrides the stored authority certificate, so an auditor can pin the
    /// trust anchor independently of the copy under audit.
    public func audit(
        authority: Certificate? = nil, progress: ((AuditProgress) -> Void)? = nil
    ) throws(StoreError) -> AuditReport {
        var report = AuditReport()
        let authorityKey: Ed25519PublicKey
        do {
            authorityKey = try (authority ?? Certificate(pem: authorityCertificatePEM())).publicKey()
        } catch {
            throw StoreError.corrupt("the authority certificate is unusable: \(error)")
        }

        // The charter chain: the genesis charter, signed by the authority and hashing to the
        // network id, then each amendment of the authority feed checked against the one before.
        let genesis: SignedCharter
        do {
            guard let file = try charterFiles().first else { throw StoreError.corrupt("no charter is stored") }
            genesis = try SignedCharter(toml: file.toml, signatureFile: file.signature, authority: authorityKey)
        } catch {
            report.findings.append(
                AuditFinding(
                    kind: .integrity, subject: "charter",
                    message: "the genesis charter does not verify, so nothing can be authenticated: \(error)"))
            return report
        }
        if genesis.networkID != networkID {
            report.findings.append(
                AuditFinding(
                    kind: .integrity, subject: "charter",
                    message: "the genesis charter does not hash to this network's id"))
        }
        var chain = CharterChain(genesis: genesis, authority: authorityKey)
        let authorityOrigin = AuthorityFeed.origin(of: networkID)
        for entry in try entries(origin: authorityOrigin) {
            do {
                chain.append(try chain.amendment(entry: entry.bytes, index: entry.index))
            } catch {
                report.findings.append(AuditFinding(kind: .integrity, subject: "charter", message: "\(error)"))
                break
            }
        }
        let latestVersion = chain.latest.version
        /// Every key a node ever had verifies what it signed then (a revoked key up to its limits).
        func authorKeys(_ origin: FeedOrigin) -> AuthorKeys? { chain.authorKeys(for: origin, through: latestVersion) }
        var witnesses: [String: [Ed25519PublicKey]] = [:]
        for node in chain.everyNode {
            witnesses[WitnessName.of(node: node, network: networkID)] =
                chain.authorKeys(of: node, group: "", through: latestVersion)?.keys.map(\.publicKey) ?? []
        }

        try Self.run {
            try database.read { db in
                let feeds = try Row.fetchAll(db, sql: "SELECT * FROM feeds ORDER BY origin")
                for feed in feeds {
                    report.feeds += 1
                    defer {
                        progress?(
                            AuditProgress(
                                feedsChecked: report.feeds, feeds: feeds.count, entriesChecked: report.entries,
                                origin: feed["origin"]))
                    }
                    let feedID: Int64 = feed["id"]
                    let originText: String = feed["origin"]
                    guard let origin = try? FeedOrigin(parsing: originText) else {
                        report.findings.append(
                            AuditFinding(kind: .integrity, subject: originText, message: "the origin is malformed"))
                        continue
                    }
                    let base: MerkleFrontier?
                    do {
                        base = try Self.base(row: feed)
                    } catch {
                        report.findings.append(
                            AuditFinding(
                                kind: .integrity, subject: originText, message: "the stored base is unreadable"))
                        continue
                    }
                    var auditor = FeedAuditor(
                        origin: origin, author: authorKeys(origin), witnesses: witnesses, base: base)
                    var checkpoints = try Self.storedCheckpoints(feedID: feedID, in: db)[...]
                    func feedCheckpoints(upTo size: UInt64) {
                        while let next = checkpoints.first, next.size <= size {
                            auditor.checkpoint(note: next.note, storedSize: next.size, storedRoot: next.root)
                            checkpoints.removeFirst()
                        }
                    }
                    feedCheckpoints(upTo: auditor.size)
                    let entries = try Row.fetchCursor(
                        db,
                        sql: "SELECT entry_index, leaf_hash, bytes FROM entries WHERE feed_id = ? ORDER BY position",
                        arguments: [feedID])
                    while let row = try entries.next() {
                        let index: Int64 = row["entry_index"]
                        let leafHash: Data = row["leaf_hash"]
                        let bytes: Data = row["bytes"]
                        auditor.entry(
                            index: UInt64(index), storedLeafHash: SHA256Digest(bytes: leafHash) ?? .zero,
                            bytes: Array(bytes))
                        feedCheckpoints(upTo: auditor.size)
                    }
                    feedCheckpoints(upTo: .max)
                    let subtrees = try Row.fetchCursor(
                        db,
                        sql:
                            "SELECT level, subtree_index, hash FROM subtrees WHERE feed_id = ? ORDER BY level, subtree_index",
                        arguments: [feedID])
                    while let row = try subtrees.next() {
                        let index: Int64 = row["subtree_index"]
                        let hash: Data = row["hash"]
                        auditor.storedSubtree(
                            level: row["level"], index: UInt64(index), hash: SHA256Digest(bytes: hash) ?? .zero)
                    }
                    let size: Int64 = feed["size"]
                    let frontier: Data = feed["frontier"]
                    report.findings += auditor.finish(storedSize: UInt64(size), storedFrontier: Array(frontier))
                    report.entries += auditor.entryCount
                    report.checkpoints += auditor.checkpointCount
                    report.cosignatures += auditor.cosignatureCount
                }
            }
        }

        for proof in try forkProofs() {
            report.forkProofs += 1
            guard let author = (try? FeedOrigin(parsing: proof.origin)).flatMap(authorKeys) else {
                report.findings.append(
                    AuditFinding(
                        kind: .integrity, subject: proof.origin,
                        message: "a fork proof names an author the charter does not know"))
                continue
            }
            do {
                try proof.verify(author: author)
                report.findings.append(
                    AuditFinding(
                        kind: .fork, subject: proof.origin,
                        message:
                            "the author signed contradicting checkpoints (sizes \(proof.first.checkpoint.size) and \(proof.second.checkpoint.size)); the feed is frozen"
                    ))
            } catch {
                report.findings.append(
                    AuditFinding(
                        kind: .integrity, subject: proof.origin, message: "a stored fork proof does not hold: \(error)")
                )
            }
        }
        return report
    }

    private struct StoredCheckpointRow {
        let size: UInt64
        let root: SHA256Digest?
        let note: [UInt8]
    }

    private static func storedCheckpoints(feedID: Int64, in db: Database) throws -> [StoredCheckpointRow] {
        var result: [StoredCheckpointRow] = []
        let rows = try Row.fetchCursor(
            db, sql: "SELECT id, size, root, note FROM checkpoints WHERE feed_id = ? ORDER BY size, id",
            arguments: [feedID])
        while let row = try rows.next() {
            let id: Int64 = row["id"]
            let size: Int64 = row["size"]
            let root: Data = row["root"]
            let note: Data = row["note"]
            // Cosignature lines are verified with the note they cosign.
            let lines = try String.fetchAll(
                db, sql: "SELECT line FROM cosignatures WHERE checkpoint_id = ? ORDER BY id", arguments: [id])
            var text = String(decoding: note, as: UTF8.self)
            for line in lines { text += line }
            result.append(
                StoredCheckpointRow(size: UInt64(max(size, 0)), root: SHA256Digest(bytes: root), note: Array(text.utf8))
            )
        }
        return result
    }
}
