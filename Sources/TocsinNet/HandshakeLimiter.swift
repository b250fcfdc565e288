import NIOConcurrencyHelpers
import NIOCore

/// Bounds the connections still in their TLS handshake, in total and per source address, so
/// that unauthenticated connections (idle sockets, slow handshakes) cannot take every place
/// a peer needs. A connection over either bound is closed before any TLS work; one admitted
/// gives its place back once its peer is authenticated or it closes (the handshake timeout
/// closes it at the latest).
public final class HandshakeLimiter: Sendable {
    /// Connections in their handshake at once, from all sources.
    public let maximumTotal: Int
    /// Connections in their handshake at once from one address.
    public let maximumPerSource: Int

    private struct Counts {
        var total = 0
        var bySource: [String: Int] = [:]
    }
    private let counts = NIOLockedValueBox(Counts())

    public init(maximumTotal: Int = 256, maximumPerSource: Int = 16) {
        self.maximumTotal = max(1, maximumTotal)
        self.maximumPerSource = max(1, maximumPerSource)
    }

    /// Why a connection was not admitted.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case total(limit: Int)
        case perSource(source: String, limit: Int)

        public var description: String {
            switch self {
            case .total(let limit):
                return "\(limit) connections are already in their TLS handshake: this one is closed"
            case .perSource(let source, let limit):
                return "\(limit) connections from \(source) are already in their TLS handshake: this one is closed"
            }
        }
    }

    /// Takes a place for a connection from `address`, or says why there is none.
    public func admit(_ address: SocketAddress?) -> Result<String, Refusal> {
        let source = Self.source(of: address)
        return counts.withLockedValue { counts in
            guard counts.total < maximumTotal else { return .failure(.total(limit: maximumTotal)) }
            let fromSource = counts.bySource[source] ?? 0
            guard fromSource < maximumPerSource else {
                return .failure(.perSource(source: source, limit: maximumPerSource))
            }
            counts.total += 1
            counts.bySource[source] = fromSource + 1
            return .success(source)
        }
    }

    /// Gives back the place taken for `source`.
    public func release(_ source: String) {
        counts.withLockedValue { counts in
            counts.total = max(0, counts.total - 1)
            let left = (counts.bySource[source] ?? 1) - 1
            counts.bySource[source] = left > 0 ? left : nil
        }
    }

    /// Connections in their handshake now (total, and from `address`).
    public func inHandshake(from address: SocketAddress? = nil) -> Int {
        counts.withLockedValue { counts in
            address.map { counts.bySource[Self.source(of: $0)] ?? 0 } ?? counts.total
        }
    }

    /// The address without its port: the host a connection comes from.
    static func source(of address: SocketAddress?) -> String {
        address?.ipAddress ?? "unknown"
    }
}

/// Holds a connection's place in a `HandshakeLimiter` and gives it back, once, when the peer
/// is authenticated or the connection closes. Placed after the TLS handler.
public final class HandshakePlaceHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    private let limiter: HandshakeLimiter
    private var source: String?

    public init(limiter: HandshakeLimiter, source: String) {
        self.limiter = limiter
        self.source = source
    }

    private func giveBack() {
        if let source { limiter.release(source) }
        source = nil
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is PeerAuthenticated { giveBack() }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        giveBack()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        giveBack()
    }
}
