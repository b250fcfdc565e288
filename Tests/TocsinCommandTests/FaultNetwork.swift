import Foundation
import NIOCore
import NIOPosix
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

/// Real `tocsind` processes for fault tests: RN convenes nro (RN, XA, XC, and with five
/// nationals XE), RS convenes sro (RS, XB, and XD), and everyone is in the network-wide group;
/// nationals dial their relay, RS dials RN. The links named go through a `FaultProxy` each
/// (`"XA→RN"`).
final class FaultNetwork: @unchecked Sendable {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    let network: FictionalNetwork
    let directory: URL
    let daemons: NodeProcesses
    let layout: [DevelopmentNetwork.Node]
    private(set) var proxies: [String: FaultProxy] = [:]

    var ids: [String] { layout.map(\.id) }

    private init(network: FictionalNetwork, directory: URL, layout: [DevelopmentNetwork.Node]) {
        self.network = network
        self.directory = directory
        self.layout = layout
        daemons = NodeProcesses(
            directory: directory, executable: Commands.productsDirectory.appendingPathComponent("tocsind"))
    }

    /// Writes the network (links through proxies as named; `prepare` may change the files
    /// before any node starts), runs `body`, stops every node and removes the files. Every
    /// node must stop cleanly (status 0): a crash anywhere fails the test.
    static func run(
        nationals: Int = 3, proxied links: [String] = [], prepare: (FaultNetwork) throws -> Void = { _ in },
        _ body: (FaultNetwork) async throws -> Void
    ) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let network = try FictionalNetwork.make(nationals: nationals, relays: 2, now: Date())
        let folder = scratch.url.appendingPathComponent("net")
        let layout = try DevelopmentNetwork.write(
            network, to: folder, basePort: DaemonTests.freePorts(network.members.count), antiEntropySeconds: 2)
        let faults = FaultNetwork(network: network, directory: folder, layout: layout)
        for link in links {
            let ends = link.components(separatedBy: "→")
            let (from, to) = (layout.first { $0.id == ends[0] }!, layout.first { $0.id == ends[1] }!)
            let proxy = try await FaultProxy(
                forwardingTo: try SocketAddress(ipAddress: "127.0.0.1", port: to.port), group: group)
            faults.proxies[link] = proxy
            let toml = try String(contentsOf: from.configuration, encoding: .utf8).replacingOccurrences(
                of: "address = \"127.0.0.1:\(to.port)\"", with: "address = \"127.0.0.1:\(proxy.port)\"")
            try Data(toml.utf8).write(to: from.configuration)
        }
        try prepare(faults)
        do {
            try await body(faults)
        } catch {
            _ = await faults.daemons.allStopped()
            for proxy in faults.proxies.values { await proxy.close() }
            throw error
        }
        let statuses = await faults.daemons.allStopped()
        for proxy in faults.proxies.values { await proxy.close() }
        for (id, status) in statuses where status != 0 {
            throw NodeExited(id: id, status: status, log: faults.daemons.logFile(id).path)
        }
    }

    func node(_ id: String) -> DevelopmentNetwork.Node { layout.first { $0.id == id }! }

    /// Starts every node and waits until each answers on its admin socket.
    func startAll(environment: [String: [String: String]] = [:]) async throws {
        for id in ids { try daemons.start(id, environment: environment[id] ?? [:]) }
        try await Blocking.run { try self.daemons.waitUntilServing(self.ids) }
    }

    func eventually(_ timeout: TimeInterval = 90) -> Eventually { DaemonTests.eventually(timeout, daemons) }

    /// Issues a bulletin at `id` through its admin API (waiting out the restore guard).
    @discardableResult
    func issue(at id: String, group: String, _ headline: String) async throws -> EntryReference {
        let client = daemons.client(id)
        let request = BulletinRequest(
            group: group, draft: BulletinDraft(headline: headline, severity: "moderate", country: id))
        let created = try await Blocking.run { try client.issue(request) }
        return try EntryReference(parsing: created.reference)
    }

    /// Whether `author`'s feed in `group` is the same size at every member of the group.
    func converged(author: String, group: String) -> Bool {
        let members = network.charter.group(group)!.members
        let own = daemons.size(author, group: group, author: author)
        return members.allSatisfy { daemons.size($0, group: group, author: author) == own }
    }

    /// Whether every feed of every group is the same at all of the group's members.
    func allConverged() -> Bool {
        network.charter.groups.allSatisfy { group in
            group.members.allSatisfy { converged(author: $0, group: group.id) }
        }
    }

    /// Stops every node and runs `tocsin verify` on each data directory: the messages of
    /// those that fail (none expected).
    func verifyAll() async throws -> [String] {
        let statuses = await daemons.allStopped()
        var failures = statuses.filter { $0.value != 0 }.map { "\($0.key) stopped with status \($0.value)" }
        for node in layout {
            let result = try await Commands.tocsin("verify", "--data-dir", daemons.dataDirectory(node.id).path)
            if result.status != 0 { failures.append("\(node.id): \(result.output) \(result.errorOutput)") }
        }
        return failures
    }

    /// A session to `port` as member `id`, with the key and certificate its folder holds.
    func member(_ id: String, port: Int, onRead: @escaping @Sendable () -> Void = {}) async throws -> MemberClient {
        let folder = directory.appendingPathComponent(id)
        return try await MemberClient(
            key: try KeyFile.read(from: folder.appendingPathComponent("node.key").path),
            certificate: try Certificate(
                pem: String(contentsOf: folder.appendingPathComponent("node.crt"), encoding: .utf8)),
            authority: network.authority.certificate, charter: network.charter, port: port, group: Self.group,
            onRead: onRead)
    }

    /// `id`'s latest checkpoint of its feed in `group`, read from its data directory.
    func head(of id: String, group: String) throws -> Tocsin_V1_Head {
        let store = try FeedStore.open(directory: daemons.dataDirectory(id))
        let origin = try FeedOrigin(network: store.networkID, group: group, author: id)
        guard let checkpoint = try store.head(of: origin)?.checkpoint else {
            throw StoreError.unknownFeed(origin.description)
        }
        return .with {
            $0.origin = origin.description
            $0.checkpoint = Data(checkpoint.note.formatted.utf8)
        }
    }
}
