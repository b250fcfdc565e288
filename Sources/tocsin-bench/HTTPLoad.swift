import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A closed-loop HTTP/1.1 load: each client keeps one connection open and sends its next
/// request as soon as the answer to the last one has come, until the time is up. The same
/// generator drives Tocsin's admin API (a Unix socket) and etcd's HTTP gateway (TCP), so both
/// systems are measured by the same code.
struct HTTPLoad {
    /// One request, as the client sends it.
    struct Request: Sendable {
        var method: HTTPMethod = .POST
        var path: String
        var body: ByteBuffer
    }

    /// One answered request: when it was sent and answered (monotonic seconds), its status
    /// and body.
    struct Answer: Sendable {
        let client: Int
        let sentAt: Double
        let answeredAt: Double
        let status: UInt
        let body: ByteBuffer
    }

    let addresses: [SocketAddress]
    let host: String
    let group: MultiThreadedEventLoopGroup

    /// Runs `clients` clients for `seconds`, client `n` talking to `addresses[n % count]`;
    /// `request(client, sequence)` makes each request. Returns every answer.
    func run(
        clients: Int, seconds: Double, request: @escaping @Sendable (Int, Int) -> Request
    ) async throws -> [Answer] {
        let stopAt = monotonicSeconds() + seconds
        return try await withThrowingTaskGroup(of: [Answer].self) { tasks in
            for client in 0..<clients {
                let address = addresses[client % addresses.count]
                tasks.addTask {
                    try await Self.client(
                        client, address: address, host: host, group: group, stopAt: stopAt, request: request)
                }
            }
            var answers: [Answer] = []
            for try await some in tasks { answers += some }
            return answers
        }
    }

    static func client(
        _ client: Int, address: SocketAddress, host: String, group: MultiThreadedEventLoopGroup, stopAt: Double,
        request: @escaping @Sendable (Int, Int) -> Request
    ) async throws -> [Answer] {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: address.protocol == .unix ? 0 : 1)
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var answers: [Answer] = []
            var responses = inbound.makeAsyncIterator()
            var sequence = 0
            while monotonicSeconds() < stopAt {
                let next = request(client, sequence)
                sequence += 1
                var head = HTTPRequestHead(version: .http1_1, method: next.method, uri: next.path)
                head.headers.add(name: "Host", value: host)
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: "\(next.body.readableBytes)")
                let sentAt = monotonicSeconds()
                try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(next.body)), .end(nil)])
                var status: UInt = 0
                var body = ByteBuffer()
                reading: while let part = try await responses.next() {
                    switch part {
                    case .head(let head): status = head.status.code
                    case .body(var bytes): body.writeBuffer(&bytes)
                    case .end: break reading
                    }
                }
                answers.append(
                    Answer(client: client, sentAt: sentAt, answeredAt: monotonicSeconds(), status: status, body: body))
                guard status != 0 else { break }  // the connection closed
            }
            return answers
        }
    }
}

/// `--clients 1,16,256`: how many concurrent clients each round of a load runs.
struct ClientCounts: ExpressibleByArgument {
    let counts: [Int]

    init(counts: [Int]) { self.counts = counts }

    init?(argument: String) {
        let counts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0.map { (1...4096).contains($0) } ?? false }) else { return nil }
        self.counts = counts.compactMap { $0 }
    }

    var defaultValueDescription: String { counts.map(String.init).joined(separator: ",") }
}

/// Latency figures of a set of samples, in milliseconds.
struct LatencyFigures {
    let p50: Double
    let p99: Double
    let max: Double

    init(milliseconds values: [Double]) {
        p50 = percentile(values, 0.5)
        p99 = percentile(values, 0.99)
        max = values.max() ?? 0
    }
}

/// The value below which `fraction` of `values` lie (nearest rank); 0 for none.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Swift.max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
}
