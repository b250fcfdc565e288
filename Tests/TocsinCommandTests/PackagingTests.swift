import Foundation
import Testing
import TocsinDevelopment

/// What the package ships that can be checked without installing it: the systemd unit and the
/// alerting rules of Docs/METRICS.md. (`.ci/run` builds, installs and removes the `.deb`
/// itself with Scripts/check-deb: a test cannot run `swift build` inside `swift test`.)
@Suite struct PackagingTests {
    static let unit = Commands.repositoryRoot.appendingPathComponent("Packaging/systemd/tocsind.service")

    /// The unit with ExecStart pointing at this build's tocsind (systemd-analyze checks that the
    /// command exists).
    static func unitForThisBuild(in scratch: ScratchDirectory) throws -> URL {
        let text = try String(contentsOf: unit, encoding: .utf8).replacingOccurrences(
            of: "ExecStart=/usr/bin/tocsind",
            with: "ExecStart=\(Commands.productsDirectory.appendingPathComponent("tocsind").path)")
        let copy = scratch.url.appendingPathComponent("tocsind.service")
        try Data(text.utf8).write(to: copy)
        return copy
    }

    /// `--threshold` is on systemd's internal scale, ten times the one it prints: 20 is 2.0.
    @Test func theUnitPassesSystemdAnalyzeVerifyAndItsExposureStaysAtMostTwo() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let unit = try Self.unitForThisBuild(in: scratch)
        // The man pages it names are installed by the package; here they are not yet.
        let verify = try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", "--man=no", unit.path])
        #expect(verify.status == 0, "\(verify.output) \(verify.errorOutput)")
        let security = try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/systemd-analyze"),
            ["security", "--offline=true", "--threshold=20", unit.path])
        #expect(security.status == 0, "\(security.output.suffix(400))")
        #expect(
            security.output.contains("Overall exposure level for tocsind.service: 1."), "\(security.output.suffix(200))"
        )
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        for directive in [
            "Type=notify", "WatchdogSec=", "User=tocsin", "ProtectSystem=strict", "ReadWritePaths=/var/lib/tocsin",
            "NoNewPrivileges=yes", "PrivateTmp=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "LimitNICE=-5\n",
            "SystemCallFilter=setpriority\n",
        ] {
            #expect(text.contains(directive), "\(directive)")
        }
        // An allow after the deny list takes setpriority out of it; before, the deny would win.
        let deny = try #require(text.range(of: "SystemCallFilter=~@privileged @resources"))
        let allow = try #require(text.range(of: "SystemCallFilter=setpriority\n"))
        #expect(deny.upperBound < allow.lowerBound)
    }

    @Test func theAlertingRulesOfTheMetricsDocumentPassPromtool() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let document = try String(
            contentsOf: Commands.repositoryRoot.appendingPathComponent("Docs/METRICS.md"), encoding: .utf8)
        let blocks = document.components(separatedBy: "```yaml\n").dropFirst().map {
            $0.components(separatedBy: "```")[0]
        }
        let rules = try #require(blocks.first { $0.contains("groups:") })
        let file = scratch.url.appendingPathComponent("tocsin-alerts.yml")
        try Data(rules.utf8).write(to: file)
        let check = try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["promtool", "check", "rules", file.path])
        #expect(check.status == 0, "\(check.output) \(check.errorOutput)")
        #expect(check.output.contains("SUCCESS: 9 rules found"), "\(check.output)")
    }
}
