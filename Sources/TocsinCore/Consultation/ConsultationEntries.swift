import Foundation
import SwiftProtobuf
import TocsinCrypto

/// Builds the consultation entries (acknowledgement, proposal, vote, decision) from checked
/// operator input; every refusal names the field and what it must be.
public enum ConsultationEntries {
    /// A proposal as an operator writes it, with kebab-case words.
    public struct ProposalDraft: Sendable, Equatable, Codable {
        public var title: String
        public var action: String
        public var otherAction: String?
        public var rationale: String?
        public var priority: String?
        /// nil: the group's policy from the charter.
        public var policy: String?
        public var quorumPercent: Int?
        /// ISO 8601 time, or a duration from now such as `90s`, `30m`, `2h`, `7d`.
        public var deadline: String
        /// References of bulletins the proposal acts on.
        public var bulletins: [String]?

        public init(
            title: String, action: String, otherAction: String? = nil, rationale: String? = nil,
            priority: String? = nil, policy: String? = nil, quorumPercent: Int? = nil, deadline: String,
            bulletins: [String]? = nil
        ) {
            self.title = title
            self.action = action
            self.otherAction = otherAction
            self.rationale = rationale
            self.priority = priority
            self.policy = policy
            self.quorumPercent = quorumPercent
            self.deadline = deadline
            self.bulletins = bulletins
        }

        /// The proposal message for `group`; `bulletins` resolved by the caller to
        /// `(reference, leaf hash)`, each a bulletin of that group.
        public func proposal(
            group: String, bulletins resolved: [(EntryReference, SHA256Digest)], nowMs: Int64
        ) throws(ConsultationError) -> Tocsin_V1_Proposal {
            for (reference, _) in resolved where reference.group != group {
                throw ConsultationError.invalid(
                    field: "bulletins", reason: "bulletins of group \(group), not \(reference)")
            }
            let title = Whitespace.trimmed(self.title)
            guard !title.isEmpty, title.count <= 200 else {
                throw ConsultationError.invalid(field: "title", reason: "1 to 200 characters")
            }
            var proposal = Tocsin_V1_Proposal()
            proposal.title = title
            proposal.action = try ConsultationTerms.value(action, in: ConsultationTerms.actions, field: "action")
            if proposal.action == .other {
                guard let other = otherAction, !other.isEmpty else {
                    throw ConsultationError.invalid(field: "other_action", reason: "given when the action is other")
                }
                proposal.otherAction = other
            }
            proposal.rationale = rationale ?? ""
            guard proposal.rationale.utf8.count <= 64 * 1024 else {
                throw ConsultationError.invalid(field: "rationale", reason: "at most 64 KiB")
            }
            proposal.priority = try ConsultationTerms.value(
                priority ?? "normal", in: ConsultationTerms.priorities, field: "priority")
            if let policy {
                proposal.policy = try ConsultationTerms.value(policy, in: ConsultationTerms.policies, field: "policy")
            }
            if let quorumPercent {
                guard (1...100).contains(quorumPercent) else {
                    throw ConsultationError.invalid(field: "quorum_percent", reason: "1 to 100")
                }
                proposal.quorumPercent = UInt32(quorumPercent)
            }
            guard let deadlineMs = ConsultationEntries.time(deadline, nowMs: nowMs), deadlineMs > nowMs else {
                throw ConsultationError.invalid(
                    field: "deadline", reason: "a future ISO 8601 time or a duration such as 90s, 30m, 2h or 7d")
            }
            proposal.deadlineMs = deadlineMs
            proposal.bulletins = resolved.map { ConsultationBook.message($0.0, leafHash: $0.1) }
            return proposal
        }
    }

    /// `2026-12-01T12:00:00Z` or a duration from `nowMs` (`90s`, `30m`, `2h`, `7d`).
    public static func time(_ text: String, nowMs: Int64) -> Int64? {
        if let date = BulletinDraft.parseTime(text) { return Int64(date.timeIntervalSince1970 * 1000) }
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        guard amount <= 366 * 86_400_000 / scale else { return nil }
        return nowMs + amount * scale
    }

    public static func acknowledgement(
        of bulletin: EntryReference, leafHash: SHA256Digest, level: Tocsin_V1_AcknowledgementLevel, authorTimeMs: Int64
    ) -> [UInt8] {
        encode(.acknowledgement, authorTimeMs) {
            $0.acknowledgement = .with {
                $0.bulletin = ConsultationBook.message(bulletin, leafHash: leafHash)
                $0.level = level
            }
        }
    }

    public static func proposal(_ proposal: Tocsin_V1_Proposal, authorTimeMs: Int64) -> [UInt8] {
        encode(.proposal, authorTimeMs) { $0.proposal = proposal }
    }

    public static func vote(
        on proposal: EntryReference, leafHash: SHA256Digest, position: Tocsin_V1_Position, statement: String,
        authorTimeMs: Int64
    ) throws(ConsultationError) -> [UInt8] {
        guard statement.utf8.count <= 16 * 1024 else {
            throw ConsultationError.invalid(field: "statement", reason: "at most 16 KiB")
        }
        return encode(.vote, authorTimeMs) {
            $0.vote = .with {
                $0.proposal = ConsultationBook.message(proposal, leafHash: leafHash)
                $0.position = position
                $0.statement = statement
            }
        }
    }

    public static func decision(_ decision: Tocsin_V1_Decision, authorTimeMs: Int64) -> [UInt8] {
        encode(.decision, authorTimeMs) { $0.decision = decision }
    }

    /// A referral of `decision` to `observers`, carrying the decision's dossier (PROTOCOL.md §2,
    /// §11); refused when it would make an entry larger than a node accepts.
    public static func referral(
        of decision: EntryReference, leafHash: SHA256Digest, observers: [String], dossier: [UInt8], authorTimeMs: Int64
    ) throws(ConsultationError) -> [UInt8] {
        let bytes = encode(.referral, authorTimeMs) {
            $0.referral = .with {
                $0.decision = ConsultationBook.message(decision, leafHash: leafHash)
                $0.observers = observers
                $0.dossier = Data(dossier)
            }
        }
        guard bytes.count <= EntryDecoder.maximumByteCount else {
            throw ConsultationError.invalid(
                field: "dossier",
                reason:
                    "the dossier of \(decision) is \(dossier.count) bytes: a referral entry holds at most \(EntryDecoder.maximumByteCount) bytes in all; export it with `tocsin dossier export` and send it by other means"
            )
        }
        return bytes
    }

    static func encode(_ kind: Tocsin_V1_EntryKind, _ time: Int64, _ fill: (inout Tocsin_V1_Entry) -> Void) -> [UInt8] {
        var entry = Tocsin_V1_Entry()
        entry.kind = kind
        entry.authorTimeMs = time
        fill(&entry)
        // Encoding a message built from checked values cannot fail.
        return (try? entry.serializedBytes()) ?? []
    }
}
