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

    static func run(_ executable: URL, _ arguments: [String]) throws -> CommandResult {
        try ExternalCommand(executable, arguments).run()
    }

    static func tocsin(_ arguments: String...) throws -> CommandResult {
        try tocsin(arguments)
    }

    static func tocsin(_ arguments: [String]) throws -> CommandResult {
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
