import ArgumentParser
import Foundation

@main
struct Tocsin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsin",
        abstract: "Operate and audit a Tocsin node.",
        discussion: """
            Offline commands read a data directory directly and never need a running daemon: \
            keygen, charter verify, log, show, verify.
            """,
        version: "0.1.0",
        subcommands: [
            Keygen.self, CharterCommand.self, Log.self, Show.self, Verify.self, Devnet.self, Status.self, Peers.self,
            Feeds.self, Bulletin.self, Acknowledge.self, Proposal.self, CastVote.self, CAPCommand.self, Demo.self,
            DemoNode.self,
        ])
}

/// Options naming a node's data directory.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (holding tocsin.sqlite).")
    var dataDir: String

    var url: URL { URL(fileURLWithPath: dataDir) }
}

/// A failure reported to the operator as `error: <message>` with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes a JSON value (objects with sorted keys) and a newline.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(
        withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Reads a whole file or fails with the path in the message.
func readFile(_ path: String, what: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandFailure("cannot read the \(what) at \(path)")
    }
    return Array(data)
}

/// Milliseconds since 1970 as ISO 8601 UTC.
func isoTime(milliseconds: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
}
