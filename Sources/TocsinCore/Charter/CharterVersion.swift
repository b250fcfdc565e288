import TocsinCrypto

/// One version of the charter: the file the authority signed, and when it is in force.
public struct CharterVersion: Hashable, Sendable {
    public let signed: SignedCharter
    /// SHA-256 of the file: what the next amendment names in `replaces`.
    public let sha256: SHA256Digest
    /// When it takes effect (milliseconds since 1970; 0 for the genesis charter).
    public let takesEffectMs: Int64
    /// Its entry in the authority feed (nil for the genesis charter).
    public let entryIndex: UInt64?

    public init(signed: SignedCharter, takesEffectMs: Int64, entryIndex: UInt64?) {
        self.signed = signed
        self.sha256 = SHA256.hash(signed.bytes)
        self.takesEffectMs = takesEffectMs
        self.entryIndex = entryIndex
    }

    public var charter: Charter { signed.charter }
    public var version: UInt64 { signed.charter.version }
}
