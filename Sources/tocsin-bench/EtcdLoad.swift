import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The load `replicated` puts on Tocsin, put on an etcd cluster through its HTTP gateway
/// (`POST /v3/kv/put`), for `Scripts/bench-vs-etcd`.
struct EtcdLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "etcd-load",
        abstract: "Puts of --value-bytes values into etcd by concurrent clients, through its HTTP gateway.",
        discussion: """
            Client n keeps one connection to endpoint n mod the number of endpoints and sends \
            its next put once the last is answered, for --seconds per client count. etcd answers \
            a put once a majority of its members has it durably (its defaults fsync the log). \
            Prints throughput and p50/p99/max latency for each client count.
            """)

    @Option(help: "etcd client endpoints, host:port, comma-separated.")
    var endpoints: String

    @Option(help: "Client counts, comma-separated (1–4096 each).")
    var clients: ClientCounts = ClientCounts(counts: [1, 16, 256])

    @Option(help: "Seconds each client count puts values.")
    var seconds: Double = 10

    @Option(help: "Size of each value, in bytes.")
    var valueBytes: Int = 1024

    func run() async throws {
        let counts = clients.counts
        guard seconds > 0, seconds <= 3600, (1...1 << 20).contains(valueBytes) else {
            throw ValidationError("--seconds 0–3600, --value-bytes 1–1048576")
        }
        let addresses = try endpoints.split(separator: ",").map { endpoint -> SocketAddress in
            let parts = endpoint.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (1...65_535).contains(port) else {
                throw ValidationError("--endpoints: \(endpoint) is not host:port")
            }
            return try SocketAddress.makeAddressResolvingHost(String(parts[0]), port: port)
        }
        guard !addresses.isEmpty else { throw ValidationError("--endpoints names no endpoint") }
        let loops = MultiThreadedEventLoopGroup.singleton
        let load = HTTPLoad(addresses: addresses, host: "127.0.0.1", group: loops)
        let value = Data(repeating: UInt8(ascii: "x"), count: valueBytes).base64EncodedString()
        var results: [[String: Any]] = []
        for count in counts {
            let answers = try await load.run(clients: count, seconds: seconds) { client, sequence in
                let key = Data("bench/\(count)/\(client)/\(sequence)".utf8).base64EncodedString()
                return HTTPLoad.Request(
                    path: "/v3/kv/put", body: ByteBuffer(string: "{\"key\":\"\(key)\",\"value\":\"\(value)\"}"))
            }
            let written = answers.filter { $0.status == 200 }
            guard let start = written.map(\.sentAt).min(), let end = written.map(\.answeredAt).max() else {
                let sample = answers.first.map { String(buffer: $0.body) } ?? "no answer"
                throw ValidationError("no put succeeded with \(count) clients: \(sample.prefix(300))")
            }
            let figures = LatencyFigures(milliseconds: written.map { ($0.answeredAt - $0.sentAt) * 1000 })
            results.append([
                "clients": count, "writes": written.count, "failed": answers.count - written.count,
                "writes_per_second": rounded(Double(written.count) / (end - start)),
                "p50_ms": rounded(figures.p50, 2), "p99_ms": rounded(figures.p99, 2), "max_ms": rounded(figures.max, 2),
            ])
        }
        emit([
            "scenario": "etcd-load", "endpoints": addresses.count, "value_bytes": valueBytes, "seconds": seconds,
            "results": results,
        ])
    }
}
