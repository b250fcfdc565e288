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
        func lookup<Value>(
            _ table: [String: Value], _ value: String?, _ fallback: String, _ field: String
        )
            throws(BulletinError) -> Value
        {
            guard let found = table[value ?? fallback] else {
                throw BulletinError.invalid(
                    field: field, reason: "one of \(table.keys.sorted().joined(separator: ", "))")
            }
            return found
        }
        var bulletin = Tocsin_V1_Bulletin()
        bulletin.messageType = try lookup(Self.messageTypes, messageType, "alert", "message_type")
        let headline = self.headline.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !headline.isEmpty, headline.count <= 200 else {
            throw BulletinError.invalid(field: "headline", reason: "1 to 200 characters")
        }
        bulletin.headline = headline
        let description = self.description ?? ""
        guard description.utf8.count <= 64 * 1024 else {
            throw BulletinError.invalid(field: "description", reason: "at most 64 KiB")
        }
        bulletin.description_p = description
        guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw BulletinError.invalid(field: "country", reason: "an ISO 3166-1 alpha-2 code in capitals, e.g. XA")
        }
        bulletin.situation.country = country
        bulletin.status = try lookup(Self.statuses, status, "actual", "status")
        bulletin.severity = try lookup(Self.severities, severity, "unknown", "severity")
        bulletin.urgency = try lookup(Self.urgencies, urgency, "unknown", "urgency")
        bulletin.certainty = try lookup(Self.certainties, certainty, "unknown", "certainty")
        let language = self.language ?? "en"
        guard Self.isLanguageTag(language) else {
            throw BulletinError.invalid(field: "language", reason: "an RFC 5646 language tag such as en, fr or pt-BR")
        }
        bulletin.language = language

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
        bulletin.references = resolved.map { reference, leafHash in
            .with {
                $0.group = reference.group
                $0.author = reference.author
                $0.index = reference.index
                $0.leafHash = Data(leafHash.bytes)
            }
        }

        for (position, area) in (areas ?? []).enumerated() {
            let field = "areas[\(position)]"
            guard !area.description.trimmingCharacters(in: .whitespaces).isEmpty, area.description.count <= 500 else {
                throw BulletinError.invalid(field: "\(field).description", reason: "1 to 500 characters")
            }
            for polygon in area.polygons ?? [] where !Self.isPolygon(polygon) {
                throw BulletinError.invalid(
                    field: "\(field).polygons",
                    reason: "\"lat,lon lat,lon …\" with at least 4 points, the first repeated last (CAP 1.2)")
            }
            for circle in area.circles ?? [] where !Self.isCircle(circle) {
                throw BulletinError.invalid(field: "\(field).circles", reason: "\"lat,lon radius-km\" (CAP 1.2)")
            }
            for geocode in area.geocodes ?? [] where geocode.name.isEmpty || geocode.value.isEmpty {
                throw BulletinError.invalid(field: "\(field).geocodes", reason: "a name and a value each")
            }
            bulletin.situation.areas.append(
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

        var factors: [UInt32: [String]] = [:]
        for text in riskFactors ?? [] {
            guard let (factor, indicator) = Self.riskFactor(text) else {
                throw BulletinError.invalid(
                    field: "risk_factors",
                    reason: "factors 1–14 or indicators such as 8.3 (UN Framework of Analysis for Atrocity Crimes)")
            }
            factors[factor, default: []] += indicator.map { [$0] } ?? []
        }
        bulletin.riskFactors = factors.keys.sorted().map { factor in
            .with {
                $0.factor = factor
                $0.indicators = Array(Set(factors[factor]!)).sorted {
                    $0.compare($1, options: .numeric) == .orderedAscending
                }
            }
        }
        for source in sources ?? [] {
            guard !source.name.isEmpty else { throw BulletinError.invalid(field: "sources", reason: "named") }
            bulletin.sources.append(
                .with {
                    $0.name = source.name
                    $0.uri = source.uri ?? ""
                    $0.description_p = source.description ?? ""
                })
        }
        bulletin.recommendedActions = recommendedActions ?? []
        if let expires {
            guard let date = Self.parseTime(expires) else {
                throw BulletinError.invalid(field: "expires", reason: "an ISO 8601 time such as 2026-12-31T00:00:00Z")
            }
            guard date > now else { throw BulletinError.invalid(field: "expires", reason: "in the future") }
            bulletin.expiresMs = Int64(date.timeIntervalSince1970 * 1000)
        }
        return bulletin
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
