import Foundation

extension BulletinDraft {
    /// The draft that gives `bulletin` back: every field, structured (areas with their
    /// geocodes, polygons and circles; risk factors and indicators; sources with their
    /// addresses), empty lists as nil. For an update or cancel, `references` names what it
    /// revises.
    public init(bulletin: Tocsin_V1_Bulletin) {
        self.init(
            headline: bulletin.headline, severity: ConsultationTerms.name(bulletin.severity, in: Self.severities),
            country: bulletin.situation.country, description: bulletin.description_p,
            urgency: ConsultationTerms.name(bulletin.urgency, in: Self.urgencies),
            certainty: ConsultationTerms.name(bulletin.certainty, in: Self.certainties),
            status: ConsultationTerms.name(bulletin.status, in: Self.statuses), language: bulletin.language)
        messageType = ConsultationTerms.name(bulletin.messageType, in: Self.messageTypes)
        let references = bulletin.references.map { ConsultationBook.reference($0).description }
        self.references = references.isEmpty ? nil : references
        let areas = bulletin.situation.areas.map { area in
            Area(
                description: area.description_p,
                geocodes: area.geocodes.isEmpty ? nil : area.geocodes.map { Geocode(name: $0.name, value: $0.value) },
                polygons: area.polygons.isEmpty ? nil : area.polygons,
                circles: area.circles.isEmpty ? nil : area.circles)
        }
        self.areas = areas.isEmpty ? nil : areas
        let factors = bulletin.riskFactors.flatMap { $0.indicators.isEmpty ? ["\($0.factor)"] : $0.indicators }
        riskFactors = factors.isEmpty ? nil : factors
        let sources = bulletin.sources.map {
            Source(
                name: $0.name, uri: $0.uri.isEmpty ? nil : $0.uri,
                description: $0.description_p.isEmpty ? nil : $0.description_p)
        }
        self.sources = sources.isEmpty ? nil : sources
        recommendedActions = bulletin.recommendedActions.isEmpty ? nil : bulletin.recommendedActions
        expires = bulletin.expiresMs > 0 ? Self.timeText(milliseconds: bulletin.expiresMs) : nil
    }

    /// ISO 8601 in UTC, with milliseconds when there are any.
    public static func timeText(milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        if milliseconds % 1000 != 0 {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        }
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
