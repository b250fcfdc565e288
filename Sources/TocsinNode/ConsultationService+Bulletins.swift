import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto

extension ConsultationService {
    // MARK: - Writing

    /// Issues a whole bulletin: an alert, or an update or cancel that gives every field (a CAP
    /// import). Its references must be bulletins this node issued, all in one group.
    public func issue(_ request: BulletinRequest) async throws -> Created {
        let now = nowMs
        let (group, entry, revised): (String, [UInt8], EntryReference?) = try await onQueue { [self] in
            try checkStarted()
            var resolved: [(EntryReference, SHA256Digest)] = []
            for text in request.draft.references ?? [] {
                let (reference, leafHash, entry) = try held(text, field: "references")
                guard case .bulletin = entry.payload else {
                    throw ServiceError(.invalid(field: "references"), "references: \(reference) is not a bulletin")
                }
                let group = request.group ?? resolved.first?.0.group ?? reference.group
                try refuse(permissions.verdict(nodeID, .revise(bulletin: reference, group: group)))
                resolved.append((reference, leafHash))
            }
            guard let group = request.group ?? resolved.first?.0.group else {
                throw ServiceError(.invalid(field: "group"), "group: must name the group the bulletin is for")
            }
            try refuse(permissions.verdict(nodeID, .issue(group: group)))
            let entry = try request.draft.entry(authorTimeMs: now, references: resolved)
            // An update or cancel written whole is still a revision of its original.
            let original = resolved.first.map { machine.book.original(of: $0.0) }
            if let original { try beginRevision(of: original) }
            return (group, entry, original)
        }
        return try await finishRevision(of: revised) {
            Created(reference: try await author(entry, in: group).description)
        }
    }

    /// Updates a bulletin this node issued: the fields given change, every other field keeps
    /// the value it has in the bulletin as stored (its latest valid update, else the original).
    public func update(_ reference: EntryReference, changes: BulletinChanges) async throws -> Created {
        guard !changes.isEmpty else {
            throw ServiceError(.malformed, "the body names no field to change (headline, severity, areas, …)")
        }
        return try await revise(reference) { current, original, now throws(BulletinError) in
            try changes.update(of: current, original: original, now: now)
        }
    }

    /// Cancels a bulletin this node issued; `reason` becomes the cancel's description.
    public func cancel(_ reference: EntryReference, reason: String?) async throws -> Created {
        try await revise(reference) { current, original, _ throws(BulletinError) in
            try BulletinChanges.cancel(of: current, original: original, reason: reason)
        }
    }

    /// Writes a revision of the bulletin `reference` names (or of its original, when it names
    /// an update), made by `make` from the bulletin as stored. One revision of a bulletin is
    /// written at a time, so that each is made from the one before.
    func revise(
        _ reference: EntryReference,
        make:
            @escaping @Sendable (Tocsin_V1_Bulletin, (EntryReference, SHA256Digest), Date) throws(BulletinError) ->
            Tocsin_V1_Bulletin
    ) async throws -> Created {
        let now = nowMs
        let (original, entry): (EntryReference, [UInt8]) = try await onQueue { [self] in
            try checkStarted()
            let book = machine.book
            let original = book.original(of: reference)
            guard let state = book.state(of: original) else {
                throw ServiceError(.notFound, "no bulletin \(reference) is held here")
            }
            try refuse(permissions.verdict(nodeID, .revise(bulletin: original, group: original.group)))
            try refuse(book.revisionVerdict(of: original), as: .conflict)
            guard let current = payload(of: state.latest?.reference ?? original) else {
                throw ServiceError(.storeFailure, "\(original) is listed but cannot be read from the store")
            }
            let bulletin = try make(
                current, (original, state.original.leafHash), Date(timeIntervalSince1970: Double(now) / 1000))
            let entry = try BulletinDraft.entry(bulletin, authorTimeMs: now)
            try beginRevision(of: original)
            return (original, entry)
        }
        return try await finishRevision(of: original) {
            Created(reference: try await author(entry, in: original.group).description)
        }
    }

    /// Marks a revision of `original` as being written (on the queue); a second one at the
    /// same time is refused, since it could not be made from the first.
    func beginRevision(of original: EntryReference) throws {
        try refuse(machine.book.revisionVerdict(of: original), as: .conflict)
        guard revising.insert(original).inserted else {
            throw ServiceError(
                .conflict, "another update or cancel of \(original) is being written: retry once it is stored")
        }
    }

    /// Runs `write`, then lets the next revision of `original` be made.
    func finishRevision(of original: EntryReference?, _ write: () async throws -> Created) async throws -> Created {
        do {
            let created = try await write()
            if let original { _ = await onQueue { [self] in revising.remove(original) } }
            return created
        } catch {
            if let original { _ = await onQueue { [self] in revising.remove(original) } }
            throw error
        }
    }

    /// The operator's acknowledgement (read or acted on) of a bulletin of another member.
    public func acknowledge(_ request: AcknowledgementRequest) async throws -> Created {
        let now = nowMs
        let (group, entry): (String, [UInt8]) = try await onQueue { [self] in
            try checkStarted()
            let level = try ConsultationTerms.value(request.level, in: ConsultationTerms.levels, field: "level")
            let (reference, leafHash, entry) = try held(request.bulletin, field: "bulletin")
            guard case .bulletin = entry.payload else {
                throw ServiceError(.invalid(field: "bulletin"), "bulletin: \(reference) is not a bulletin")
            }
            try refuse(permissions.verdict(nodeID, .acknowledge(bulletin: reference, group: reference.group)))
            return (
                reference.group,
                ConsultationEntries.acknowledgement(of: reference, leafHash: leafHash, level: level, authorTimeMs: now)
            )
        }
        return Created(reference: try await author(entry, in: group).description)
    }

    // MARK: - Reading

    /// Bulletins (alerts), newest first, at most `limit`.
    public func bulletins(limit: Int) async throws -> [BulletinSummary] {
        try await onQueue { [self] in
            try checkStarted()
            return machine.book.newestAlerts(limit: limit).compactMap { summary(of: $0.reference) }
        }
    }

    /// Which of `references` (bulletins) this node's operator has marked read.
    public func readByThisNode(_ references: [String]) async throws -> Set<String> {
        try await onQueue { [self] in
            try checkStarted()
            return Set(
                references.filter { text in
                    guard let reference = try? EntryReference(parsing: text) else { return false }
                    return machine.book.acknowledgements(of: reference)[nodeID]?.readMs != nil
                })
        }
    }

    /// One bulletin (named by its original alert or any of its revisions).
    public func bulletin(_ reference: EntryReference) async throws -> BulletinDetail {
        let found = try await onQueue { [self] in
            try checkStarted()
            return detail(of: reference)
        }
        guard let found else { throw ServiceError(.notFound, "no bulletin \(reference) is held here") }
        return found
    }

    /// A bulletin entry (an alert, update or cancel) as a CAP 1.2 alert.
    public func capExport(_ reference: EntryReference) async throws -> CAPExport {
        let xml: String? = try await onQueue { [self] in
            try checkStarted()
            let book = machine.book
            guard let mark = book.bulletins[reference], let bulletin = payload(of: reference) else { return nil }
            let referenced = Dictionary(
                mark.targets.compactMap { target in
                    book.bulletins[target.reference].map { (target.reference, $0.authorTimeMs) }
                },
                uniquingKeysWith: { first, _ in first })
            return CAPAlert(
                bulletin: bulletin, reference: reference, network: store.networkID, authorTimeMs: mark.authorTimeMs,
                senderName: runtime.charter.node(reference.author)?.name ?? reference.author, referenced: referenced
            ).xml()
        }
        guard let xml else { throw ServiceError(.notFound, "no bulletin \(reference) is held here") }
        return CAPExport(reference: reference.description, xml: xml)
    }

    /// A bulletin's message, read from the store (the book keeps only its marks). On the queue.
    func payload(of reference: EntryReference) -> Tocsin_V1_Bulletin? {
        guard let origin = try? FeedOrigin(network: store.networkID, group: reference.group, author: reference.author),
            let stored = try? store.entry(origin: origin, index: reference.index),
            let entry = try? EntryDecoder.decode(stored.bytes), case .bulletin(let bulletin) = entry.payload
        else { return nil }
        return bulletin
    }

    /// The members a bulletin's author expects to acknowledge it. On the queue.
    func audience(of reference: EntryReference) -> [String] {
        (runtime.charter.group(reference.group)?.members ?? []).filter { $0 != reference.author }
    }

    func summary(of reference: EntryReference) -> BulletinSummary? {
        let book = machine.book
        guard let state = book.state(of: reference), let shown = payload(of: state.latest?.reference ?? reference)
        else { return nil }
        let acknowledgements = book.acknowledgements(of: reference)
        let members = audience(of: reference)
        func count(_ level: Tocsin_V1_AcknowledgementLevel) -> Int {
            members.filter { acknowledgements[$0]?[level] != nil }.count
        }
        let draft = BulletinDraft(bulletin: shown)
        return BulletinSummary(
            reference: reference.description, author: reference.author, group: reference.group,
            headline: draft.headline, severity: draft.severity, urgency: draft.urgency ?? "unknown",
            certainty: draft.certainty ?? "unknown", status: draft.status ?? "actual", country: draft.country,
            state: state.isCancelled ? "cancelled" : state.latest != nil ? "updated" : "active",
            issuedMs: state.original.authorTimeMs, latest: state.latest?.reference.description,
            acknowledgements: .init(
                received: count(.received), read: count(.read), actedOn: count(.actedOn), members: members.count))
    }

    func detail(of reference: EntryReference) -> BulletinDetail? {
        let book = machine.book
        let original = book.original(of: reference)
        guard let summary = summary(of: original), let state = book.state(of: original),
            let shown = payload(of: state.latest?.reference ?? original)
        else { return nil }
        let acknowledgements = book.acknowledgements(of: original)
        let members = audience(of: original)
        let refused = Set(state.refused)
        return BulletinDetail(
            summary: summary, bulletin: BulletinDraft(bulletin: shown),
            revisions: (book.revisions[original] ?? []).filter { !refused.contains($0) }.map(\.description),
            refusedRevisions: state.refused.map(\.description),
            members: members.map { member in
                let times = acknowledgements[member]
                return .init(
                    member: member, receivedMs: times?.receivedMs, readMs: times?.readMs, actedOnMs: times?.actedOnMs)
            },
            notAcknowledged: members.filter { acknowledgements[$0] == nil })
    }
}
