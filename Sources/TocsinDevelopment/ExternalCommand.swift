import Foundation

/// Runs another program to completion (the `openssl` command, Tocsin's own executables) and
/// captures what it printed: for tests, devnets and benchmarks.
public struct ExternalCommand: Sendable {
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
        public let errorOutput: String
    }

    public let executable: URL
    public let arguments: [String]
    /// Variables set for the command, over this process's environment.
    public var environment: [String: String] = [:]

    public init(_ executable: URL, _ arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// A program found on PATH (through `/usr/bin/env`).
    public static func onPath(_ name: String, _ arguments: [String]) -> ExternalCommand {
        ExternalCommand(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments)
    }

    /// Runs the command with `input` on standard input; kills it after `timeout` seconds.
    public func run(input: [UInt8] = [], timeout: TimeInterval = 120) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tocsin-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Files, not pipes: a chatty program can never block on a full pipe.
        let outputURL = scratch.appendingPathComponent("out")
        let errorURL = scratch.appendingPathComponent("err")
        let inputURL = scratch.appendingPathComponent("in")
        try Data(input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        }
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            errorOutput: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }

    /// Starts the command in the background (for servers such as `openssl s_server`).
    public func start() throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
