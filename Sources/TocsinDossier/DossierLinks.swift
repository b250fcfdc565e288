import TocsinCore
import TocsinCrypto
import TocsinStore

/// What links the entries a node holds, for a dossier's closure (PROTOCOL.md §11, "What it
/// holds"): each entry's references that name a held entry exactly (position and leaf hash),
/// and the reverse of each. Read once from the store; only references are kept.
struct DossierLinks {
    /// The leaf hash of every held entry.
    var leafHashes: [EntryReference: SHA256Digest] = [:]
    /// The entries each entry names (a decision: its proposal only; a vote: its proposal; …).
    var names: [EntryReference: [EntryReference]] = [:]
    /// The entries that name each entry, by kind of the namer.
    var namedBy: [EntryReference: [EntryReference]] = [:]
    enum Kind { case bulletin, acknowledgement, proposal, vote, decision, referral, charter }
    var kinds: [EntryReference: Kind] = [:]
    /// The sizes of the checkpoints the held decisions cite, by origin.
    var citedSizes: [String: Set<UInt64>] = [:]

    init(store: FeedStore) throws(DossierError) {
        var pending: [(from: EntryReference, to: EntryReference, leafHash: [UInt8])] = []
        do {
            for head in try store.heads() where !AuthorityFeed.isAuthorityFeed(head.origin) {
                var start = head.firstIndex
                while start < head.size {
                    let end = min(head.size, start + 10_000)
                    for stored in try store.entries(of: head.origin, in: start..<end) {
                        let reference = stored.reference
                        leafHashes[reference] = stored.leafHash
                        guard let entry = try? EntryDecoder.decode(stored.bytes), let payload = entry.payload else {
                            continue
                        }
                        var targets: [Tocsin_V1_EntryReference] = []
                        switch payload {
                        case .bulletin(let bulletin):
                            (kinds[reference], targets) = (.bulletin, bulletin.references)
                        case .acknowledgement(let acknowledgement):
                            (kinds[reference], targets) = (.acknowledgement, [acknowledgement.bulletin])
                        case .proposal(let proposal): (kinds[reference], targets) = (.proposal, proposal.bulletins)
                        case .vote(let vote): (kinds[reference], targets) = (.vote, [vote.proposal])
                        case .decision(let decision):
                            (kinds[reference], targets) = (.decision, [decision.proposal])
                            for note in decision.votes.map(\.witnessedCheckpoint) + [
                                decision.proposalWitnessedCheckpoint
                            ] {
                                guard !note.isEmpty, let checkpoint = try? SignedCheckpoint(parsing: Array(note.utf8))
                                else { continue }
                                citedSizes[checkpoint.checkpoint.origin, default: []].insert(
                                    checkpoint.checkpoint.size)
                            }
                        case .referral(let referral): (kinds[reference], targets) = (.referral, [referral.decision])
                        case .charter: kinds[reference] = .charter
                        }
                        for target in targets {
                            pending.append((reference, ConsultationBook.reference(target), Array(target.leafHash)))
                        }
                    }
                    start = end
                }
            }
        } catch {
            throw DossierError("store", "the entries cannot be read: \(error)")
        }
        for link in pending where leafHashes[link.to]?.bytes == link.leafHash {
            names[link.from, default: []].append(link.to)
            namedBy[link.to, default: []].append(link.from)
        }
    }

    /// What the dossier must hold with `reference`: for a decision, its proposal and its
    /// referrals; for a proposal, its bulletins, votes and decisions; for a bulletin, what it
    /// revises, its revisions, acknowledgements and the proposals naming it; for a vote, its
    /// proposal; for an acknowledgement, its bulletin; for a referral, its decision and its
    /// acknowledgements.
    func closure(of reference: EntryReference) -> [EntryReference] {
        let named = names[reference] ?? []
        let namers = namedBy[reference] ?? []
        switch kinds[reference] {
        case .decision: return named.prefix(1) + namers.filter { kinds[$0] == .referral }
        case .proposal:
            return named + namers.filter { kinds[$0] == .vote || kinds[$0] == .decision }
        case .bulletin:
            return named + namers.filter { [.bulletin, .acknowledgement, .proposal].contains(kinds[$0]) }
        case .vote, .acknowledgement: return named
        case .referral: return named + namers.filter { kinds[$0] == .acknowledgement }
        default: return []
        }
    }
}
