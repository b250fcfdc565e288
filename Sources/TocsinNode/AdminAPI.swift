import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TocsinCore
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// The admin API: HTTP/JSON on a Unix socket (mode 0600) in the data directory.
///
/// | method | path | answer |
/// | --- | --- | --- |
/// | GET | /v1/status | node, network, groups, feeds, entries, connected peers, forks |
/// | GET | /v1/peers | configured and connected peers |
/// | GET | /v1/feeds | every feed held with its head, checkpoint and cosigners |
/// | GET | /v1/entries?group=&author=&from=&limit= | entries, summarised |
/// | GET | /v1/forks | fork proofs held |
///
/// Bulletins, acknowledgements, proposals and votes: `AdminAPI+Consultation.swift`.
public enum AdminAPI {
    struct EntryReport: Encodable {
        let reference: String
        let origin: String
        let kind: String
        let summary: String
        let authorTimeMs: Int64
        let leafHash: String
    }

    struct ForkReport: Encodable {
        let origin: String
        let firstSize: UInt64
        let secondSize: UInt64
        let proof: String
    }

    struct Failure: Encodable {
        let error: String
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The admin application for `runtime`, listening on `socketPath`.
    public static func application(
        runtime: NodeRuntime, consultation: Consultation, socketPath: String, logger: Logger
    ) -> some Service {
        // A socket left by a crash would block the bind.
        try? FileManager.default.removeItem(atPath: socketPath)
        let router = Router()
        router.get("/v1/status") { _, _ -> Response in
            do { return json(try runtime.status()) } catch {
                return json(Failure(error: "\(error)"), status: .internalServerError)
            }
        }
        router.get("/v1/peers") { _, _ -> Response in json(runtime.peerStatuses()) }
        router.get("/v1/feeds") { _, _ -> Response in
            do { return json(try runtime.feedReports()) } catch {
                return json(Failure(error: "\(error)"), status: .internalServerError)
            }
        }
        router.get("/v1/entries") { request, _ -> Response in
            let query = request.uri.queryParameters
            let from = query["from"].flatMap { UInt64(String($0)) } ?? 0
            let limit = min(query["limit"].flatMap { Int(String($0)) } ?? 1000, 10_000)
            do {
                let entries = try runtime.store.entries(
                    group: query["group"].map(String.init), author: query["author"].map(String.init), from: from,
                    limit: limit)
                return json(
                    entries.map { entry in
                        let summary = EntrySummary(bytes: entry.bytes)
                        return EntryReport(
                            reference: entry.reference.description, origin: entry.origin.description,
                            kind: summary.kind,
                            summary: summary.text, authorTimeMs: entry.authorTimeMs, leafHash: entry.leafHash.hex)
                    })
            } catch {
                return json(Failure(error: "\(error)"), status: .internalServerError)
            }
        }
        router.get("/v1/forks") { _, _ -> Response in
            do {
                return json(
                    try runtime.store.forkProofs().map {
                        ForkReport(
                            origin: $0.origin, firstSize: $0.first.checkpoint.size,
                            secondSize: $0.second.checkpoint.size,
                            proof: Data($0.serialized).base64EncodedString())
                    })
            } catch {
                return json(Failure(error: "\(error)"), status: .internalServerError)
            }
        }
        addConsultationRoutes(to: router, runtime: runtime, consultation: consultation)
        var configuration = ApplicationConfiguration(
            address: .unixDomainSocket(path: socketPath), serverName: "tocsind")
        configuration.reuseAddress = true
        return Application(
            router: router, configuration: configuration,
            onServerRunning: { _ in
                // Only the daemon's user may talk to the node.
                chmod(socketPath, 0o600)
            }, logger: logger)
    }
}
