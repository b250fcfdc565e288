import Foundation
import SwiftProtobuf
import TocsinCore

/// Entries with plausible content for tests and benchmarks.
public enum SampleEntries {
    /// An exercise bulletin about fictional state `country`, padded to about `byteCount` bytes.
    public static func bulletin(number: Int, country: String, byteCount: Int = 1024, authorTimeMs: Int64) -> [UInt8] {
        var bulletin = Tocsin_V1_Bulletin()
        bulletin.messageType = .alert
        bulletin.status = .exercise
        bulletin.headline = "Exercise bulletin \(number): rising risk indicators in \(country)"
        bulletin.urgency = .expected
        bulletin.severity = .moderate
        bulletin.certainty = .possible
        bulletin.language = "en"
        bulletin.situation.country = country
        var factor = Tocsin_V1_RiskFactor()
        factor.factor = 8
        factor.indicators = ["8.3"]
        bulletin.riskFactors = [factor]
        var entry = Tocsin_V1_Entry()
        entry.kind = .bulletin
        entry.authorTimeMs = authorTimeMs
        entry.bulletin = bulletin
        // Pad the description so the encoded entry has the requested size.
        let base = (try? entry.serializedBytes() as [UInt8])?.count ?? 0
        let padding = max(0, byteCount - base - 3)
        let filler = "This is an exercise. No real state is concerned. "
        entry.bulletin.description_p = String(
            String(repeating: filler, count: padding / filler.count + 1).prefix(padding))
        return (try? entry.serializedBytes()) ?? []
    }
}
