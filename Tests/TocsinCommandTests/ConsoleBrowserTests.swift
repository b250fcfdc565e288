import Foundation
import Testing
import TocsinAdmin
import TocsinDevelopment

/// The web console in a real browser: headless Chromium driven by Selenium
/// (`Tests/Browser/console_e2e.py`) against a network of `tocsind` processes, XA, XB and XC
/// each serving a console (nro: RN convening, XA, XB, XC voting). The script looks at what the pages show, and takes the screenshots of
/// Docs/console/ (`TOCSIN_SCREENSHOTS=DIR` keeps them). When the script fails,
/// `TOCSIN_KEEP_FAILED=DIR` keeps the network's folders, logs and databases in DIR.
@Suite(.serialized) struct ConsoleBrowserTests {
    @Test func aBulletinIssuedAtOneConsoleReachesAnotherLiveAndItsReadingComesBack() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 3, relays: 1, observers: 0)
        let consolePort = DaemonTests.freePorts(3)
        let consoles = ["XA": consolePort, "XB": consolePort + 1, "XC": consolePort + 2]
        for (id, port) in consoles {
            try Commands.addToConfiguration(
                in: directory.appendingPathComponent(id), keys: "console = \"127.0.0.1:\(port)\"\n")
        }
        try await NodeProcesses.testing(directory) { daemons in
            let everyone = ["RN", "XA", "XB", "XC"]
            try daemons.start(everyone)
            try await Blocking.run { try daemons.waitUntilServing(everyone) }
            func signIn(_ id: String) async throws -> String {
                let result = try await Commands.tocsin(
                    "console", "--json", "--node", daemons.directory.appendingPathComponent(id).path)
                #expect(result.status == 0, "\(result.errorOutput)")
                let link = try AdminJSON.decode(ConsoleSignIn.self, from: Data(result.output.utf8))
                #expect(link.url.hasPrefix("http://127.0.0.1:\(consoles[id]!)/signin?token="))
                return link.url
            }
            // A node without a console says how to turn it on.
            let none = try await Commands.tocsin(
                "console", "--node", daemons.directory.appendingPathComponent("RN").path)
            #expect(none.status != 0)
            #expect(none.errorOutput.contains("serves no console"), "\(none.errorOutput)")

            let shots = scratch.url.appendingPathComponent("shots")
            try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
            let configuration: [String: String] = [
                "xa_signin": try await signIn("XA"), "xb_signin": try await signIn("XB"),
                "xc_signin": try await signIn("XC"), "xa_console": "http://127.0.0.1:\(consoles["XA"]!)",
                "xb_console": "http://127.0.0.1:\(consoles["XB"]!)",
                "xc_console": "http://127.0.0.1:\(consoles["XC"]!)",
                "shots": shots.path,
            ]
            let result = try await Commands.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                [
                    "python3", Commands.repositoryRoot.appendingPathComponent("Tests/Browser/console_e2e.py").path,
                    String(decoding: try JSONSerialization.data(withJSONObject: configuration), as: UTF8.self),
                ])
            #expect(result.status == 0, "\(result.output)\n\(result.errorOutput.suffix(3000))")
            if result.status != 0 {
                // What each node logged, for a failure seen only where it cannot be kept.
                for id in everyone {
                    let lines = daemons.log(id).split(separator: "\n").suffix(40)
                    print("--- \(id)'s log, last lines:\n" + lines.joined(separator: "\n"))
                }
                if let keep = ProcessInfo.processInfo.environment["TOCSIN_KEEP_FAILED"] {
                    _ = try? await Commands.run(URL(fileURLWithPath: "/bin/cp"), ["-r", directory.path, keep])
                }
            }
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
                "\(result.output)\(result.errorOutput.suffix(2000))")
            #expect(report["ok"] as? Bool == true, "\(report)")
            let seconds = try #require(report["seconds_to_xc"] as? Double)
            print("the bulletin issued at XA's console reached XC's console in \(seconds) s")
            #expect(seconds <= 2, "the bulletin reached XC's console after \(seconds) s")
            for name in report["screenshots"] as? [String] ?? [] {
                let file = shots.appendingPathComponent(name)
                let png = try Data(contentsOf: file)
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name) is not a PNG")
                if let keep = ProcessInfo.processInfo.environment["TOCSIN_SCREENSHOTS"] {
                    let target = URL(fileURLWithPath: keep).appendingPathComponent(name)
                    try? FileManager.default.removeItem(at: target)
                    try FileManager.default.copyItem(at: file, to: target)
                }
            }
            #expect((report["screenshots"] as? [String])?.count == 8)
            // Every page shown was checked for contrast (WCAG AA) in the browser.
            #expect(
                Set(report["contrast_checked"] as? [String] ?? []) == [
                    "issue form", "inbox", "bulletin", "CAP import", "proposal", "network", "log entry", "French inbox",
                ])
        }
    }
}
