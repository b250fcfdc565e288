import Foundation
import Testing
import TocsinCore
import TocsinDevelopment
import TocsinNode
import TocsinStore

/// A node whose disk fills up: a real ENOSPC, from a small tmpfs (mounting one needs root;
/// elsewhere the test says why it did not run).
@Suite struct FullDiskTests {
    /// Runs `body` with a 4 MiB tmpfs mounted at a fresh folder, unmounted afterwards.
    static func withSmallFileSystem(_ body: (URL) async throws -> Void) async throws -> Bool {
        guard geteuid() == 0 else { return false }
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tocsin-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        guard try await run("/bin/mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", mountPoint.path) else {
            return false
        }
        do {
            try await body(mountPoint)
        } catch {
            _ = try? await run("/bin/umount", "-l", mountPoint.path)
            throw error
        }
        _ = try await run("/bin/umount", "-l", mountPoint.path)
        return true
    }

    static func run(_ executable: String, _ arguments: String...) async throws -> Bool {
        try await Blocking.run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    /// Fills the file system holding `folder` with a file of zeros until it is full.
    static func fill(_ folder: URL) throws -> URL {
        let filler = folder.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        defer { try? handle.close() }
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        return filler
    }

    /// The disk fills: appends are refused with the reason, the node keeps its session and
    /// answers reads, says what is wrong in its status and log; once there is room again it
    /// resumes by itself, pulls what it missed, appends again, and its log verifies.
    @Test func aNodeWhoseDiskIsFullRefusesAppendsKeepsItsSessionsAndResumesByItself() async throws {
        let ran = try await Self.withSmallFileSystem { small in
            try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
                try local.create("RN")
                try local.create("XC")
                try local.create("XA", in: small)
                try await local.start("RN", peers: [])
                try await local.start("XA", peers: ["RN"])
                try await local.start("XC", peers: ["RN"])
                let xa = local.nodes["XA"]!
                let first = try await local.append(
                    "XA", group: "nro", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
                #expect(await local.waiter.wait { local.size("RN", first.origin) == 1 })

                let filler = try Self.fill(small)
                await #expect {
                    try await xa.append(
                        group: "nro",
                        entries: [
                            SampleEntries.bulletin(number: 1, country: "XA", byteCount: 200 * 1024, authorTimeMs: 1)
                        ])
                } throws: { error in
                    guard case .storeCannotWrite = error as? NodeError else { return false }
                    return "\(error)".contains("free space")
                }
                let status = try await xa.status()
                #expect(
                    status.storeProblem?.reason.contains("disk is full") == true,
                    "the status says why the store cannot write: \(String(describing: status.storeProblem))")
                #expect(
                    local.logs.lines(of: "tocsin.XA").contains { $0.text.contains("the store cannot write") })
                // Refused at once while it lasts, with the same reason.
                await #expect(throws: NodeError.self) {
                    try await xa.append(
                        group: "nro", entries: [SampleEntries.bulletin(number: 2, country: "XA", authorTimeMs: 1)])
                }
                // XC writes meanwhile: XA hears of it but cannot store it yet.
                let fromXC = try await local.append(
                    "XC", group: "nro", [SampleEntries.bulletin(number: 0, country: "XC", authorTimeMs: 1)])
                try await Task.sleep(for: .milliseconds(500))
                #expect(await xa.connectedPeers() == ["RN"], "the session stays up")
                #expect(
                    !local.logs.lines(of: "tocsin.RN").contains { $0.text.contains("session failed") },
                    "no reconnection")
                #expect(try await xa.feedReports().contains { $0.origin == first.origin.description })

                try FileManager.default.removeItem(at: filler)
                #expect(
                    await local.waiter.wait(timeout: 20) { local.size("XA", fromXC.origin) == 1 },
                    "XA did not pull what it missed once the disk had room")
                #expect(try await xa.status().storeProblem == nil)
                let after = try await local.append(
                    "XA", group: "nro", [SampleEntries.bulletin(number: 1, country: "XA", authorTimeMs: 1)])
                #expect(after.firstIndex == 1, "nothing of the refused appends was kept")
                #expect(await local.waiter.wait { local.size("RN", first.origin) == 2 })
                #expect(try xa.store.audit().holds)
            }
        }
        if !ran { print("skipped: a real full disk needs a tmpfs, and mounting one needs root") }
    }
}
