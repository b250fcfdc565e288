import Foundation

/// Runs a helper program to completion on a thread of its own, never on an event loop or the
/// shared thread pool: a helper that hangs holds one thread for at most its timeout.
///
/// Standard input, output and error are files, not pipes, so neither side can block on a full
/// pipe: a helper that never reads its input, or writes more than is read, still ends within
/// the timeout.
enum ChildProcess {
    /// How a helper ended.
    struct Outcome: Sendable {
        let status: Int32
        /// The start of its standard output (up to the limit given).
        let output: Data
        /// The start of its standard error, made printable.
        let errors: String
    }

    /// Why a helper did not run to its end.
    enum Failure: Error, Sendable, CustomStringConvertible {
        case cannotStart(program: String, reason: String)
        case timedOut(program: String, seconds: Int)
        case noScratchSpace(reason: String)

        var description: String {
            switch self {
            case .cannotStart(let program, let reason): return "cannot run \(program): \(reason)"
            case .timedOut(let program, let seconds): return "\(program) did not finish within \(seconds) s"
            case .noScratchSpace(let reason):
                return "cannot make the temporary files a helper program needs: \(reason)"
            }
        }
    }

    /// Where `tocsin` is: next to this executable (`tocsind` and `tocsin` are installed side
    /// by side). The daemon, which holds the node's key, links neither an HTTP client nor an
    /// XML parser: webhook deliveries and CAP alerts go through `tocsin` in a child process.
    static var tocsinTool: URL? {
        guard let directory = Bundle.main.executableURL?.deletingLastPathComponent() else { return nil }
        let tool = directory.appendingPathComponent("tocsin")
        return FileManager.default.isExecutableFile(atPath: tool.path) ? tool : nil
    }

    /// Runs `words` (a path, then arguments) with `input` on its standard input; killed after
    /// `timeout` seconds.
    static func run(
        _ words: [String], input: [UInt8], timeout: TimeInterval, outputLimit: Int = 0
    ) async -> Result<Outcome, Failure> {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    returning: runBlocking(words, input: input, timeout: timeout, outputLimit: outputLimit))
            }
            thread.name = "tocsind helper"
            thread.start()
        }
    }

    private static func runBlocking(
        _ words: [String], input: [UInt8], timeout: TimeInterval, outputLimit: Int
    ) -> Result<Outcome, Failure> {
        let program = words.first ?? ""
        let manager = FileManager.default
        let scratch = manager.temporaryDirectory.appendingPathComponent("tocsind-helper-\(UUID().uuidString)")
        do {
            try manager.createDirectory(
                at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(.noScratchSpace(reason: "\(error)"))
        }
        defer { try? manager.removeItem(at: scratch) }
        let inputFile = scratch.appendingPathComponent("input")
        let outputFile = scratch.appendingPathComponent("output")
        let errorFile = scratch.appendingPathComponent("errors")
        guard manager.createFile(atPath: inputFile.path, contents: Data(input)),
            manager.createFile(atPath: outputFile.path, contents: nil),
            manager.createFile(atPath: errorFile.path, contents: nil),
            let inputHandle = try? FileHandle(forReadingFrom: inputFile),
            let outputHandle = try? FileHandle(forWritingTo: outputFile),
            let errorHandle = try? FileHandle(forWritingTo: errorFile)
        else { return .failure(.noScratchSpace(reason: "\(scratch.path) cannot be written")) }
        defer {
            try? inputHandle.close()
            try? outputHandle.close()
            try? errorHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(words.dropFirst())
        process.standardInput = inputHandle
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        do {
            try process.run()
        } catch {
            return .failure(.cannotStart(program: program, reason: "\(error)"))
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return .failure(.timedOut(program: program, seconds: Int(timeout)))
        }
        let output = outputLimit > 0 ? (try? readStart(of: outputFile, upTo: outputLimit)) ?? Data() : Data()
        let errors = String(decoding: (try? readStart(of: errorFile, upTo: 200)) ?? Data(), as: UTF8.self)
        return .success(
            Outcome(status: process.terminationStatus, output: output, errors: NotificationSources.plain(errors)))
    }

    private static func readStart(of file: URL, upTo limit: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        return try handle.read(upToCount: limit) ?? Data()
    }
}
