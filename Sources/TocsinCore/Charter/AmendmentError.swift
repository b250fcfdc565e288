/// Why an amendment of the charter was refused. Nothing changes when one is.
public enum AmendmentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry is not a `charter` entry.
    case notAnAmendment(index: UInt64, reason: String)
    /// The detached signature of the TOML is not the authority's.
    case badSignature(version: UInt64)
    /// The TOML is not a valid charter.
    case invalidCharter(version: UInt64, CharterError)
    /// The entry's version and the TOML's differ.
    case versionMismatch(entry: UInt64, toml: UInt64)
    case versionNotHigher(version: UInt64, current: UInt64)
    case wrongPredecessor(version: UInt64, replaces: String, expected: String)
    case missingTerms(version: UInt64)
    case effectiveTooEarly(version: UInt64, takesEffectMs: Int64, previousMs: Int64)
    /// It would take effect before the authority signed it.
    case retroactive(version: UInt64, takesEffectMs: Int64, signedMs: Int64)
    /// A key would change hands, or a revoked key would be trusted again.
    case keyHistory(version: UInt64, reason: String)
    /// The authority feed holds a fork: no amendment is adopted from it.
    case forked

    public var description: String {
        switch self {
        case .notAnAmendment(let index, let reason):
            return "entry \(index) of the authority feed is not a charter amendment: \(reason)"
        case .badSignature(let version):
            return
                "amendment version \(version): the charter's signature does not verify with the network authority's key"
        case .invalidCharter(let version, let error):
            return "amendment version \(version): \(error)"
        case .versionMismatch(let entry, let toml):
            return "the amendment says version \(entry), its charter \(toml): they must agree"
        case .versionNotHigher(let version, let current):
            return "amendment version \(version) is not higher than the charter held, version \(current)"
        case .wrongPredecessor(let version, let replaces, let expected):
            return
                "amendment version \(version) replaces the charter with SHA-256 \(replaces), but the charter held hashes to \(expected): it was drafted against another charter"
        case .missingTerms(let version):
            return "amendment version \(version) names no `replaces` and `takes-effect`: every amendment names both"
        case .effectiveTooEarly(let version, let takesEffectMs, let previousMs):
            return
                "amendment version \(version) takes effect at \(UTCTime.text(milliseconds: takesEffectMs)), before the version it replaces (\(UTCTime.text(milliseconds: previousMs)))"
        case .retroactive(let version, let takesEffectMs, let signedMs):
            return
                "amendment version \(version) takes effect at \(UTCTime.text(milliseconds: takesEffectMs)), before the authority signed it (\(UTCTime.text(milliseconds: signedMs))): an amendment never takes effect in the past"
        case .keyHistory(let version, let reason):
            return "amendment version \(version): \(reason)"
        case .forked:
            return
                "the authority signed two different histories of the charter (a fork proof is held): no amendment is adopted until the authority resolves it"
        }
    }
}
