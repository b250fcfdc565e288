import Foundation
import TocsinAdmin
import TocsinCore

/// The seed inputs of each target (`tocsin-fuzz --write-seeds Fuzz/corpus` writes them):
/// small programs for the stateful targets, well-formed documents for the parsers. No key is
/// in them: the genuine messages they name are made afresh by each process.
public enum FuzzSeeds {
    /// Seeds by target name.
    public static func all() -> [String: [[UInt8]]] {
        let fixture = FuzzFixture.shared
        var seeds: [String: [[UInt8]]] = [:]
        // Opcodes of SyncSessionFuzzing: 1 genuine message k, 2 k pos pos value (mutated),
        // 3 reconnect, 4 t (time), 5 anti-entropy, 6 p (peer), 7 forward; 0 raw bytes.
        let hello: [UInt8] = (try? fixture.hello(from: "XA").serializedBytes()) ?? []
        seeds["sync-session"] = [
            [1, 0, 1, 5, 1, 6],
            [1, 2, 1, 5, 1, 6, 4, 1, 1, 3, 1, 4],
            [1, 7, 1, 10, 6, 1, 1, 5, 3, 1, 9, 7],
            [2, 5, 0, 40, 0x41, 1, 6, 4, 255, 5],
            [1, 9, 6, 2, 1, 1, 4, 3, 1, 8],
            [0, UInt8(truncatingIfNeeded: (hello.count + 4) >> 8), UInt8(truncatingIfNeeded: hello.count + 4)]
                + FrameDecoder.frame(hello),
        ]
        // ConsultationFuzzing: 0 k (template), 1 k pos pos value, 2 (raw entry), 3 k t×8 s
        // (witnessing), 4 t×8 (tick), 5 t×8 (standings), 6 (compact).
        let tick = { (ms: UInt64) -> [UInt8] in (0..<8).map { UInt8(truncatingIfNeeded: ms >> (56 - 8 * $0)) } }
        seeds["consultation-entries"] = [
            [0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6] + [4] + tick(200_000) + [5] + tick(200_000),
            [0, 2, 0, 3, 3, 3] + tick(10) + [0] + [0, 5] + [4] + tick(60_000) + [5] + tick(60_000),
            [0, 0, 0, 6, 1, 6, 0, 3, 0x20, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 1, 2, 3, 6],
        ]
        seeds["signed-notes"] = [
            [1, 0, 0], [1, 1, 2, 0, 3, 0x41, 0, 9, 0x0a],
            [0] + Array(fixture.batches[0].checkpoint.note.formatted.utf8),
        ]
        seeds["dossiers"] = [
            [1, 0, 0, 1], [1, 2, 5, 0, 9, 0x41, 1], [0] + DossierFuzzing.genuine.serialized(modificationTime: 0),
        ]
        seeds["fork-proofs"] = [[1, 0, 0], [1, 0, 2, 0, 4, 0xff, 0, 40, 0x00], [0] + fixture.fork.serialized]
        seeds["charter-toml"] = [Array(fixture.network.charter.renderTOML().utf8)]
        let third = Charter(
            network: fixture.amendedChain.latest.charter.network, version: 3,
            replaces: fixture.amendedChain.latest.sha256, takesEffectMs: 1_800_000_600_000,
            nodes: fixture.amendedChain.latest.charter.nodes, groups: fixture.amendedChain.latest.charter.groups)
        seeds["charter-amendments"] = [[0] + fixture.amendment.serialized, [1] + Array(third.renderTOML().utf8)]
        if let bulletin = try? AdminRequestFuzzing.sampleDraft.bulletin() {
            let reference = EntryReference(group: "nro", author: "XA", index: 3)
            let alert = CAPAlert(
                bulletin: bulletin, reference: reference, network: fixture.network.networkID,
                authorTimeMs: 1_800_000_000_000, senderName: "National focal point of XA (fictional)", referenced: [:])
            seeds["cap-xml"] = [Array(alert.xml().utf8)]
        }
        let requests: [(UInt8, any Encodable)] = [
            (0, BulletinRequest(group: "nro", draft: AdminRequestFuzzing.sampleDraft)),
            (1, BulletinChanges(severity: "extreme", areas: AdminRequestFuzzing.sampleDraft.areas)),
            (
                2,
                ProposalRequest(
                    group: "nro",
                    draft: .init(
                        title: "A fact-finding mission", action: "fact-finding-mission", priority: "urgent",
                        deadline: "2d", bulletins: ["nro/XA/0"]))
            ),
            (3, VoteRequest(proposal: "nro/XC/1", position: "endorse", statement: "Agreed")),
            (4, AcknowledgementRequest(bulletin: "nro/XC/0", level: "acted-on")),
            (5, CancelRequest(reason: "Exercise over")),
        ]
        seeds["admin-requests"] = requests.compactMap { route, body in
            (try? AdminJSON.encode(body)).map { [route] + Array($0) }
        }
        return seeds
    }
}
