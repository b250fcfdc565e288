import TocsinCrypto

/// One thing `tocsin verify` found wrong.
public struct AuditFinding: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Stored data does not hold together: altered, truncated or missing.
        case integrity
        /// A feed's author signed contradicting checkpoints.
        case fork
    }

    public let kind: Kind
    /// The feed origin, or "charter" for the charter chain.
    public let subject: String
    /// The entry index at fault, where one can be named.
    public let index: UInt64?
    public let message: String

    public init(kind: Kind, subject: String, index: UInt64? = nil, message: String) {
        self.kind = kind
        self.subject = subject
        self.index = index
        self.message = message
    }

    public var description: String {
        "\(kind == .fork ? "FORK" : "FAIL") \(subject)\(index.map { " #\($0)" } ?? ""): \(message)"
    }
}

/// Re-derives a feed from its stored parts and reports everything that does not hold.
///
/// Feed it the stored entries in index order, calling `checkpoint` for each stored
/// checkpoint once the entries it covers have been fed (checkpoints in size order); then
/// `finish`. It trusts nothing stored except the author's and witnesses' public keys.
public struct FeedAuditor {
    public let origin: FeedOrigin
    private let author: AuthorKeys?
    private let witnesses: [String: [Ed25519PublicKey]]
    private var frontier = MerkleFrontier()
    /// The first entry held (past 0 for a feed held from a member's admission).
    private var firstHeld: UInt64 = 0
    private var persisted: [Int: [UInt64: SHA256Digest]] = [:]
    private var broken = false
    private var lastCheckpointSize: UInt64 = 0
    private var largestCheckpointSize: UInt64 = 0
    public private(set) var findings: [AuditFinding] = []
    /// Entries and checkpoints examined.
    public private(set) var entryCount: UInt64 = 0
    public private(set) var checkpointCount = 0
    public private(set) var cosignatureCount = 0

    /// `author` is nil when the charter names no such node: every checkpoint then fails.
    public init(origin: FeedOrigin, author: Ed25519PublicKey?, witnesses: [String: Ed25519PublicKey]) {
        self.init(origin: origin, author: author.map(AuthorKeys.init), witnesses: witnesses.mapValues { [$0] })
    }

    /// `author`: the keys that may sign the feed; `witnesses`: every key each witness had;
    /// `base`: for a feed held from past its first entry, the stored frontier of the entries
    /// before it (the first checkpoint's root vouches for it with the entries).
    public init(
        origin: FeedOrigin, author: AuthorKeys?, witnesses: [String: [Ed25519PublicKey]], base: MerkleFrontier? = nil
    ) {
        self.origin = origin
        self.author = author
        self.witnesses = witnesses
        if let base { frontier = base }
        firstHeld = base?.size ?? 0
        if author == nil {
            report(nil, "the charter has no node \(origin.author), so nothing in this feed can be authenticated")
        }
    }

    /// The number of entries fed so far: feed checkpoints of this size now.
    public var size: UInt64 { frontier.size }

    private mutating func report(_ index: UInt64?, _ message: String, kind: AuditFinding.Kind = .integrity) {
        findings.append(AuditFinding(kind: kind, subject: origin.description, index: index, message: message))
    }

    /// The next stored entry.
    public mutating func entry(index: UInt64, storedLeafHash: SHA256Digest, bytes: [UInt8]) {
        guard !broken else { return }
        entryCount += 1
        guard index == frontier.size else {
            report(frontier.size, "entries \(frontier.size)..<\(index) are missing from the store")
            broken = true
            return
        }
        let leafHash = MerkleHash.leaf(bytes)
        if leafHash != storedLeafHash {
            report(index, "the entry's bytes do not match its stored leaf hash: altered after storing")
        }
        do {
            _ = try EntryDecoder.header(of: bytes)
        } catch {
            report(index, "the entry is malformed: \(error)")
        }
        var completed: [MerkleNode] = []
        frontier.append(leafHash) { level, index, hash in
            if FeedTree.isPersisted(level: level) {
                completed.append(MerkleNode(level: level, index: index, hash: hash))
            }
        }
        for node in completed { persisted[node.level, default: [:]][node.index] = node.hash }
    }

    /// A stored checkpoint (author note and cosignature lines) with the size and root
    /// columns stored beside it. Call when `size` entries have been fed, or at the end.
    public mutating func checkpoint(note: [UInt8], storedSize: UInt64, storedRoot: SHA256Digest?) {
        checkpointCount += 1
        let signed: SignedCheckpoint
        do {
            signed = try SignedCheckpoint(parsing: note)
        } catch {
            report(nil, "checkpoint of size \(storedSize) is unreadable: \(error)")
            return
        }
        let checkpoint = signed.checkpoint
        largestCheckpointSize = max(largestCheckpointSize, checkpoint.size)
        if checkpoint.size < firstHeld {
            report(
                nil,
                "checkpoint of size \(checkpoint.size) is below the first entry held (\(firstHeld)): a feed held from an admission is stored from past it"
            )
        }
        if checkpoint.origin != origin.description {
            report(nil, "checkpoint of size \(storedSize) names origin \(checkpoint.origin)")
        }
        if checkpoint.size != storedSize || storedRoot != checkpoint.root {
            report(nil, "checkpoint of size \(checkpoint.size): its stored size or root columns were changed")
        }
        if let author {
            do {
                try signed.verify(author: author)
            } catch {
                report(nil, "checkpoint of size \(checkpoint.size): \(error)")
            }
        }
        for cosignature in signed.cosignatures {
            cosignatureCount += 1
            guard let keys = witnesses[cosignature.witnessName] else {
                report(
                    nil,
                    "checkpoint of size \(checkpoint.size): cosignature by unknown witness \(cosignature.witnessName)")
                continue
            }
            do {
                try cosignature.verify(checkpoint: checkpoint, anyOf: keys)
            } catch {
                report(nil, "checkpoint of size \(checkpoint.size): \(error)")
            }
        }
        guard !broken, checkpoint.size == frontier.size else { return }
        if frontier.root != checkpoint.root {
            let first = min(lastCheckpointSize, checkpoint.size == 0 ? 0 : checkpoint.size - 1)
            report(
                first,
                "the stored entries \(first)..<\(checkpoint.size) do not hash to the root the author signed at size \(checkpoint.size): an entry was altered"
            )
        }
        lastCheckpointSize = checkpoint.size
    }

    /// A stored persisted subtree hash.
    public mutating func storedSubtree(level: Int, index: UInt64, hash: SHA256Digest) {
        guard !broken else { return }
        guard let computed = persisted[level]?[index] else {
            report(
                index << UInt64(level),
                "a stored subtree hash (level \(level), index \(index)) covers entries not stored")
            return
        }
        if computed != hash {
            report(index << UInt64(level), "the stored subtree hash at level \(level), index \(index) was altered")
        }
        persisted[level]?[index] = nil
    }

    /// Ends the audit with the feed row's stored size and frontier.
    public mutating func finish(storedSize: UInt64, storedFrontier: [UInt8]) -> [AuditFinding] {
        if largestCheckpointSize > frontier.size && !broken {
            report(
                frontier.size,
                "the author signed \(largestCheckpointSize) entries, the store holds \(frontier.size): entries \(frontier.size)..<\(largestCheckpointSize) were removed"
            )
        }
        if storedSize != frontier.size && !broken {
            report(nil, "the feed records \(storedSize) entries, \(frontier.size) are stored")
        }
        if !broken, (try? MerkleFrontier(serialized: storedFrontier)) != frontier {
            report(nil, "the stored tree frontier does not match the stored entries")
        }
        if !broken,
            let missing = persisted.flatMap({ level, nodes in nodes.keys.map { (level, $0) } }).min(by: { $0.1 < $1.1 })
        {
            report(
                missing.1 << UInt64(missing.0), "the subtree hash at level \(missing.0), index \(missing.1) is missing")
        }
        return findings
    }
}
