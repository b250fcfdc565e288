/// A dossier's `manifest.json` (PROTOCOL.md §11): what it is about, and every other file
/// with its SHA-256.
public struct DossierManifest: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public let path: String
        public let sha256: String
        public let bytes: UInt64

        public init(path: String, sha256: String, bytes: UInt64) {
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    public static let format = "tocsin-dossier/1"

    public let format: String
    /// The network id, hex.
    public let network: String
    /// For people: not required of a dossier, and not checked.
    public let networkName: String?
    public let exportedBy: String?
    public let exportedAt: String?
    /// The references the dossier was asked for.
    public let subjects: [String]
    public let items: [Item]

    public init(
        network: String, networkName: String?, exportedBy: String?, exportedAt: String?, subjects: [String],
        items: [Item]
    ) {
        format = Self.format
        self.network = network
        self.networkName = networkName
        self.exportedBy = exportedBy
        self.exportedAt = exportedAt
        self.subjects = subjects
        self.items = items
    }
}

/// A feed's file in a dossier (`feeds/<group>/<author>.json`): the checkpoints the dossier's
/// proofs and citations need, smallest first, each earlier one with its consistency proof to
/// the last (the latest the exporter held).
public struct FeedDocument: Codable, Sendable {
    public struct Item: Codable, Sendable {
        /// The signed note with its cosignature lines.
        public let checkpoint: String
        /// The RFC 6962 consistency proof to the latest checkpoint, hex; absent for the latest.
        public let consistency: [String]?

        public init(checkpoint: String, consistency: [String]?) {
            self.checkpoint = checkpoint
            self.consistency = consistency
        }
    }

    public let origin: String
    public let checkpoints: [Item]

    public init(origin: String, checkpoints: [Item]) {
        self.origin = origin
        self.checkpoints = checkpoints
    }
}
