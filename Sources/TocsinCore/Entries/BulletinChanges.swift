import Foundation
import TocsinCrypto

/// What an update changes in a bulletin: every field is optional, and a field not given keeps
/// the value the bulletin holds (a list given replaces the list; an empty list clears it).
///
/// The merge is made from the bulletin as stored (its protobuf message), never from a report
/// of it, so that no field is lost on the way.
public struct BulletinChanges: Sendable, Equatable, Codable {
    public var headline: String?
    public var severity: String?
    public var country: String?
    public var description: String?
    public var urgency: String?
    public var certainty: String?
    public var status: String?
    public var language: String?
    public var areas: [BulletinDraft.Area]?
    public var riskFactors: [String]?
    public var sources: [BulletinDraft.Source]?
    public var recommendedActions: [String]?
    /// ISO 8601; the held expiry is kept when not given.
    public var expires: String?

    public init(
        headline: String? = nil, severity: String? = nil, country: String? = nil, description: String? = nil,
        urgency: String? = nil, certainty: String? = nil, status: String? = nil, language: String? = nil,
        areas: [BulletinDraft.Area]? = nil, riskFactors: [String]? = nil, sources: [BulletinDraft.Source]? = nil,
        recommendedActions: [String]? = nil, expires: String? = nil
    ) {
        self.headline = headline
        self.severity = severity
        self.country = country
        self.description = description
        self.urgency = urgency
        self.certainty = certainty
        self.status = status
        self.language = language
        self.areas = areas
        self.riskFactors = riskFactors
        self.sources = sources
        self.recommendedActions = recommendedActions
        self.expires = expires
    }

    /// Whether nothing is changed.
    public var isEmpty: Bool { self == BulletinChanges() }

    /// `current` with these changes.
    public func applied(to current: BulletinDraft) -> BulletinDraft {
        var draft = current
        if let headline { draft.headline = headline }
        if let severity { draft.severity = severity }
        if let country { draft.country = country }
        if let description { draft.description = description }
        if let urgency { draft.urgency = urgency }
        if let certainty { draft.certainty = certainty }
        if let status { draft.status = status }
        if let language { draft.language = language }
        if let areas { draft.areas = areas.isEmpty ? nil : areas }
        if let riskFactors { draft.riskFactors = riskFactors.isEmpty ? nil : riskFactors }
        if let sources { draft.sources = sources.isEmpty ? nil : sources }
        if let recommendedActions { draft.recommendedActions = recommendedActions.isEmpty ? nil : recommendedActions }
        if let expires { draft.expires = expires }
        return draft
    }

    /// The update of `original` (an alert, named with its leaf hash) whose fields are those of
    /// `current` (the bulletin as it stands: the original or its latest update) with these
    /// changes, checked as any bulletin is.
    public func update(
        of current: Tocsin_V1_Bulletin, original: (EntryReference, SHA256Digest), now: Date
    ) throws(BulletinError) -> Tocsin_V1_Bulletin {
        try Self.revision(
            .update, draft: applied(to: BulletinDraft(bulletin: current)), keepingExpiry: expires == nil,
            of: current, original: original, now: now)
    }

    /// The cancel of `original`, with the fields of `current`; `reason`, when given, becomes
    /// its description.
    public static func cancel(
        of current: Tocsin_V1_Bulletin, original: (EntryReference, SHA256Digest), reason: String?, now: Date
    ) throws(BulletinError) -> Tocsin_V1_Bulletin {
        var draft = BulletinDraft(bulletin: current)
        if let reason { draft.description = reason }
        return try revision(.cancel, draft: draft, keepingExpiry: true, of: current, original: original, now: now)
    }

    static func revision(
        _ type: Tocsin_V1_MessageType, draft: BulletinDraft, keepingExpiry: Bool, of current: Tocsin_V1_Bulletin,
        original: (EntryReference, SHA256Digest), now: Date
    ) throws(BulletinError) -> Tocsin_V1_Bulletin {
        var draft = draft
        draft.messageType = ConsultationTerms.name(type, in: BulletinDraft.messageTypes)
        draft.references = [original.0.description]
        // A held expiry is kept as it is, even once past: only a new one must lie ahead.
        if keepingExpiry { draft.expires = nil }
        var bulletin = try draft.bulletin(references: [original], now: now)
        if keepingExpiry { bulletin.expiresMs = current.expiresMs }
        return bulletin
    }
}
