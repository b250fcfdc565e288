import Foundation

/// An OASIS CAP 1.2 alert: the import and export format for bulletins.
///
/// Only what Tocsin maps is modelled; `TocsinCAP.CAPReader` reads XML into it (and reports
/// what it did not keep), `xml()` writes it in the schema's element order.
public struct CAPAlert: Sendable, Equatable {
    public static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Area: Sendable, Equatable {
        public var description: String
        public var polygons: [String] = []
        public var circles: [String] = []
        public var geocodes: [Parameter] = []

        public init(description: String, polygons: [String] = [], circles: [String] = [], geocodes: [Parameter] = []) {
            self.description = description
            self.polygons = polygons
            self.circles = circles
            self.geocodes = geocodes
        }
    }

    public struct Info: Sendable, Equatable {
        public var language: String = "en-US"
        public var categories: [String] = []
        public var event: String = ""
        public var urgency: String = "Unknown"
        public var severity: String = "Unknown"
        public var certainty: String = "Unknown"
        public var expires: String?
        public var senderName: String?
        public var headline: String?
        public var description: String?
        public var instruction: String?
        public var web: String?
        public var parameters: [Parameter] = []
        public var areas: [Area] = []

        public init() {}
    }

    public var identifier: String = ""
    public var sender: String = ""
    public var sent: String = ""
    public var status: String = "Actual"
    public var messageType: String = "Alert"
    public var scope: String = "Public"
    public var restriction: String?
    /// `sender,identifier,sent` triples.
    public var references: [String] = []
    public var infos: [Info] = []

    public init() {}

    // MARK: - Names Tocsin gives its parameters (namespaced, so other software can skip them)

    /// A factor (`8`) or indicator (`8.3`) of the UN Framework of Analysis for Atrocity Crimes.
    public static let riskFactorParameter = "urn:tocsin:risk-factor"
    /// The ISO 3166-1 alpha-2 code of the state concerned.
    public static let countryParameter = "urn:tocsin:country"
    /// A source: `name` or `name <uri>`.
    public static let sourceParameter = "urn:tocsin:source"
    /// The Tocsin reference of the bulletin (`<group>/<author>/<index>`).
    public static let referenceParameter = "urn:tocsin:reference"
    /// The geocode name for ISO 3166-1 alpha-2 country codes.
    public static let countryGeocode = "ISO3166-1"

    // MARK: - Times

    /// CAP's time format: `2026-11-26T20:25:28+00:00` (seconds, explicit offset, no `Z`).
    public static func time(milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) + "+00:00"
    }

    /// Reads a CAP time (`…T…±hh:mm`); nil when it does not follow the format.
    public static func milliseconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count == 25,
            trimmed.range(
                of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2}$"#, options: .regularExpression) != nil,
            let date = ISO8601DateFormatter().date(from: trimmed)
        else { return nil }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    // MARK: - XML

    /// The alert as CAP 1.2 XML, elements in the schema's order.
    public func xml() -> String {
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#, #"<alert xmlns="\#(Self.namespace)">"#]
        func element(_ name: String, _ value: String?, indent: Int) {
            guard let value else { return }
            lines.append(String(repeating: "  ", count: indent) + "<\(name)>\(Self.escape(value))</\(name)>")
        }
        element("identifier", identifier, indent: 1)
        element("sender", sender, indent: 1)
        element("sent", sent, indent: 1)
        element("status", status, indent: 1)
        element("msgType", messageType, indent: 1)
        element("scope", scope, indent: 1)
        element("restriction", restriction, indent: 1)
        if !references.isEmpty { element("references", references.joined(separator: " "), indent: 1) }
        for info in infos {
            lines.append("  <info>")
            element("language", info.language, indent: 2)
            for category in info.categories { element("category", category, indent: 2) }
            element("event", info.event, indent: 2)
            element("urgency", info.urgency, indent: 2)
            element("severity", info.severity, indent: 2)
            element("certainty", info.certainty, indent: 2)
            element("expires", info.expires, indent: 2)
            element("senderName", info.senderName, indent: 2)
            element("headline", info.headline, indent: 2)
            element("description", info.description, indent: 2)
            element("instruction", info.instruction, indent: 2)
            element("web", info.web, indent: 2)
            for parameter in info.parameters {
                lines.append("    <parameter>")
                element("valueName", parameter.name, indent: 3)
                element("value", parameter.value, indent: 3)
                lines.append("    </parameter>")
            }
            for area in info.areas {
                lines.append("    <area>")
                element("areaDesc", area.description, indent: 3)
                for polygon in area.polygons { element("polygon", polygon, indent: 3) }
                for circle in area.circles { element("circle", circle, indent: 3) }
                for geocode in area.geocodes {
                    lines.append("      <geocode>")
                    element("valueName", geocode.name, indent: 4)
                    element("value", geocode.value, indent: 4)
                    lines.append("      </geocode>")
                }
                lines.append("    </area>")
            }
            lines.append("  </info>")
        }
        lines.append("</alert>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            // XML 1.0 allows no other control characters than tab, newline and carriage return.
            case "\t", "\n", "\r": escaped.unicodeScalars.append(character)
            case _ where character.value < 0x20: continue
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}

/// Why a CAP alert could not become a bulletin: what, and what to do.
public enum CAPError: Error, Sendable, Equatable, CustomStringConvertible {
    case notCAP(String)
    case refused(String)
    /// The alert names no state concerned, and none was given: the importer must ask.
    case stateNotNamed

    public var description: String {
        switch self {
        case .notCAP(let reason): return "not a CAP 1.2 alert: \(reason)"
        case .refused(let reason): return reason
        case .stateNotNamed:
            return
                "the alert names no state: no parameter \(CAPAlert.countryParameter), no ISO 3166-1 or ISO 3166-2 geocode; give the state concerned (--country CC)"
        }
    }
}
