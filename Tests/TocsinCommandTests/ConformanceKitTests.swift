import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinDevelopment

/// The conformance kit (`Conformance/tocsin_conformance.py`, written from Docs/PROTOCOL.md
/// alone) against real `tocsind` processes: every case passes, as a peer dialling a relay and
/// as the relay a national node dials.
@Suite(.serialized) struct ConformanceKitTests {
    static let kit = Commands.repositoryRoot.appendingPathComponent("Conformance/tocsin_conformance.py")

    /// The port node `id` of a devnet listens on, from its `node.toml`.
    static func port(of id: String, in directory: URL) throws -> Int {
        let toml = try String(contentsOf: directory.appendingPathComponent("\(id)/node.toml"), encoding: .utf8)
        let line = try #require(toml.split(separator: "\n").first { $0.hasPrefix("listen = ") })
        return try #require(Int(line.split(separator: ":").last?.filter(\.isNumber) ?? ""))
    }

    /// Runs the kit; its output, checked to end with `N passed, 0 failed` and exit 0.
    static func runKit(_ arguments: [String]) async throws -> String {
        let result = try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", kit.path] + arguments)
        let output = result.output + result.errorOutput
        #expect(result.status == 0, "\(output)")
        let summary = try #require(
            result.output.split(separator: "\n").last { $0.contains(" passed, ") }, "no summary line: \(output)")
        #expect(summary.contains(" passed, 0 failed"), "\(output)")
        #expect(!output.contains("\nFAIL "), "\(output)")
        return result.output
    }

    @Test func everyCaseOfTheKitPassesAgainstTocsind() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 3, relays: 2, observers: 0)
        let relayPort = try Self.port(of: "RN", in: directory)

        try await NodeProcesses.testing(directory) { daemons in
            try daemons.start(["RN", "XA"])
            try await Blocking.run { try daemons.waitUntilServing(["RN", "XA"]) }
            let client = daemons.client("XA")
            let request = BulletinRequest(
                group: "nro",
                draft: BulletinDraft(headline: "Exercise: conformance", severity: "moderate", country: "XA"))
            _ = try await Eventually(timeout: 30).value("XA ready to issue") { try? client.issue(request) }
            try await Eventually(timeout: 30).holds("XA's bulletin at RN") {
                (try? daemons.client("RN").bulletins().contains { $0.author == "XA" }) == true
            }
            // An amendment (the same charter as version 2), so that the authority feed is there
            // for the kit to verify.
            let genesis = try Charter(
                toml: Array(try Data(contentsOf: directory.appendingPathComponent("charter.toml"))))
            let draft = scratch.url.appendingPathComponent("v2.toml")
            try Data(genesis.amended(version: 2).renderTOML().utf8).write(to: draft)
            let amendment = scratch.url.appendingPathComponent("v2.tocsin").path
            let amended = try await Commands.tocsin(
                "charter", "amend", draft.path, "--genesis", directory.appendingPathComponent("charter.toml").path,
                "--genesis-signature", directory.appendingPathComponent("charter.sig").path, "--ca",
                directory.appendingPathComponent("ca.crt").path, "--key",
                directory.appendingPathComponent("ca.key").path,
                "--takes-effect", UTCTime.text(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)), "--out",
                amendment)
            #expect(amended.status == 0, "\(amended.output) \(amended.errorOutput)")
            let published = try await Commands.tocsin(
                "charter", "publish", amendment, "--node", directory.appendingPathComponent("RN").path)
            #expect(published.status == 0, "\(published.output) \(published.errorOutput)")
            try await Eventually(timeout: 30).holds("version 2 in force at RN and XA") {
                ["RN", "XA"].allSatisfy { (try? daemons.client($0).charterHistory().inForce) == 2 }
            }

            // The kit dials RN as XC (a member of nro whose own daemon is not running), with
            // XB (of sro only) for the cases that need another member.
            let dialling = try await Self.runKit([
                "--network", directory.path, "--node", "RN", "--address", "127.0.0.1:\(relayPort)", "--as", "XC",
                "--other", "XB",
            ])
            #expect(dialling.split(separator: "\n").filter { $0.hasPrefix("PASS ") }.count >= 80, "\(dialling)")
            #expect(!dialling.contains("SKIP "), "\(dialling)")

            // With RN stopped, XA dials RN's address and the kit answers as RN.
            _ = await daemons.stopped("RN")
            let listening = try await Self.runKit([
                "--network", directory.path, "--node", "XA", "--address",
                "127.0.0.1:\(try Self.port(of: "XA", in: directory))",
                "--as", "RN", "--other", "XC", "--listen", "127.0.0.1:\(relayPort)",
            ])
            #expect(listening.split(separator: "\n").filter { $0.hasPrefix("PASS ") }.count >= 14, "\(listening)")
            #expect(!listening.contains("SKIP "), "\(listening)")
            _ = await daemons.allStopped()
            for id in ["RN", "XA"] {
                let verified = try await Commands.tocsin("verify", "--data-dir", daemons.dataDirectory(id).path)
                #expect(verified.status == 0, "\(id): \(verified.output) \(verified.errorOutput)")
            }
        }
    }
}
