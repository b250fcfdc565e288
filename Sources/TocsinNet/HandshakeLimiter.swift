import NIOConcurrencyHelpers
import NIOCore

/// Bounds the connections still in their TLS handshake, in total and per source address, so
/// that unauthenticated connections (idle sockets, slow handshakes) cannot take every place
/// a peer needs. A connection over its source's bound is closed before any TLS work. When all
/// places are taken, the connection that has waited longest in its handshake is closed to
/// make room: a peer's handshake takes milliseconds, so the oldest is an idle one. A
/// connection gives its place back once its peer is authenticated or it closes (the
/// handshake timeout closes it at the latest).
public final class HandshakeLimiter: Sendable {
    /// Connections in their handshake at once, from all sources.
    public let maximumTotal: Int
    /// Connections in their handshake at once from one address.
    public let maximumPerSource: Int

    /// A connection's place.
    public struct Place: Hashable, Sendable {
        public let source: String
        let number: UInt64
    }

    private struct Counts {
        var next: UInt64 = 0
        /// Places in admission order (the oldest first), with how to close each.
        var order: [UInt64] = []
        var places: [UInt64: (source: String, close: @Sendable () -> Void)] = [:]
        var bySource: [String: Int] = [:]
    }
    private let counts = NIOLockedValueBox(Counts())

    public init(maximumTotal: Int = 256, maximumPerSource: Int = 16) {
        self.maximumTotal = max(1, maximumTotal)
        self.maximumPerSource = max(1, maximumPerSource)
    }

    /// Why a connection was not admitted.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case perSource(source: String, limit: Int)

        public var description: String {
            switch self {
            case .perSource(let source, let limit):
                return "\(limit) connections from \(source) are already in their TLS handshake: this one is closed"
            }
        }
    }

    /// Takes a place for a connection from `address` (`close` ends it, should its place be
    /// needed), or says why there is none.
    public func admit(_ address: SocketAddress?, close: @escaping @Sendable () -> Void = {}) -> Result<Place, Refusal> {
        let source = Self.source(of: address)
        let (result, evicted): (Result<Place, Refusal>, (@Sendable () -> Void)?) = counts.withLockedValue { counts in
            let fromSource = counts.bySource[source] ?? 0
            guard fromSource < maximumPerSource else {
                return (.failure(.perSource(source: source, limit: maximumPerSource)), nil)
            }
            var evicted: (@Sendable () -> Void)?
            if counts.places.count >= maximumTotal, let oldest = counts.order.first {
                evicted = Self.remove(oldest, from: &counts)
            }
            let number = counts.next
            counts.next &+= 1
            counts.order.append(number)
            counts.places[number] = (source, close)
            counts.bySource[source] = (counts.bySource[source] ?? 0) + 1
            return (.success(Place(source: source, number: number)), evicted)
        }
        evicted?()
        return result
    }

    /// Gives back `place` (once authenticated, or closed); a place already given back or
    /// evicted is ignored.
    public func release(_ place: Place) {
        _ = counts.withLockedValue { Self.remove(place.number, from: &$0) }
    }

    private static func remove(_ number: UInt64, from counts: inout Counts) -> (@Sendable () -> Void)? {
        guard let removed = counts.places.removeValue(forKey: number) else { return nil }
        if let position = counts.order.firstIndex(of: number) { counts.order.remove(at: position) }
        let left = (counts.bySource[removed.source] ?? 1) - 1
        counts.bySource[removed.source] = left > 0 ? left : nil
        return removed.close
    }

    /// Connections in their handshake now (total, and from `address`).
    public func inHandshake(from address: SocketAddress? = nil) -> Int {
        counts.withLockedValue { counts in
            address.map { counts.bySource[Self.source(of: $0)] ?? 0 } ?? counts.places.count
        }
    }

    /// The host a connection comes from: its IPv4 address, or the /64 of its IPv6 address (one
    /// host holds a whole /64).
    static func source(of address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress else { return "unknown" }
        guard case .v6 = address else { return ip }
        // An IPv4 peer of a dual-stack listener: its IPv4 address.
        if ip.lowercased().hasPrefix("::ffff:"), ip.contains(".") { return String(ip.dropFirst(7)) }
        // The first four groups of the expanded address.
        var groups = ip.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if let gap = groups.firstIndex(of: "") {
            let missing = 8 - groups.filter { !$0.isEmpty }.count
            groups.removeAll { $0.isEmpty }
            groups.insert(contentsOf: Array(repeating: "0", count: max(0, missing)), at: min(gap, groups.count))
        }
        return groups.prefix(4).joined(separator: ":") + "::/64"
    }
}

/// Holds a connection's place in a `HandshakeLimiter` and gives it back, once, when the peer
/// is authenticated or the connection closes. Placed after the TLS handler.
public final class HandshakePlaceHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    private let limiter: HandshakeLimiter
    private var place: HandshakeLimiter.Place?

    public init(limiter: HandshakeLimiter, place: HandshakeLimiter.Place) {
        self.limiter = limiter
        self.place = place
    }

    private func giveBack() {
        if let place { limiter.release(place) }
        place = nil
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
