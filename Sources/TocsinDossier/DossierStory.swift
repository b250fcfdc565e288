import TocsinCore

/// What a verified dossier tells, in the order of the report (PROTOCOL.md §11, "The report"):
/// only facts the verifier checked. Times are milliseconds since 1970.
public struct DossierStory: Sendable {
    /// Where an entry's proof leads: for the report's appendix and its links.
    public struct Evidence: Sendable {
        public let reference: String
        public let path: String
        public let kind: String
        public let leafHash: String
        public let authorTimeMs: Int64
        public let checkpointSize: UInt64
        public let checkpointRoot: String
        public let proofHashes: [String]
        /// When a quorum of the feed's witnesses had cosigned it (nil: not witnessed), and
        /// who cosigned.
        public let witnessedMs: Int64?
        public let witnessedBy: [String]
    }

    public struct CharterVersionFacts: Sendable {
        public let version: UInt64
        public let takesEffectMs: Int64
        public let sha256: String
    }

    public struct Bulletin: Sendable {
        public let reference: String
        public let messageType: String
        public let author: String
        public let group: String
        public let headline: String
        public let country: String
        public let severity: String
        public let urgency: String
        public let certainty: String
        public let description: String
        /// The bulletins it updates or cancels.
        public let revises: [String]
    }

    public struct Receipt: Sendable {
        public struct Level: Sendable {
            public let level: String
            public let reference: String
            public let authorTimeMs: Int64
        }

        /// The bulletin, or the referral, acknowledged.
        public let target: String
        public let member: String
        /// received, read, acted-on: the first of each, in that order.
        public let levels: [Level]
    }

    public struct Vote: Sendable {
        public let reference: String
        public let voter: String
        public let position: String
        public let statement: String
        /// When the group's convener first cosigned a checkpoint including it.
        public let convenerWitnessedMs: Int64?
        public let counted: Bool
    }

    public struct Decision: Sendable {
        public let reference: String
        public let author: String
        public let outcome: String
        public let closedMs: Int64
        public let statement: String
        /// Empty: it holds (it follows from the votes and the charter).
        public let findings: [String]
        public let byConvener: Bool
    }

    public struct Tally: Sendable {
        public let charterVersion: UInt64
        public let policy: String
        public let quorumPercent: Int
        public let votingMembers: [String]
        public let endorsements: Int
        public let objections: Int
        public let abstentions: Int
        /// The outcome the votes give (nil: open), and why.
        public let outcome: String?
        public let explanation: String
    }

    public struct Proposal: Sendable {
        public let reference: String
        public let proposer: String
        public let title: String
        public let action: String
        public let rationale: String
        public let deadlineMs: Int64
        public let convener: String
        public let convenerWitnessedMs: Int64?
        public let votes: [Vote]
        public let tally: Tally?
        public let decisions: [Decision]
    }

    public struct Referral: Sendable {
        public let reference: String
        public let decision: String
        public let observers: [String]
        /// The observers' acknowledgements of it.
        public let receipts: [Receipt]
        /// Why it does not count (§2 "referral"); empty when it counts.
        public let findings: [String]
        public var counts: Bool { findings.isEmpty }
    }

    public internal(set) var networkName = ""
    public internal(set) var networkID = ""
    public internal(set) var authorityFingerprint = ""
    public internal(set) var exportedBy = ""
    public internal(set) var exportedAt = ""
    public internal(set) var subjects: [String] = []
    public internal(set) var charterVersions: [CharterVersionFacts] = []
    public internal(set) var nodeNames: [String: String] = [:]
    public internal(set) var bulletins: [Bulletin] = []
    public internal(set) var receipts: [Receipt] = []
    public internal(set) var proposals: [Proposal] = []
    public internal(set) var referrals: [Referral] = []
    /// Every entry's evidence, by reference.
    public internal(set) var evidence: [String: Evidence] = [:]
}
