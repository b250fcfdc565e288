import Foundation
import GRDB
import Logging
import NIOPosix
import ServiceLifecycle
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinNode
import TocsinStore

/// One node's runtime, consultation service and admin API, in this process, answering on a
/// Unix socket of its own; nothing dialled, nothing listened to on the network. Requests go
/// through the real HTTP server and the shared `AdminClient`.
///
/// Hummingbird's own test client is not used: it links swift-nio-ssl and AsyncHTTPClient, and
/// Tocsin links no crypto but the system's OpenSSL.
final class AdminNode: @unchecked Sendable {
    let id: String
    let network: FictionalNetwork
    let directory: URL
    let store: FeedStore
    let runtime: NodeRuntime
    let consultation: ConsultationService
    let client: AdminClient
    private let services: ServiceGroup
    private let running: Task<Void, any Error>

    /// Starts node `id` of `network` with its data in `directory/<id>`; `prepare` may write
    /// entries into its store first (as peers would have delivered them).
    init(
        _ id: String, of network: FictionalNetwork, in directory: URL, trustLocalLog: Bool = true,
        readinessTimeout: Duration = .seconds(10), prepare: (FeedStore) throws -> Void = { _ in }
    ) async throws {
        self.id = id
        self.network = network
        self.directory = directory.appendingPathComponent(id)
        store = try FeedStore.create(
            at: self.directory, genesis: network.signedCharter,
            authorityCertificatePEM: network.authority.certificate.pem, now: Date())
        try prepare(store)
        var logger = Logger(label: "tocsin.\(id)")
        logger.logLevel = .critical
        let member = network.member(id)!
        runtime = try NodeRuntime(
            nodeID: id, key: member.key, certificateChain: [member.certificate],
            authority: network.authority.certificate, store: store, group: MultiThreadedEventLoopGroup.singleton,
            logger: logger, witness: false, trustLocalLog: trustLocalLog)
        consultation = ConsultationService(runtime: runtime, logger: logger, readinessTimeout: readinessTimeout)
        await consultation.start()
        let socket = self.directory.appendingPathComponent("admin.sock").path
        client = AdminClient(socketPath: socket)
        let application = try AdminAPI.application(
            runtime: runtime, consultation: consultation, socketPath: socket, logger: logger)
        services = ServiceGroup(services: [application], logger: logger)
        let group = services
        running = Task { try await group.run() }
        let client = self.client
        try await Eventually(timeout: 30).holds("the admin socket") {
            (try? await Blocking.run { try client.status() }) != nil
        }
    }

    func stop() async {
        await services.triggerGracefulShutdown()
        _ = try? await running.value
        await consultation.stop()
        await runtime.stop()
    }

    /// Runs a request with the blocking client off the cooperative pool.
    func call<Answer: Sendable>(
        _ request: @escaping @Sendable (AdminClient) throws -> Answer
    ) async throws -> Answer {
        let client = self.client
        return try await Blocking.run { try request(client) }
    }

    /// The error a request fails with (nil: it succeeded).
    func failure(_ request: @escaping @Sendable (AdminClient) throws -> some Sendable) async -> AdminClientError? {
        do {
            _ = try await call(request)
            return nil
        } catch let error as AdminClientError {
            return error
        } catch {
            return .malformedAnswer("\(error)")
        }
    }

    /// A raw exchange, for headers and malformed requests.
    func exchange(_ method: String, _ path: String, body: String? = nil) async throws -> AdminClient.Response {
        try await call { try $0.exchange(method, path, body: body.map { Data($0.utf8) }) }
    }

    /// Appends `entries` as `author` straight into `store`, as replication would have.
    static func deliver(
        _ entries: [[UInt8]], by author: String, in group: String, of network: FictionalNetwork, to store: FeedStore
    ) throws -> EntryReference {
        let origin = try FeedOrigin(network: network.networkID, group: group, author: author)
        var feed = FeedAuthor(
            origin: origin, key: network.member(author)!.key,
            frontier: try store.head(of: origin)?.frontier ?? MerkleFrontier())
        let batch = try feed.append(entries)
        try store.append(batch, now: Date())
        return EntryReference(group: group, author: author, index: batch.firstIndex)
    }

    /// Lets writes succeed again (after `breakStore`).
    func repairStore() throws {
        let database = try DatabaseQueue(path: directory.appendingPathComponent(FeedStore.databaseFileName).path)
        try database.write { db in
            try db.execute(sql: "DROP TRIGGER refuse_everything; DROP TRIGGER refuse_probe")
        }
    }

    /// Makes every later write to the store fail, as a broken disk would.
    func breakStore() throws {
        let database = try DatabaseQueue(path: directory.appendingPathComponent(FeedStore.databaseFileName).path)
        try database.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_everything BEFORE INSERT ON entries
                    BEGIN SELECT RAISE(ABORT, 'the disk refuses writes'); END;
                    CREATE TRIGGER refuse_probe BEFORE INSERT ON write_probe
                    BEGIN SELECT RAISE(ABORT, 'the disk refuses writes'); END
                    """)
        }
    }
}
