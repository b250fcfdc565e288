import Foundation

/// What a finished command printed and how it exited.
struct CommandResult {
    let status: Int32
    let output: String
    let errorOutput: String
}

/// Runs Tocsin's executables, the PKI script and the `openssl` command as a person would.
enum Commands {
    /// Where SwiftPM put this build's executables (beside the test bundle).
    static let productsDirectory: URL = {
        let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return bundle.deletingLastPathComponent()
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tocsin-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Files, not pipes: a chatty command can never block on a full pipe.
        let outputURL = scratch.appendingPathComponent("out")
        let errorURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            output: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            errorOutput: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }

    static func tocsin(_ arguments: String...) throws -> CommandResult {
        try run(productsDirectory.appendingPathComponent("tocsin"), arguments)
    }

    static func bench(_ arguments: String...) throws -> CommandResult {
        try run(productsDirectory.appendingPathComponent("tocsin-bench"), arguments)
    }

    static func openssl(_ arguments: String...) throws -> CommandResult {
        try run(URL(fileURLWithPath: "/usr/bin/env"), ["openssl"] + arguments)
    }

    static func pki(_ arguments: String...) throws -> CommandResult {
        try run(repositoryRoot.appendingPathComponent("Certs/tocsin-pki"), arguments)
    }
}

/// A scratch directory for one test.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
