import Foundation
import SwiftProtobuf

/// A one-line, human description of an entry, for listings.
public struct EntrySummary: Hashable, Sendable {
    /// `bulletin`, `acknowledgement`, … or `unknown(<n>)` for kinds of later versions.
    public let kind: String
    public let text: String

    public init(kind: String, text: String) {
        self.kind = kind
        self.text = text
    }

    /// Summarises entry bytes; malformed bytes are described, not thrown.
    public init(bytes: [UInt8]) {
        let entry: Tocsin_V1_Entry
        do {
            entry = try EntryDecoder.decode(bytes)
        } catch {
            self.init(kind: "malformed", text: String(describing: error))
            return
        }
        self.init(entry)
    }

    public init(_ entry: Tocsin_V1_Entry) {
        switch entry.payload {
        case .bulletin(let bulletin):
            let type = Self.name(of: bulletin.messageType)
            self.init(
                kind: "bulletin",
                text:
                    "\(type) [\(Self.name(of: bulletin.status))] \(bulletin.situation.country) \(Self.name(of: bulletin.severity)): \(bulletin.headline)"
            )
        case .acknowledgement(let acknowledgement):
            self.init(
                kind: "acknowledgement",
                text: "\(Self.name(of: acknowledgement.level)) \(Self.reference(acknowledgement.bulletin))")
        case .proposal(let proposal):
            self.init(kind: "proposal", text: "\(Self.name(of: proposal.action)): \(proposal.title)")
        case .vote(let vote):
            self.init(kind: "vote", text: "\(Self.name(of: vote.position)) \(Self.reference(vote.proposal))")
        case .decision(let decision):
            self.init(
                kind: "decision",
                text:
                    "\(Self.name(of: decision.outcome)) \(Self.reference(decision.proposal)) (\(decision.votes.count) votes counted)"
            )
        case .charter(let charter):
            self.init(kind: "charter", text: "charter version \(charter.version)")
        case .referral(let referral):
            self.init(
                kind: "referral",
                text:
                    "referral of \(Self.reference(referral.decision)) to \(referral.observers.joined(separator: ", ")) (a dossier of \(referral.dossier.count) bytes)"
            )
        case nil:
            self.init(kind: "unknown(\(entry.kind.rawValue))", text: "an entry kind of a later protocol version")
        }
    }

    /// The entry as protobuf JSON (field names in lowerCamelCase).
    public static func json(bytes: [UInt8]) -> String? {
        guard let entry = try? EntryDecoder.decode(bytes) else { return nil }
        var options = JSONEncodingOptions()
        options.alwaysPrintEnumsAsInts = false
        return try? entry.jsonString(options: options)
    }

    static func reference(_ reference: Tocsin_V1_EntryReference) -> String {
        "\(reference.group)/\(reference.author)/\(reference.index)"
    }

    /// `.actedOn` → `acted-on`: the kebab-case name operators type.
    public static func name<Value: SwiftProtobuf.Enum>(of value: Value) -> String {
        let name = String(describing: value)
        return name.hasPrefix("UNRECOGNIZED") ? name : name.splitCamelCase().joined(separator: "-")
    }
}

extension String {
    func splitCamelCase() -> [String] {
        var words: [String] = []
        var current = ""
        for character in self {
            if character.isUppercase, !current.isEmpty {
                words.append(current.lowercased())
                current = ""
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return words
    }
}
