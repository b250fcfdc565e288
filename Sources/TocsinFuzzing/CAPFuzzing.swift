import Foundation
import TocsinCAP
import TocsinCore

/// The CAP 1.2 reader, then the import of what it read into a bulletin draft and an entry.
enum CAPFuzzing {
    static func run(_ bytes: [UInt8]) {
        guard let result = try? CAPReader.read(Data(bytes)) else { return }
        let network = FuzzFixture.shared.network.networkID
        _ = result.alert.xml()
        guard let imported = try? result.alert.bulletinDraft(network: network, country: "XA") else { return }
        _ = try? imported.draft.entry(authorTimeMs: 1_800_000_000_000)
    }
}
