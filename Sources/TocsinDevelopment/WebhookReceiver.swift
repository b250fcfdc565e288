import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A local HTTP/1.1 endpoint that records the requests it receives and answers each with the
/// status it is set to: a notification gateway for tests. Loopback only, one request per
/// connection, bodies up to 1 MiB.
public final class WebhookReceiver: Sendable {
    public struct Request: Sendable, Equatable {
        public let method: String
        public let path: String
        /// Header names in lower case.
        public let headers: [String: String]
        public let body: [UInt8]
    }

    private let channel: Channel
    private let state: NIOLockedValueBox<(status: Int, requests: [Request])>

    /// The port it listens on, on 127.0.0.1.
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// Listens on 127.0.0.1 (any free port), answering `status`.
    public init(status: Int = 200, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let state = NIOLockedValueBox<(status: Int, requests: [Request])>((status, []))
        self.state = state
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// What it answers from now on.
    public func answer(_ status: Int) { state.withLockedValue { $0.status = status } }

    /// Every request received so far, in order.
    public var requests: [Request] { state.withLockedValue { $0.requests } }

    public func close() async { try? await channel.close().get() }

    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: NIOLockedValueBox<(status: Int, requests: [Request])>
        var received: [UInt8] = []

        init(state: NIOLockedValueBox<(status: Int, requests: [Request])>) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += Array(unwrapInboundIn(data).readableBytesView)
            guard received.count <= 1 << 20 else { return context.close(promise: nil) }
            guard let end = received.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
            guard let requestLine = head.first?.split(separator: " "), requestLine.count >= 2 else {
                return context.close(promise: nil)
            }
            var headers: [String: String] = [:]
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            let length = min(max(Int(headers["content-length"] ?? "0") ?? 0, 0), 1 << 20)
            guard received.count - end.upperBound >= length else { return }
            let body = Array(received[end.upperBound..<end.upperBound + length])
            let status = state.withLockedValue { state in
                state.requests.append(
                    Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body))
                return state.status
            }
            let response = "HTTP/1.1 \(status) Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).whenComplete {
                _ in bound.value.close(promise: nil)
            }
            received = []
        }
    }
}
