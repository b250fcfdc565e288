import Foundation
import TocsinDevelopment

typealias CommandResult = ExternalCommand.Result

/// Runs Tocsin's executables, the PKI script and the `openssl` command as a person would.
enum Commands {
    /// Where SwiftPM put this build's executables (beside the test bundle).
    static let productsDirectory: URL = {
        let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return bundle.deletingLastPathComponent()
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs a program to its end on a thread of its own (the test awaits it without holding
    /// one of Swift concurrency's threads).
    static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:]
    ) async throws
        -> CommandResult
    {
        var command = ExternalCommand(executable, arguments)
        command.environment = environment
        return try await Blocking.run { [command] in try command.run() }
    }

    static func tocsin(_ arguments: String...) async throws -> CommandResult {
        try await tocsin(arguments)
    }

    static func tocsin(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try await run(productsDirectory.appendingPathComponent("tocsin"), arguments, environment: environment)
    }

    /// `tocsin devnet DIR` on free ports; fails the test if it fails.
    static func devnet(_ directory: URL, nationals: Int, relays: Int, observers: Int) async throws {
        let result = try await tocsin(
            "devnet", directory.path, "--nationals", "\(nationals)", "--relays", "\(relays)", "--observers",
            "\(observers)", "--base-port", "\(DaemonTests.freePorts(nationals + relays + observers))")
        guard result.status == 0 else { throw DevnetFailed(message: result.errorOutput) }
    }

    /// Adds `text` to the `node.toml` in `folder` (a devnet node's folder): top-level keys
    /// before everything else (they must come before its `[[peers]]` tables), tables at the end.
    static func addToConfiguration(in folder: URL, keys: String = "", tables: String = "") throws {
        let file = folder.appendingPathComponent("node.toml")
        let toml = try String(contentsOf: file, encoding: .utf8)
        try Data((keys + toml + tables).utf8).write(to: file)
    }

    struct DevnetFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "tocsin devnet failed: \(message)" }
    }

    static func bench(_ arguments: String...) async throws -> CommandResult {
        try await run(productsDirectory.appendingPathComponent("tocsin-bench"), arguments)
    }

    static func openssl(_ arguments: String...) async throws -> CommandResult {
        try await run(URL(fileURLWithPath: "/usr/bin/env"), ["openssl"] + arguments)
    }

    static func pki(_ arguments: String...) async throws -> CommandResult {
        try await run(repositoryRoot.appendingPathComponent("Certs/tocsin-pki"), arguments)
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
