import Foundation
import TocsinCore

/// `node.toml`: what `tocsind` runs. Relative paths are relative to the file's folder.
/// Docs/node.example.toml is the annotated reference.
public struct NodeConfiguration: Sendable, Equatable {
    public struct Peer: Sendable, Equatable {
        public let nodeID: String
        public let host: String
        public let port: Int

        public init(nodeID: String, host: String, port: Int) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
        }
    }

    public var nodeID: String
    public var dataDirectory: URL
    public var key: URL
    public var certificate: URL
    public var authority: URL
    public var charter: URL
    public var charterSignature: URL
    /// An amendment file of the authority (`tocsin charter amend`), read before the node starts:
    /// how a node the genesis charter does not name (admitted later) joins.
    public var charterAmendments: URL?
    public var listenHost: String
    public var listenPort: Int
    public var peers: [Peer]
    public var logLevel: String
    /// Cosign every verified checkpoint (relays always do).
    public var witness: Bool
    public var antiEntropySeconds: Int
    /// How far ahead of this node's clock a peer's cosignature may be dated (seconds).
    public var maximumClockSkewSeconds: Int
    /// Overrides the restore guard: append before any peer confirmed this node's own heads.
    /// Only for a node whose log exists nowhere else (for example the first node of a network).
    public var trustLocalLog: Bool
    /// The admin API's Unix socket (default: `admin.sock` in the data directory).
    public var adminSocket: URL
    /// Where `/metrics`, `/healthz` and `/readyz` are served (`metrics = "host:port"`); nil: off.
    public var metrics: ListenAddress?
    /// Where the web console listens (`console = "host:port"`); nil: off. Loopback unless the
    /// operator names another address.
    public var console: ListenAddress?
    /// `text` (one line per event, for people) or `json` (one object per line, for shippers).
    public var logFormat: LogFormat
    /// Where notifications go (`[[notify-channel]]`) and what rings (`[[notify-rule]]`).
    public var notificationChannels: [NotificationChannel]
    public var notificationPolicy: NotificationPolicy

    /// A `host:port` to listen on.
    public struct ListenAddress: Sendable, Equatable {
        public let host: String
        public let port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// How the daemon writes its log.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        case text, json
    }

    static let keys: Set<String> = [
        "node-id", "data-dir", "key", "certificate", "ca", "charter", "charter-signature", "charter-amendments",
        "listen",
        "peers",
        "log-level",
        "witness", "anti-entropy-seconds", "max-clock-skew-seconds", "admin-socket", "trust-local-log", "metrics",
        "console",
        "log-format", "notify-channel", "notify-rule",
    ]
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads and checks a configuration file.
    public init(contentsOf file: URL) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigurationError.unreadable(path: file.path)
        }
        try self.init(toml: String(decoding: data, as: UTF8.self), relativeTo: file.deletingLastPathComponent())
    }

    public init(toml text: String, relativeTo base: URL) throws(ConfigurationError) {
        let table: TOMLTable
        do throws(TOMLError) {
            table = try TOMLTable(parsing: text)
        } catch {
            throw ConfigurationError.syntax(line: error.line, reason: "column \(error.column): \(error.reason)")
        }
        for key in table.keys.sorted() where !Self.keys.contains(key) {
            throw ConfigurationError.unknownKey(key)
        }
        func string(_ key: String, default value: String? = nil) throws(ConfigurationError) -> String {
            guard let entry = table[key] else {
                guard let value else { throw ConfigurationError.missing(key) }
                return value
            }
            guard let string = entry.string, !string.isEmpty else {
                throw ConfigurationError.invalid(key: key, reason: "must be a non-empty string")
            }
            return string
        }
        func path(_ key: String, default value: String? = nil) throws(ConfigurationError) -> URL {
            let text = try string(key, default: value)
            return text.hasPrefix("/")
                ? URL(fileURLWithPath: text) : base.appendingPathComponent(text).standardizedFileURL
        }
        nodeID = try string("node-id")
        guard Identifier.isValid(nodeID) else {
            throw ConfigurationError.invalid(key: "node-id", reason: "not a node id")
        }
        dataDirectory = try path("data-dir")
        key = try path("key")
        certificate = try path("certificate")
        authority = try path("ca")
        charter = try path("charter")
        charterSignature = try path("charter-signature")
        charterAmendments = table["charter-amendments"] == nil ? nil : try path("charter-amendments")
        (listenHost, listenPort) = try Self.address(try string("listen"), key: "listen")
        logLevel = try string("log-level", default: "info")
        guard Self.logLevels.contains(logLevel) else {
            throw ConfigurationError.invalid(
                key: "log-level", reason: "one of \(Self.logLevels.joined(separator: ", "))")
        }
        let format = try string("log-format", default: LogFormat.text.rawValue)
        guard let logFormat = LogFormat(rawValue: format) else {
            throw ConfigurationError.invalid(key: "log-format", reason: "`text` or `json`")
        }
        self.logFormat = logFormat
        // A listener of its own, off when its key is absent.
        func listener(_ key: String) throws(ConfigurationError) -> ListenAddress? {
            guard table[key] != nil else { return nil }
            let (host, port) = try Self.address(try string(key), key: key)
            guard port > 0 else { throw ConfigurationError.invalid(key: key, reason: "the port must not be 0") }
            return ListenAddress(host: host, port: port)
        }
        metrics = try listener("metrics")
        console = try listener("console")
        if let value = table["witness"] {
            guard let flag = value.bool else {
                throw ConfigurationError.invalid(key: "witness", reason: "true or false")
            }
            witness = flag
        } else {
            witness = false
        }
        if let value = table["trust-local-log"] {
            guard let flag = value.bool else {
                throw ConfigurationError.invalid(key: "trust-local-log", reason: "true or false")
            }
            trustLocalLog = flag
        } else {
            trustLocalLog = false
        }
        if let value = table["anti-entropy-seconds"] {
            guard let seconds = value.int, seconds >= 1 else {
                throw ConfigurationError.invalid(
                    key: "anti-entropy-seconds", reason: "a whole number of seconds, 1 or more")
            }
            antiEntropySeconds = seconds
        } else {
            antiEntropySeconds = 30
        }
        if let value = table["max-clock-skew-seconds"] {
            guard let seconds = value.int, (1...86_400).contains(seconds) else {
                throw ConfigurationError.invalid(
                    key: "max-clock-skew-seconds", reason: "a whole number of seconds from 1 to 86400")
            }
            maximumClockSkewSeconds = seconds
        } else {
            maximumClockSkewSeconds = 300
        }
        adminSocket = try path("admin-socket", default: dataDirectory.appendingPathComponent("admin.sock").path)
        var peers: [Peer] = []
        if let value = table["peers"] {
            guard let array = value.array else {
                throw ConfigurationError.invalid(key: "peers", reason: "an array of [[peers]] tables")
            }
            for (position, element) in array.enumerated() {
                guard let peer = element.table, let id = peer["id"]?.string, let address = peer["address"]?.string,
                    Identifier.isValid(id)
                else {
                    throw ConfigurationError.invalid(
                        key: "peers", reason: "peer \(position + 1) needs `id` and `address = \"host:port\"`")
                }
                let (host, port) = try Self.address(address, key: "peers.\(id).address")
                peers.append(Peer(nodeID: id, host: host, port: port))
            }
        }
        self.peers = peers
        for key in ["notify-channel", "notify-rule"] where table[key] != nil && table[key]?.array == nil {
            throw ConfigurationError.invalid(key: key, reason: "an array of [[\(key)]] tables")
        }
        (notificationChannels, notificationPolicy) = try NotificationChannel.parse(
            channels: table["notify-channel"]?.array, rules: table["notify-rule"]?.array, relativeTo: base)
    }

    static func address(_ text: String, key: String) throws(ConfigurationError) -> (String, Int) {
        guard let separator = text.lastIndex(of: ":"), let port = Int(text[text.index(after: separator)...]),
            (0...65535).contains(port)
        else {
            throw ConfigurationError.invalid(key: key, reason: "\(text.debugDescription) is not host:port")
        }
        var host = String(text[..<separator])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ConfigurationError.invalid(key: key, reason: "the host is empty") }
        return (host, port)
    }
}

/// Why a node could not start. Each names the setting or file to fix.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case syntax(line: Int, reason: String)
    case unknownKey(String)
    case missing(String)
    case invalid(key: String, reason: String)
    case file(key: String, path: String, reason: String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read the configuration file \(path)"
        case .syntax(let line, let reason): return "configuration line \(line): \(reason)"
        case .unknownKey(let key): return "unknown configuration key `\(key)` (misspelt?)"
        case .missing(let key): return "the configuration needs `\(key)`"
        case .invalid(let key, let reason): return "configuration `\(key)`: \(reason)"
        case .file(let key, let path, let reason): return "`\(key)` (\(path)): \(reason)"
        case .mismatch(let reason): return reason
        }
    }
}
