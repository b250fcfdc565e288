import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore
import TocsinDossier
import TocsinNode

@main
struct Tocsin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsin",
        abstract: "Operate and audit a Tocsin node.",
        discussion: """
            Offline commands read a data directory directly and never need a running daemon: \
            keygen, charter verify, log, show, verify. The others talk to a running node over its \
            admin socket. Name the node with --node DIR (its folder or its node.toml), or set \
            TOCSIN_NODE=DIR once; --data-dir also takes the node's folder.
            """,
        version: TocsinVersion.current,
        subcommands: [
            Keygen.self, CharterCommand.self, Log.self, Show.self, Verify.self, Devnet.self, Status.self, Peers.self,
            Feeds.self, Bulletin.self, Acknowledge.self, Proposal.self, CastVote.self, CAPCommand.self, Demo.self,
            DemoNode.self, Notify.self, DossierCommand.self, ConsoleCommand.self,
        ])
}

extension Tocsin {
    /// `tocsin --node DIR <command> …` names the node for the command that follows, as
    /// `TOCSIN_NODE=DIR tocsin <command> …` does.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.count >= 2, arguments[0] == "--node" {
            setenv(nodeEnvironmentVariable, arguments[1], 1)
            arguments.removeFirst(2)
        } else if let first = arguments.first, first.hasPrefix("--node=") {
            setenv(nodeEnvironmentVariable, String(first.dropFirst("--node=".count)), 1)
            arguments.removeFirst()
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exitWithDocumentedStatus(error)
        }
    }

    /// Exit statuses (Docs/OPERATIONS.md): 0 success, 1 a check failed or the node refused,
    /// 2 a usage error, 3 the node is unreachable.
    static func exitWithDocumentedStatus(_ error: any Error) -> Never {
        if exitCode(for: error) == .validationFailure {
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        if case .unreachable = error as? AdminClientError {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(3)
        }
        exit(withError: error)
    }
}

/// The environment variable naming the node when no option does.
let nodeEnvironmentVariable = "TOCSIN_NODE"

/// Options naming a node's data directory, for the offline commands.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The node's data directory (holding tocsin.sqlite), or its folder.")
    var dataDir: String?

    @Option(help: "The node: its folder or its node.toml (default: $TOCSIN_NODE).")
    var node: String?

    /// The data directory the options name.
    func location() throws -> NodeLocation {
        guard let path = node ?? dataDir ?? ProcessInfo.processInfo.environment[nodeEnvironmentVariable] else {
            throw CommandFailure(
                "name the node: --node DIR (its folder or node.toml) or --data-dir DIR, or set \(nodeEnvironmentVariable)"
            )
        }
        return try NodeLocation(resolving: path)
    }

    var url: URL { get throws { try location().dataDirectory } }
}

/// `--node`, `--data-dir` or `--socket`: where a running node's admin socket is.
struct AdminOptions: ParsableArguments {
    @Option(help: "The node: its folder or its node.toml (default: $TOCSIN_NODE).")
    var node: String?

    @Option(name: .customLong("data-dir"), help: "The node's data directory, or its folder.")
    var dataDir: String?

    @Option(help: "The node's admin socket.")
    var socket: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func client() throws -> AdminClient {
        if let socket { return AdminClient(socketPath: socket) }
        guard let path = node ?? dataDir ?? ProcessInfo.processInfo.environment[nodeEnvironmentVariable] else {
            throw CommandFailure(
                "name the node: --node DIR (its folder or node.toml), --data-dir DIR or --socket PATH, or set \(nodeEnvironmentVariable)"
            )
        }
        return AdminClient(socketPath: try NodeLocation(resolving: path).adminSocket.path)
    }
}

/// A failure reported to the operator as `error: <message>` with a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes a value as JSON (snake_case keys, sorted, indented) and a newline.
func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try AdminJSON.encode(value, pretty: true), as: UTF8.self))
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
    DossierTime.text(milliseconds: milliseconds)
}

/// Milliseconds since 1970 as an ISO 8601 time (UTC) for listings; `-` for none.
func timeText(_ milliseconds: Int64?) -> String {
    guard let milliseconds, milliseconds > 0 else { return "-" }
    return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
}

/// `text` as one shell word: quoted when it holds anything a shell would read.
func shellWord(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@%".contains($0) }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Prints one line for a person: text that came from peers or entries is written with
/// `Printable`, so that it cannot move the terminal's cursor or fake a line.
func printLine(_ text: String) {
    print(Printable.escaped(text))
}

/// Pads `text` to `width` characters, for columns.
func column(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text.padding(toLength: width, withPad: " ", startingAt: 0)
}
