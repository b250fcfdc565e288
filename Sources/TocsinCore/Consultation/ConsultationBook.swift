import Foundation
import TocsinCrypto

/// What a node knows of the consultation in its groups, built from the entries it holds:
/// bulletins and their updates, acknowledgements, proposals, votes and decisions.
///
/// Entries arrive feed by feed in any order across feeds (a vote may arrive before its
/// proposal), so the book keeps what it is given and judges references when asked.
public struct ConsultationBook: Sendable {
    /// One interpreted entry.
    public struct Item<Payload: Sendable>: Sendable {
        public let reference: EntryReference
        public let leafHash: SHA256Digest
        public let authorTimeMs: Int64
        public let payload: Payload

        public init(reference: EntryReference, leafHash: SHA256Digest, authorTimeMs: Int64, payload: Payload) {
            self.reference = reference
            self.leafHash = leafHash
            self.authorTimeMs = authorTimeMs
            self.payload = payload
        }
    }

    /// What the book keeps of a bulletin: enough to follow its revisions and acknowledgements.
    /// The bulletin itself stays in the store (a node may hold many).
    public struct BulletinMark: Sendable {
        public let reference: EntryReference
        public let leafHash: SHA256Digest
        public let authorTimeMs: Int64
        public let messageType: Tocsin_V1_MessageType
        /// What an update or cancel refers to, with the leaf hashes it names.
        public let targets: [(reference: EntryReference, leafHash: [UInt8])]
    }

    /// One member's acknowledgements of one bulletin: the first time of each level (0: none).
    /// Compact on purpose: a node holds one per member and bulletin.
    public struct AcknowledgementTimes: Sendable, Equatable {
        public let member: String
        /// The first 8 bytes of the leaf hash the acknowledgements name: enough to tell the
        /// entry named from another at the same position, at a quarter of the memory.
        let target: UInt64
        var times: (received: Int64, read: Int64, actedOn: Int64) = (0, 0, 0)

        public init(member: String, target: SHA256Digest) {
            self.member = member
            self.target = Self.prefix(target)
        }

        static func prefix(_ digest: SHA256Digest) -> UInt64 {
            digest.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }

        public var receivedMs: Int64? { times.received > 0 ? times.received : nil }
        public var readMs: Int64? { times.read > 0 ? times.read : nil }
        public var actedOnMs: Int64? { times.actedOn > 0 ? times.actedOn : nil }

        public subscript(level: Tocsin_V1_AcknowledgementLevel) -> Int64? {
            switch level {
            case .received: return receivedMs
            case .read: return readMs
            case .actedOn: return actedOnMs
            default: return nil
            }
        }

        /// Records `level` at `time` unless an earlier acknowledgement of that level was recorded.
        mutating func record(_ level: Tocsin_V1_AcknowledgementLevel, at time: Int64) {
            let time = max(time, 1)
            switch level {
            case .received: if times.received == 0 { times.received = time }
            case .read: if times.read == 0 { times.read = time }
            case .actedOn: if times.actedOn == 0 { times.actedOn = time }
            default: break
            }
        }

        public static func == (left: Self, right: Self) -> Bool {
            left.member == right.member && left.target == right.target && left.times == right.times
        }
    }

    public private(set) var bulletins: [EntryReference: BulletinMark] = [:]
    /// Acknowledgements by the bulletin they name (several entries per member at most three).
    public private(set) var acknowledgementTimes: [EntryReference: [AcknowledgementTimes]] = [:]
    public private(set) var proposals: [EntryReference: Item<Tocsin_V1_Proposal>] = [:]
    /// Votes by the proposal they name.
    public private(set) var votes: [EntryReference: [Item<Tocsin_V1_Vote>]] = [:]
    /// Decisions by the proposal they name, in arrival order.
    public private(set) var decisions: [EntryReference: [Item<Tocsin_V1_Decision>]] = [:]
    /// Referrals by the decision they name, in the order stored.
    public private(set) var referrals: [EntryReference: [Item<Tocsin_V1_Referral>]] = [:]
    /// The leaf hash of each referral held: what its observers' acknowledgements name.
    var referralLeafHashes: [EntryReference: SHA256Digest] = [:]
    /// Updates and cancels, by the bulletin they refer to.
    public private(set) var revisions: [EntryReference: [EntryReference]] = [:]

    public init() {}

    /// Trims every list to its length: after reading a whole log, the lists grown by appending
    /// hold up to twice the room they need.
    public mutating func compact() {
        acknowledgementTimes = acknowledgementTimes.mapValues { list in
            var exact: [AcknowledgementTimes] = []
            exact.reserveCapacity(list.count)
            exact.append(contentsOf: list)
            return exact
        }
    }

    /// Adds one stored entry (already verified by its feed's checkpoint).
    public mutating func add(reference: EntryReference, leafHash: SHA256Digest, bytes: [UInt8]) {
        guard let entry = try? EntryDecoder.decode(bytes) else { return }
        add(reference: reference, leafHash: leafHash, entry: entry)
    }

    public mutating func add(reference: EntryReference, leafHash: SHA256Digest, entry: Tocsin_V1_Entry) {
        // An entry naming an index no feed can reach names nothing: it is kept in the log,
        // and interpretation passes it over.
        guard Self.references(of: entry).allSatisfy({ $0.index < Checkpoint.maximumSize }) else { return }
        let time = entry.authorTimeMs
        switch entry.payload {
        case .bulletin(let bulletin):
            let targets = bulletin.references.map { (Self.reference($0), Array($0.leafHash)) }
            bulletins[reference] = BulletinMark(
                reference: reference, leafHash: leafHash, authorTimeMs: time, messageType: bulletin.messageType,
                targets: targets)
            for target in targets { revisions[target.0, default: []].append(reference) }
        case .acknowledgement(let acknowledgement):
            let target = Self.reference(acknowledgement.bulletin)
            guard Permissions.acknowledgement(by: reference.author, in: reference.group, of: target) == .permitted
            else { return }
            guard let hash = SHA256Digest(bytes: Array(acknowledgement.bulletin.leafHash)) else { return }
            // An acknowledgement naming another leaf hash is kept apart (and never counted).
            if let position = acknowledgementTimes[target]?.firstIndex(where: {
                $0.member == reference.author && $0.target == AcknowledgementTimes.prefix(hash)
            }) {
                acknowledgementTimes[target]![position].record(acknowledgement.level, at: time)
            } else {
                var times = AcknowledgementTimes(member: reference.author, target: hash)
                times.record(acknowledgement.level, at: time)
                acknowledgementTimes[target, default: []].append(times)
            }
        case .proposal(let proposal):
            proposals[reference] = Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: proposal)
        case .vote(let vote):
            votes[Self.reference(vote.proposal), default: []].append(
                Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: vote))
        case .decision(let decision):
            decisions[Self.reference(decision.proposal), default: []].append(
                Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: decision))
        case .referral(let referral):
            referrals[Self.reference(referral.decision), default: []].append(
                Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: referral))
            referralLeafHashes[reference] = leafHash
        default:
            return
        }
    }

    /// Every entry reference an entry carries.
    public static func references(of entry: Tocsin_V1_Entry) -> [Tocsin_V1_EntryReference] {
        switch entry.payload {
        case .bulletin(let bulletin): return bulletin.references
        case .acknowledgement(let acknowledgement): return [acknowledgement.bulletin]
        case .proposal(let proposal): return proposal.bulletins
        case .vote(let vote): return [vote.proposal]
        case .decision(let decision): return [decision.proposal] + decision.votes.map(\.vote)
        case .referral(let referral): return [referral.decision]
        default: return []
        }
    }

    /// Whether a protobuf reference names exactly this held entry (position and leaf hash).
    public static func reference(_ message: Tocsin_V1_EntryReference) -> EntryReference {
        EntryReference(group: message.group, author: message.author, index: message.index)
    }

    /// The protobuf reference of a held entry.
    public static func message(_ reference: EntryReference, leafHash: SHA256Digest) -> Tocsin_V1_EntryReference {
        .with {
            $0.group = reference.group
            $0.author = reference.author
            $0.index = reference.index
            $0.leafHash = Data(leafHash.bytes)
        }
    }

    func matches(_ message: Tocsin_V1_EntryReference, _ leafHash: SHA256Digest) -> Bool {
        Array(message.leafHash) == leafHash.bytes
    }

    // MARK: - Bulletins

    /// Where a bulletin stands: its latest valid update by the same author, or its cancel.
    public struct BulletinState: Sendable {
        public let original: BulletinMark
        /// The latest valid update or cancel (nil: as issued).
        public let latest: BulletinMark?
        public var isCancelled: Bool { latest?.messageType == .cancel }
        /// Updates or cancels by another author (or naming another entry), refused.
        public let refused: [EntryReference]
    }

    /// A bulletin's state, if held and an alert (updates are reached through their original).
    public func state(of reference: EntryReference) -> BulletinState? {
        guard let original = bulletins[reference], original.messageType == .alert else { return nil }
        var latest: BulletinMark?
        var refused: [EntryReference] = []
        for revision in (revisions[reference] ?? []).sorted(by: { $0.index < $1.index }) {
            guard let mark = bulletins[revision] else { continue }
            let target = mark.targets.first { $0.reference == reference }
            guard Permissions.revision(by: revision.author, in: revision.group, of: reference) == .permitted,
                let target, target.leafHash == original.leafHash.bytes
            else {
                refused.append(revision)
                continue
            }
            if latest?.messageType == .cancel { continue }
            latest = mark
        }
        return BulletinState(original: original, latest: latest, refused: refused)
    }

    /// Whether `original` (an alert) may still be updated or cancelled, as far as the log
    /// goes: once cancelled it changes no more (who may revise it is `Permissions`).
    public func revisionVerdict(of original: EntryReference) -> Permissions.Verdict {
        guard let state = state(of: original), let latest = state.latest, state.isCancelled else { return .permitted }
        return .refused(.cancelled(bulletin: original, by: latest.reference))
    }

    /// The original alert a bulletin entry revises (itself, for an alert).
    public func original(of reference: EntryReference) -> EntryReference {
        guard let mark = bulletins[reference], mark.messageType != .alert, let target = mark.targets.first else {
            return reference
        }
        return target.reference
    }

    /// Original bulletins (alerts), newest first.
    public var alerts: [BulletinMark] {
        bulletins.values.filter { $0.messageType == .alert }.sorted(by: Self.isNewer)
    }

    /// The first `limit` of `alerts`, without sorting them all: a page of a node holding
    /// hundreds of thousands of bulletins took about 100 ms to sort.
    public func newestAlerts(limit: Int) -> [BulletinMark] {
        guard limit > 0 else { return [] }
        // Kept in order; a bulletin enters only if it is newer than the last kept. The
        // dictionary's order is no order of time, so few do.
        guard limit <= 256 else { return Array(alerts.prefix(limit)) }
        var kept: [BulletinMark] = []
        kept.reserveCapacity(limit + 1)
        for mark in bulletins.values where mark.messageType == .alert {
            if kept.count == limit, let last = kept.last, !Self.isNewer(mark, than: last) { continue }
            kept.insert(mark, at: kept.partitionPoint { Self.isNewer($0, than: mark) })
            if kept.count > limit { kept.removeLast() }
        }
        return kept
    }

    /// The order of `alerts`: newest first, then by reference (a total order: references are
    /// unique). Compared without building a string per comparison.
    static func isNewer(_ mark: BulletinMark, than other: BulletinMark) -> Bool {
        mark.authorTimeMs != other.authorTimeMs
            ? mark.authorTimeMs > other.authorTimeMs : other.reference < mark.reference
    }

    /// Who acknowledged `bulletin` at which level, counting only acknowledgements in its group
    /// that name it with its leaf hash.
    /// The acknowledgements of `bulletin` (or of a referral) that name it with its leaf hash,
    /// by member.
    public func acknowledgements(of bulletin: EntryReference) -> [String: AcknowledgementTimes] {
        guard let leafHash = bulletins[bulletin]?.leafHash ?? referralLeafHashes[bulletin] else { return [:] }
        var result: [String: AcknowledgementTimes] = [:]
        for times in acknowledgementTimes[bulletin] ?? []
        where times.target == AcknowledgementTimes.prefix(leafHash) {
            result[times.member] = times
        }
        return result
    }

    /// Whether `member` acknowledged receipt of `bulletin` (with its leaf hash).
    public func acknowledgedReceipt(of bulletin: EntryReference, by member: String) -> Bool {
        acknowledgements(of: bulletin)[member]?.receivedMs != nil
    }

    // MARK: - Proposals

    /// The votes on `proposal` that name it with its leaf hash, in the proposal's group.
    public func votes(on proposal: EntryReference) -> [Item<Tocsin_V1_Vote>] {
        guard let held = proposals[proposal] else { return [] }
        return (votes[proposal] ?? []).filter {
            matches($0.payload.proposal, held.leafHash) && $0.reference.group == proposal.group
        }
    }

    /// The decisions recorded on `proposal` (valid or not: the audit judges them).
    public func decisions(on proposal: EntryReference) -> [Item<Tocsin_V1_Decision>] {
        decisions[proposal] ?? []
    }
}
