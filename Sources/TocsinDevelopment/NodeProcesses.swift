import Foundation
import TocsinAdmin
import TocsinNode

#if canImport(Glibc)
    import Glibc
#endif

/// The `tocsind` processes of a network laid out as `tocsin devnet` writes one
/// (`DIR/<node-id>/node.toml`): started, stopped, killed and watched one by one. The demo,
/// the end-to-end tests and the benchmarks all run their daemons through it.
///
/// Each node logs to `DIR/<node-id>/tocsind.log` (appended to across restarts).
public final class NodeProcesses: @unchecked Sendable {
    /// The network's folder.
    public let directory: URL
    /// The program run for each node, and the arguments before `--config`.
    public let executable: URL
    public let prefix: [String]
    private let lock = NSLock()
    private var processes: [String: Process] = [:]

    public init(directory: URL, executable: URL, prefix: [String] = []) {
        self.directory = directory
        self.executable = executable
        self.prefix = prefix
    }

    /// Runs `tocsind` from `folder` when it is built there, else `tocsin demo-node` (what
    /// `tocsind` does, for a checkout where only `tocsin` was built).
    public convenience init(directory: URL, programsIn folder: URL) {
        let tocsind = folder.appendingPathComponent("tocsind")
        if FileManager.default.isExecutableFile(atPath: tocsind.path) {
            self.init(directory: directory, executable: tocsind)
        } else {
            self.init(directory: directory, executable: folder.appendingPathComponent("tocsin"), prefix: ["demo-node"])
        }
    }

    public func configuration(_ id: String) -> URL {
        directory.appendingPathComponent(id).appendingPathComponent(NodeLocation.configurationName)
    }

    /// Where node `id` keeps its data and listens for its operator (from its `node.toml`).
    public func location(_ id: String) -> NodeLocation {
        (try? NodeLocation(resolving: configuration(id).path))
            ?? NodeLocation(
                dataDirectory: directory.appendingPathComponent("\(id)/data"),
                adminSocket: directory.appendingPathComponent("\(id)/data/\(NodeLocation.adminSocketName)"),
                configuration: configuration(id))
    }

    public func dataDirectory(_ id: String) -> URL { location(id).dataDirectory }

    /// A client of node `id`'s admin API.
    public func client(_ id: String) -> AdminClient { AdminClient(socketPath: location(id).adminSocket.path) }

    public func logFile(_ id: String) -> URL {
        directory.appendingPathComponent(id).appendingPathComponent("tocsind.log")
    }

    /// What node `id` has logged so far.
    public func log(_ id: String) -> String {
        (try? String(contentsOf: logFile(id), encoding: .utf8)) ?? ""
    }

    /// Starts node `id`, with `environment` added to this process's.
    public func start(_ id: String, environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = prefix + ["--config", configuration(id).path]
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        let log = logFile(id)
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }  // the child has its own copy
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { processes[id] = process }
    }

    public func start(_ ids: [String]) throws {
        for id in ids { try start(id) }
    }

    /// How long a node has to stop after SIGTERM before it is killed.
    public static let stopTimeout: TimeInterval = 30

    /// SIGTERM, then waits for the exit (SIGKILL after `stopTimeout`); returns the exit status
    /// (-1: not running here; a node killed for hanging reports the signal's status).
    @discardableResult
    public func stop(_ id: String) -> Int32 {
        guard let process = lock.withLock({ processes.removeValue(forKey: id) }) else { return -1 }
        if process.isRunning { process.terminate() }
        return Self.collect(process)
    }

    /// SIGKILL: the node gets no chance to finish anything.
    public func killAbruptly(_ id: String) {
        guard let process = lock.withLock({ processes.removeValue(forKey: id) }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops every node; their exit statuses by node id.
    @discardableResult
    public func stopAll() -> [String: Int32] {
        let running = lock.withLock {
            defer { processes = [:] }
            return processes
        }
        // Signal all first, so that they stop together, then collect.
        for process in running.values where process.isRunning { process.terminate() }
        return running.mapValues { Self.collect($0) }
    }

    /// Waits for a signalled process; kills it if it has not exited after `stopTimeout`.
    static func collect(_ process: Process) -> Int32 {
        let deadline = Date().addingTimeInterval(stopTimeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The process ids of the nodes running, by node id.
    public var processIdentifiers: [String: Int32] {
        lock.withLock { processes.mapValues(\.processIdentifier) }
    }

    /// Throws if a node started here has exited: a condition it was to bring about will not
    /// come (for `Eventually.abandon`).
    public func checkRunning() throws {
        let exited = lock.withLock { processes.filter { !$0.value.isRunning } }
        if let (id, process) = exited.min(by: { $0.key < $1.key }) {
            let text = (try? String(contentsOf: logFile(id), encoding: .utf8)) ?? ""
            throw NodeExited(
                id: id, status: process.terminationStatus, log: logFile(id).path,
                lastLines: text.split(separator: "\n").suffix(8).map(String.init))
        }
    }

    /// Waits until every node of `ids` answers on its admin socket.
    public func waitUntilServing(_ ids: [String], timeout: TimeInterval = 60) throws {
        let wait = Eventually(timeout: timeout, abandon: { try self.checkRunning() })
        for id in ids { _ = try wait.blockingValue("\(id)'s admin API") { try client(id).status() } }
    }

    /// Waits until every peer each node of `ids` dials is connected.
    public func waitUntilConnected(_ ids: [String], timeout: TimeInterval = 60) throws {
        let wait = Eventually(timeout: timeout, abandon: { try self.checkRunning() })
        for id in ids {
            try wait.blockingHolds("\(id) to connect to its peers") {
                try client(id).peers().filter { $0.address != nil }.allSatisfy(\.connected)
            }
        }
    }
}
