import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// `tocsin charter amend`, `history` and `diff` offline, as the authority runs them on its own
/// machine: what they sign, what they refuse, what they show.
@Suite struct CharterCommandTests {
    @Test func amendSignsWhatIsValidAndRefusesWhatIsNot() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let network = try FictionalNetwork.make(nationals: 2, relays: 1, now: Date())
        try network.write(to: scratch.url)
        let files = [
            "--genesis", scratch.path("charter.toml"), "--genesis-signature", scratch.path("charter.sig"), "--ca",
            scratch.path("ca.crt"),
        ]
        func amend(
            _ charter: Charter, key: String = "ca.key", previous: String? = nil, out: String
        ) async throws
            -> CommandResult
        {
            try Data(charter.renderTOML().utf8).write(to: scratch.url.appendingPathComponent("draft.toml"))
            return try await Commands.tocsin(
                ["charter", "amend", scratch.path("draft.toml")] + files
                    + ["--key", scratch.path(key), "--in", "15", "--out", scratch.path(out), "--json"]
                    + (previous.map { ["--previous", scratch.path($0)] } ?? []))
        }
        // Not higher than the version held.
        let same = try await amend(network.charter.amended(version: 1), out: "v1.tocsin")
        #expect(same.status != 0)
        #expect(same.errorOutput.contains("not higher"), "\(same.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("v1.tocsin")))
        // Signed with a key that is not the authority's.
        let stranger = try await amend(network.charter.amended(version: 2), key: "nodes/XA.key", out: "x.tocsin")
        #expect(stranger.status != 0)
        #expect(stranger.errorOutput.contains("is not the key of the authority certificate"), "\(stranger.errorOutput)")
        // Version 2 removes XB; version 3 extends it.
        let second = network.charter.amended(
            version: 2, nodes: { $0.filter { $0.id != "XB" } },
            groups: { $0.map { $0.with(members: $0.members.filter { $0 != "XB" }) } })
        let signed = try await amend(second, out: "v2.tocsin")
        #expect(signed.status == 0, "\(signed.errorOutput)")
        #expect(signed.output.contains("\"version\" : 2"), "\(signed.output)")
        let third = try await amend(second.amended(version: 3), previous: "v2.tocsin", out: "v3.tocsin")
        #expect(third.status == 0, "\(third.errorOutput)")

        let history = try await Commands.tocsin(
            ["charter", "history", "--file", scratch.path("v3.tocsin"), "--json"] + files)
        #expect(history.status == 0, "\(history.errorOutput)")
        let versions = try AdminJSON.decode(CharterHistory.self, from: Data(history.output.utf8))
        #expect(versions.versions.map(\.version) == [1, 2, 3])
        #expect(versions.versions[2].replaces == versions.versions[1].sha256)
        #expect(versions.inForce == 1, "versions 2 and 3 take effect in 15 minutes")
        let diff = try await Commands.tocsin(
            ["charter", "diff", "1", "2", "--file", scratch.path("v3.tocsin")] + files)
        #expect(diff.output.contains("node XB: removed"), "\(diff.output)")
        #expect(diff.output.contains("group nro: members removed XB"), "\(diff.output)")
    }
}
