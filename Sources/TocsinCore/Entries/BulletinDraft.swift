import Foundation
import SwiftProtobuf

/// A bulletin as an operator writes it, checked and encoded as an entry.
public struct BulletinDraft: Sendable, Equatable {
    public var headline: String
    public var severity: String
    public var country: String
    public var description: String
    public var urgency: String
    public var certainty: String
    public var status: String
    public var language: String

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

    static let severities: [String: Tocsin_V1_Severity] = [
        "extreme": .extreme, "severe": .severe, "moderate": .moderate, "minor": .minor, "unknown": .unknown,
    ]
    static let urgencies: [String: Tocsin_V1_Urgency] = [
        "immediate": .immediate, "expected": .expected, "future": .future, "past": .past, "unknown": .unknown,
    ]
    static let certainties: [String: Tocsin_V1_Certainty] = [
        "observed": .observed, "likely": .likely, "possible": .possible, "unlikely": .unlikely, "unknown": .unknown,
    ]
    static let statuses: [String: Tocsin_V1_Status] = ["actual": .actual, "exercise": .exercise, "test": .test]

    /// The entry bytes of this bulletin (an alert), authored at `authorTimeMs`.
    public func entry(authorTimeMs: Int64) throws(BulletinError) -> [UInt8] {
        let headline = self.headline.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !headline.isEmpty, headline.count <= 200 else {
            throw BulletinError.invalid(field: "headline", reason: "1 to 200 characters")
        }
        guard description.utf8.count <= 64 * 1024 else {
            throw BulletinError.invalid(field: "description", reason: "at most 64 KiB")
        }
        guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw BulletinError.invalid(field: "country", reason: "an ISO 3166-1 alpha-2 code in capitals, e.g. XA")
        }
        func lookup<Value>(_ table: [String: Value], _ value: String, _ field: String) throws(BulletinError) -> Value {
            guard let found = table[value] else {
                throw BulletinError.invalid(
                    field: field, reason: "one of \(table.keys.sorted().joined(separator: ", "))")
            }
            return found
        }
        var bulletin = Tocsin_V1_Bulletin()
        bulletin.messageType = .alert
        bulletin.status = try lookup(Self.statuses, status, "status")
        bulletin.headline = headline
        bulletin.description_p = description
        bulletin.severity = try lookup(Self.severities, severity, "severity")
        bulletin.urgency = try lookup(Self.urgencies, urgency, "urgency")
        bulletin.certainty = try lookup(Self.certainties, certainty, "certainty")
        bulletin.situation.country = country
        bulletin.language = language
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
