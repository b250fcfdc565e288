import Foundation
import TocsinCrypto

extension Charter {
    /// The text of an amendment drafted as `draft`: `replaces` and `takes-effect` are written
    /// before the first table (`[[nodes]]`) unless the draft names them already, in which case
    /// they must say the same.
    public static func amendmentText(
        draft: String, replaces: SHA256Digest, takesEffectMs: Int64
    ) throws(CharterError) -> String {
        let parsed = try Charter(toml: Array(draft.utf8), draftOnly: true)
        if let named = parsed.replaces, named != replaces {
            throw .invalid(
                where: "charter",
                reason: "`replaces` names \(named.hex), but the version held hashes to \(replaces.hex)")
        }
        if let named = parsed.takesEffectMs, named != takesEffectMs {
            throw .invalid(
                where: "charter",
                reason:
                    "`takes-effect` says \(UTCTime.text(milliseconds: named)), the command \(UTCTime.text(milliseconds: takesEffectMs))"
            )
        }
        var terms: [String] = []
        if parsed.replaces == nil { terms.append("replaces = \"\(replaces.hex)\"") }
        if parsed.takesEffectMs == nil {
            terms.append("takes-effect = \"\(UTCTime.text(milliseconds: takesEffectMs))\"")
        }
        if terms.isEmpty { return draft }
        var lines = draft.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let firstTable =
            lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("[") } ?? lines.count
        lines.insert(contentsOf: terms + [""], at: firstTable)
        return lines.joined(separator: "\n")
    }
}
