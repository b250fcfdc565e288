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

    /// The update of `original` (an alert, named with its leaf hash): `current` (the bulletin as
    /// it stands, the original or its latest update) as stored, every field kept as it is,
    /// unknown ones included, with the fields given here checked and set.
    public func update(
        of current: Tocsin_V1_Bulletin, original: (EntryReference, SHA256Digest), now: Date
    ) throws(BulletinError) -> Tocsin_V1_Bulletin {
        var bulletin = current
        if let headline { bulletin.headline = try BulletinDraft.checkedHeadline(headline) }
        if let severity {
            bulletin.severity = try BulletinDraft.term(severity, BulletinDraft.severities, field: "severity")
        }
        if let country { bulletin.situation.country = try BulletinDraft.checkedCountry(country) }
        if let description { bulletin.description_p = try BulletinDraft.checkedDescription(description) }
        if let urgency { bulletin.urgency = try BulletinDraft.term(urgency, BulletinDraft.urgencies, field: "urgency") }
        if let certainty {
            bulletin.certainty = try BulletinDraft.term(certainty, BulletinDraft.certainties, field: "certainty")
        }
        if let status { bulletin.status = try BulletinDraft.term(status, BulletinDraft.statuses, field: "status") }
        if let language { bulletin.language = try BulletinDraft.checkedLanguage(language) }
        if let areas { bulletin.situation.areas = try BulletinDraft.areaMessages(areas) }
        if let riskFactors { bulletin.riskFactors = try BulletinDraft.riskFactorMessages(riskFactors) }
        if let sources { bulletin.sources = try BulletinDraft.sourceMessages(sources) }
        if let recommendedActions { bulletin.recommendedActions = try BulletinDraft.checkedActions(recommendedActions) }
        if let expires { bulletin.expiresMs = try BulletinDraft.expiryMilliseconds(expires, now: now) }
        return Self.revision(.update, of: bulletin, original: original)
    }

    /// The cancel of `original`: `current` as stored, with `reason`, when given, as its
    /// description.
    public static func cancel(
        of current: Tocsin_V1_Bulletin, original: (EntryReference, SHA256Digest), reason: String?
    ) throws(BulletinError) -> Tocsin_V1_Bulletin {
        var bulletin = current
        if let reason { bulletin.description_p = try BulletinDraft.checkedDescription(reason) }
        return revision(.cancel, of: bulletin, original: original)
    }

    static func revision(
        _ type: Tocsin_V1_MessageType, of bulletin: Tocsin_V1_Bulletin, original: (EntryReference, SHA256Digest)
    ) -> Tocsin_V1_Bulletin {
        var revision = bulletin
        revision.messageType = type
        revision.references = [ConsultationBook.message(original.0, leafHash: original.1)]
        return revision
    }
}
