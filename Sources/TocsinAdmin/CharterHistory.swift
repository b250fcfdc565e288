import Foundation
import TocsinCore

/// `GET /v1/charter`: every version of the charter the node holds, and the one in force.
public struct CharterHistory: Codable, Sendable, Equatable {
    /// One version: the genesis charter, or an amendment of the authority feed.
    public struct Version: Codable, Sendable, Equatable {
        public var version: UInt64
        /// SHA-256 of the file, hex: what the next amendment names in `replaces`.
        public var sha256: String
        /// The SHA-256 of the version it replaces (nil for the genesis charter).
        public var replaces: String?
        /// RFC 3339, UTC (the genesis charter: 1970-01-01T00:00:00Z, always in force before).
        public var takesEffect: String
        /// Its index in the authority feed (nil for the genesis charter).
        public var entryIndex: UInt64?
        /// The authority's detached Ed25519 signature of `toml`, base64.
        public var signature: String
        /// The charter file exactly as signed.
        public var toml: String
        /// Whether it is the version in force now.
        public var inForce: Bool

        public init(
            version: UInt64, sha256: String, replaces: String?, takesEffect: String, entryIndex: UInt64?,
            signature: String, toml: String, inForce: Bool
        ) {
            self.version = version
            self.sha256 = sha256
            self.replaces = replaces
            self.takesEffect = takesEffect
            self.entryIndex = entryIndex
            self.signature = signature
            self.toml = toml
            self.inForce = inForce
        }
    }

    public var networkID: String
    /// The version in force.
    public var inForce: UInt64
    /// Set when the authority feed holds a fork proof: no amendment is adopted any more.
    public var forked: Bool
    /// Oldest first.
    public var versions: [Version]

    public init(networkID: String, inForce: UInt64, forked: Bool, versions: [Version]) {
        self.networkID = networkID
        self.inForce = inForce
        self.forked = forked
        self.versions = versions
    }

    /// The versions of `chain`, `inForce` marked.
    public init(chain: CharterChain, inForce: UInt64, forked: Bool) {
        self.init(
            networkID: chain.network.description, inForce: inForce, forked: forked,
            versions: chain.versions.map { version in
                Version(
                    version: version.version, sha256: version.sha256.hex, replaces: version.charter.replaces?.hex,
                    takesEffect: UTCTime.text(milliseconds: version.takesEffectMs), entryIndex: version.entryIndex,
                    signature: Data(version.signed.signature).base64EncodedString(),
                    toml: String(decoding: version.signed.bytes, as: UTF8.self), inForce: version.version == inForce)
            })
    }

    /// `network_id` in JSON (snake case would split the initials).
    enum CodingKeys: String, CodingKey {
        case networkID = "networkId"
        case inForce, forked, versions
    }
}

/// `POST /v1/charter/amendments`: an amendment file to publish.
public struct AmendmentRequest: Codable, Sendable, Equatable {
    /// The file `tocsin charter amend` wrote, base64.
    public var amendment: String

    public init(amendment: String) { self.amendment = amendment }
}
