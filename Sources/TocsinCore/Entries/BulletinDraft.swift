import Foundation
import SwiftProtobuf
import TocsinCrypto

/// A bulletin as an operator writes it (command-line flags, or JSON with these field names in
/// snake_case), checked and encoded as an entry. Aligned with OASIS CAP 1.2.
public struct BulletinDraft: Sendable, Equatable, Codable {
    public struct Area: Sendable, Equatable, Codable {
        public var description: String
        public var geocodes: [Geocode]?
        /// CAP polygons: "lat,lon lat,lon …", at least four pairs, the first repeated last.
        public var polygons: [String]?
        /// CAP circles: "lat,lon radius-km".
        public var circles: [String]?

        public init(
            description: String, geocodes: [Geocode]? = nil, polygons: [String]? = nil, circles: [String]? = nil
        ) {
            self.description = description
            self.geocodes = geocodes
            self.polygons = polygons
            self.circles = circles
        }
    }

    public struct Geocode: Sendable, Equatable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Source: Sendable, Equatable, Codable {
        public var name: String
        public var uri: String?
        public var description: String?

        public init(name: String, uri: String? = nil, description: String? = nil) {
            self.name = name
            self.uri = uri
            self.description = description
        }
    }

    /// `alert`, `update` or `cancel`.
    public var messageType: String?
    /// For update and cancel: references (`<group>/<author>/<index>`) of the bulletins it
    /// updates or cancels, all by the same author.
    public var references: [String]?
    public var headline: String
    public var severity: String
    public var country: String
    public var description: String?
    public var urgency: String?
    public var certainty: String?
    public var status: String?
    public var language: String?
    public var areas: [Area]?
    /// Factors (1–14) and indicators (`8.3`) of the UN Framework of Analysis for Atrocity Crimes.
    public var riskFactors: [String]?
    public var sources: [Source]?
    public var recommendedActions: [String]?
    /// ISO 8601 time after which the bulletin no longer applies.
    public var expires: String?

    public init(
        headline: String, severity: String, country: String, description: String = "", urgency: String = "unknown",
        certainty: String = "unknown", status: String = "actual", language: String = "en"
    ) {
        self.headline = headline
        self.severity = severity
        self.country = country
        self.description = description
        self.urgency = urgency
        self.certainty = certainty
        self.status = status
        self.language = language
    }

    public static let messageTypes: [String: Tocsin_V1_MessageType] = [
        "alert": .alert, "update": .update, "cancel": .cancel,
    ]
    public static let severities: [String: Tocsin_V1_Severity] = [
        "extreme": .extreme, "severe": .severe, "moderate": .moderate, "minor": .minor, "unknown": .unknown,
    ]
    public static let urgencies: [String: Tocsin_V1_Urgency] = [
        "immediate": .immediate, "expected": .expected, "future": .future, "past": .past, "unknown": .unknown,
    ]
    public static let certainties: [String: Tocsin_V1_Certainty] = [
        "observed": .observed, "likely": .likely, "possible": .possible, "unlikely": .unlikely, "unknown": .unknown,
    ]
    public static let statuses: [String: Tocsin_V1_Status] = ["actual": .actual, "exercise": .exercise, "test": .test]

    /// The bulletin message, its references resolved to `(reference, leaf hash)` by the caller.
    public func bulletin(
        references resolved: [(EntryReference, SHA256Digest)] = [], now: Date = Date()
    ) throws(BulletinError) -> Tocsin_V1_Bulletin {
        var bulletin = Tocsin_V1_Bulletin()
        bulletin.messageType = try Self.term(messageType ?? "alert", Self.messageTypes, field: "message_type")
        bulletin.headline = try Self.checkedHeadline(headline)
        bulletin.description_p = try Self.checkedDescription(description ?? "")
        bulletin.situation.country = try Self.checkedCountry(country)
        bulletin.status = try Self.term(status ?? "actual", Self.statuses, field: "status")
        bulletin.severity = try Self.term(severity, Self.severities, field: "severity")
        bulletin.urgency = try Self.term(urgency ?? "unknown", Self.urgencies, field: "urgency")
        bulletin.certainty = try Self.term(certainty ?? "unknown", Self.certainties, field: "certainty")
        bulletin.language = try Self.checkedLanguage(language ?? "en")

        switch bulletin.messageType {
        case .alert:
            guard resolved.isEmpty, (references ?? []).isEmpty else {
                throw BulletinError.invalid(field: "references", reason: "empty for an alert (use update or cancel)")
            }
        default:
            guard !resolved.isEmpty, resolved.count == (references ?? []).count || references == nil else {
                throw BulletinError.invalid(
                    field: "references", reason: "at least one earlier bulletin for an update or a cancel")
            }
        }
        bulletin.references = resolved.map { ConsultationBook.message($0.0, leafHash: $0.1) }
        bulletin.situation.areas = try Self.areaMessages(areas ?? [])
        bulletin.riskFactors = try Self.riskFactorMessages(riskFactors ?? [])
        bulletin.sources = try Self.sourceMessages(sources ?? [])
        bulletin.recommendedActions = try Self.checkedActions(recommendedActions ?? [])
        if let expires { bulletin.expiresMs = try Self.expiryMilliseconds(expires, now: now) }
        return bulletin
    }

    // MARK: - Each field's check, written once (an update checks only the fields it changes)

    /// The value `word` names in `table`, or a refusal naming the field and the words allowed.
    public static func term<Value>(
        _ word: String, _ table: [String: Value], field: String
    ) throws(BulletinError) -> Value {
        guard let found = table[word] else {
            throw BulletinError.invalid(field: field, reason: "one of \(table.keys.sorted().joined(separator: ", "))")
        }
        return found
    }

    public static func checkedHeadline(_ text: String) throws(BulletinError) -> String {
        let headline = Whitespace.trimmed(text)
        guard !headline.isEmpty, headline.count <= 200 else {
            throw BulletinError.invalid(field: "headline", reason: "1 to 200 characters")
        }
        return headline
    }

    public static func checkedDescription(_ text: String) throws(BulletinError) -> String {
        guard text.utf8.count <= 64 * 1024 else {
            throw BulletinError.invalid(field: "description", reason: "at most 64 KiB")
        }
        return text
    }

    public static func checkedCountry(_ code: String) throws(BulletinError) -> String {
        guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw BulletinError.invalid(field: "country", reason: "an ISO 3166-1 alpha-2 code in capitals, e.g. XA")
        }
        return code
    }

    public static func checkedLanguage(_ tag: String) throws(BulletinError) -> String {
        guard isLanguageTag(tag) else {
            throw BulletinError.invalid(field: "language", reason: "an RFC 5646 language tag such as en, fr or pt-BR")
        }
        return tag
    }

    public static func areaMessages(_ areas: [Area]) throws(BulletinError) -> [Tocsin_V1_Area] {
        var messages: [Tocsin_V1_Area] = []
        for (position, area) in areas.enumerated() {
            let field = "areas[\(position)]"
            guard !area.description.trimmingCharacters(in: .whitespaces).isEmpty, area.description.count <= 500 else {
                throw BulletinError.invalid(field: "\(field).description", reason: "1 to 500 characters")
            }
            for polygon in area.polygons ?? [] where !isPolygon(polygon) {
                throw BulletinError.invalid(
                    field: "\(field).polygons",
                    reason: "\"lat,lon lat,lon …\" with at least 4 points, the first repeated last (CAP 1.2)")
            }
            for circle in area.circles ?? [] where !isCircle(circle) {
                throw BulletinError.invalid(field: "\(field).circles", reason: "\"lat,lon radius-km\" (CAP 1.2)")
            }
            for geocode in area.geocodes ?? [] where geocode.name.isEmpty || geocode.value.isEmpty {
                throw BulletinError.invalid(field: "\(field).geocodes", reason: "a name and a value each")
            }
            messages.append(
                .with {
                    $0.description_p = area.description
                    $0.geocodes = (area.geocodes ?? []).map { code in
                        .with {
                            $0.name = code.name
                            $0.value = code.value
                        }
                    }
                    $0.polygons = area.polygons ?? []
                    $0.circles = area.circles ?? []
                })
        }
        return messages
    }

    public static func riskFactorMessages(_ texts: [String]) throws(BulletinError) -> [Tocsin_V1_RiskFactor] {
        var factors: [UInt32: [String]] = [:]
        for text in texts {
            guard let (factor, indicator) = riskFactor(text) else {
                throw BulletinError.invalid(
                    field: "risk_factors",
                    reason: "factors 1–14 or indicators such as 8.3 (UN Framework of Analysis for Atrocity Crimes)")
            }
            factors[factor, default: []] += indicator.map { [$0] } ?? []
        }
        return factors.keys.sorted().map { factor in
            .with {
                $0.factor = factor
                $0.indicators = Array(Set(factors[factor]!)).sorted {
                    $0.compare($1, options: .numeric) == .orderedAscending
                }
            }
        }
    }

    public static func sourceMessages(_ sources: [Source]) throws(BulletinError) -> [Tocsin_V1_Source] {
        var messages: [Tocsin_V1_Source] = []
        for source in sources {
            guard !source.name.isEmpty else { throw BulletinError.invalid(field: "sources", reason: "named") }
            messages.append(
                .with {
                    $0.name = source.name
                    $0.uri = source.uri ?? ""
                    $0.description_p = source.description ?? ""
                })
        }
        return messages
    }

    public static func checkedActions(_ actions: [String]) throws(BulletinError) -> [String] {
        guard actions.count <= 100, actions.allSatisfy({ $0.utf8.count <= 4096 }) else {
            throw BulletinError.invalid(field: "recommended_actions", reason: "at most 100 actions of 4 KiB each")
        }
        return actions
    }

    /// An ISO 8601 time after `now`, in milliseconds since 1970.
    public static func expiryMilliseconds(_ text: String, now: Date) throws(BulletinError) -> Int64 {
        guard let date = parseTime(text),
            let milliseconds = Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded())
        else {
            throw BulletinError.invalid(field: "expires", reason: "an ISO 8601 time such as 2026-12-31T00:00:00Z")
        }
        guard date > now else { throw BulletinError.invalid(field: "expires", reason: "in the future") }
        return milliseconds
    }

    /// The entry bytes of this bulletin, authored at `authorTimeMs`.
    public func entry(
        authorTimeMs: Int64, references resolved: [(EntryReference, SHA256Digest)] = []
    ) throws(BulletinError) -> [UInt8] {
        let bulletin = try self.bulletin(
            references: resolved, now: Date(timeIntervalSince1970: Double(authorTimeMs) / 1000))
        return try Self.entry(bulletin, authorTimeMs: authorTimeMs)
    }

    /// Encodes a checked bulletin as entry bytes.
    public static func entry(_ bulletin: Tocsin_V1_Bulletin, authorTimeMs: Int64) throws(BulletinError) -> [UInt8] {
        var entry = Tocsin_V1_Entry()
        entry.kind = .bulletin
        entry.authorTimeMs = authorTimeMs
        entry.bulletin = bulletin
        do {
            return try entry.serializedBytes()
        } catch {
            throw BulletinError.invalid(field: "bulletin", reason: String(describing: error))
        }
    }

    /// `8` → (8, nil); `8.3` → (8, "8.3").
    static func riskFactor(_ text: String) -> (UInt32, String?)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let factor = UInt32(parts[0]), (1...14).contains(factor),
            parts[0].allSatisfy(\.isASCII)
        else { return nil }
        if parts.count == 1 { return (factor, nil) }
        guard let indicator = UInt32(parts[1]), (1...99).contains(indicator), parts[1].first != "0" else { return nil }
        return (factor, "\(factor).\(indicator)")
    }

    static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            (1...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }

    static func coordinate(_ text: Substring) -> (Double, Double)? {
        let parts = text.split(separator: ",")
        guard parts.count == 2, let latitude = Double(parts[0]), let longitude = Double(parts[1]),
            (-90...90).contains(latitude), (-180...180).contains(longitude)
        else { return nil }
        return (latitude, longitude)
    }

    static func isPolygon(_ text: String) -> Bool {
        let points = text.split(separator: " ", omittingEmptySubsequences: true)
        guard points.count >= 4, points.allSatisfy({ coordinate($0) != nil }) else { return false }
        let first = coordinate(points.first!)!
        let last = coordinate(points.last!)!
        return first == last
    }

    static func isCircle(_ text: String) -> Bool {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, coordinate(parts[0]) != nil, let radius = Double(parts[1]) else { return false }
        return radius >= 0
    }

    /// ISO 8601 with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}

/// Why a bulletin was refused; names the field and the allowed values.
public enum BulletinError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): return "\(field): must be \(reason)"
        }
    }
}
