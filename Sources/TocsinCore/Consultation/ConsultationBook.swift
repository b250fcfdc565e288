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
    }

    public private(set) var bulletins: [EntryReference: Item<Tocsin_V1_Bulletin>] = [:]
    /// Acknowledgements by bulletin, then by member and level (the first of each).
    public private(set) var acknowledgements: [EntryReference: [String: [Tocsin_V1_AcknowledgementLevel: Item<Data>]]] =
        [:]
    public private(set) var proposals: [EntryReference: Item<Tocsin_V1_Proposal>] = [:]
    /// Votes by the proposal they name.
    public private(set) var votes: [EntryReference: [Item<Tocsin_V1_Vote>]] = [:]
    /// Decisions by the proposal they name, in arrival order.
    public private(set) var decisions: [EntryReference: [Item<Tocsin_V1_Decision>]] = [:]
    /// Updates and cancels, by the bulletin they refer to.
    public private(set) var revisions: [EntryReference: [EntryReference]] = [:]

    public init() {}

    /// Adds one stored entry (already verified by its feed's checkpoint).
    public mutating func add(reference: EntryReference, leafHash: SHA256Digest, bytes: [UInt8]) {
        guard let entry = try? EntryDecoder.decode(bytes) else { return }
        add(reference: reference, leafHash: leafHash, entry: entry)
    }

    public mutating func add(reference: EntryReference, leafHash: SHA256Digest, entry: Tocsin_V1_Entry) {
        let time = entry.authorTimeMs
        switch entry.payload {
        case .bulletin(let bulletin):
            bulletins[reference] = Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: bulletin)
            for target in bulletin.references {
                revisions[Self.reference(target), default: []].append(reference)
            }
        case .acknowledgement(let acknowledgement):
            let target = Self.reference(acknowledgement.bulletin)
            if acknowledgements[target]?[reference.author]?[acknowledgement.level] == nil {
                acknowledgements[target, default: [:]][reference.author, default: [:]][acknowledgement.level] = Item(
                    reference: reference, leafHash: leafHash, authorTimeMs: time,
                    payload: acknowledgement.bulletin.leafHash)
            }
        case .proposal(let proposal):
            proposals[reference] = Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: proposal)
        case .vote(let vote):
            votes[Self.reference(vote.proposal), default: []].append(
                Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: vote))
        case .decision(let decision):
            decisions[Self.reference(decision.proposal), default: []].append(
                Item(reference: reference, leafHash: leafHash, authorTimeMs: time, payload: decision))
        default:
            return
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
        public let original: Item<Tocsin_V1_Bulletin>
        /// The latest valid update or cancel (nil: as issued).
        public let latest: Item<Tocsin_V1_Bulletin>?
        public var isCancelled: Bool { latest?.payload.messageType == .cancel }
        /// Updates or cancels by another author, refused.
        public let refused: [EntryReference]
    }

    /// A bulletin's state, if held and an alert (updates are reached through their original).
    public func state(of reference: EntryReference) -> BulletinState? {
        guard let original = bulletins[reference], original.payload.messageType == .alert else { return nil }
        var latest: Item<Tocsin_V1_Bulletin>?
        var refused: [EntryReference] = []
        for revision in (revisions[reference] ?? []).sorted(by: { $0.index < $1.index }) {
            guard let item = bulletins[revision] else { continue }
            let target = item.payload.references.first { Self.reference($0) == reference }
            guard revision.author == reference.author, revision.group == reference.group,
                let target, matches(target, original.leafHash)
            else {
                refused.append(revision)
                continue
            }
            if latest?.payload.messageType == .cancel { continue }
            latest = item
        }
        return BulletinState(original: original, latest: latest, refused: refused)
    }

    /// Original bulletins (alerts), newest first.
    public var alerts: [Item<Tocsin_V1_Bulletin>] {
        bulletins.values.filter { $0.payload.messageType == .alert }.sorted {
            ($0.authorTimeMs, $0.reference.description) > ($1.authorTimeMs, $1.reference.description)
        }
    }

    /// Who acknowledged `bulletin` at which level, counting only acknowledgements that name
    /// it with its leaf hash, by members of its group.
    public func acknowledgements(of bulletin: EntryReference) -> [String: [Tocsin_V1_AcknowledgementLevel: Int64]] {
        guard let original = bulletins[bulletin] else { return [:] }
        var result: [String: [Tocsin_V1_AcknowledgementLevel: Int64]] = [:]
        for (member, levels) in acknowledgements[bulletin] ?? [:] {
            for (level, item) in levels
            where item.reference.group == bulletin.group && Array(item.payload) == original.leafHash.bytes {
                result[member, default: [:]][level] = item.authorTimeMs
            }
        }
        return result
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
