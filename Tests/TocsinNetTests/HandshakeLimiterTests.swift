import NIOConcurrencyHelpers
import NIOCore
import Testing
import TocsinNet

@Suite struct HandshakeLimiterTests {
    static func address(_ host: String) throws -> SocketAddress { try SocketAddress(ipAddress: host, port: 40_000) }

    @Test func eachSourceGetsItsBoundAndPlacesComeBackWhenReleased() throws {
        let limiter = HandshakeLimiter(maximumTotal: 10, maximumPerSource: 2)
        let flooder = try Self.address("127.0.0.2")
        let first = try limiter.admit(flooder).get()
        #expect(first.source == "127.0.0.2")
        _ = try limiter.admit(flooder).get()
        #expect(limiter.admit(flooder) == .failure(.perSource(source: "127.0.0.2", limit: 2)))
        // Another address is not held back by the first one's bound.
        #expect(try limiter.admit(try Self.address("127.0.0.1")).get().source == "127.0.0.1")
        #expect(limiter.inHandshake() == 3)
        limiter.release(first)
        limiter.release(first)  // twice: once counts
        #expect(limiter.inHandshake(from: flooder) == 1)
        #expect((try? limiter.admit(flooder).get()) != nil)
    }

    /// Sixteen sources filling every place cannot keep a seventeenth out: the connection that
    /// has waited longest is closed to make room.
    @Test func whenEveryPlaceIsTakenTheOldestHandshakeMakesRoom() throws {
        let limiter = HandshakeLimiter(maximumTotal: 4, maximumPerSource: 2)
        let closed = NIOLockedValueBox<[String]>([])
        for (number, host) in ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"].enumerated() {
            _ = try limiter.admit(try Self.address(host), close: { closed.withLockedValue { $0.append("\(number)") } })
                .get()
        }
        let peer = try limiter.admit(try Self.address("127.0.0.9")).get()
        #expect(peer.source == "127.0.0.9")
        #expect(closed.withLockedValue { $0 } == ["0"], "the oldest was closed")
        #expect(limiter.inHandshake() == 4)
        #expect(limiter.inHandshake(from: try Self.address("127.0.0.2")) == 1)
    }

    @Test func anIPv6SourceIsItsSlash64() throws {
        let limiter = HandshakeLimiter(maximumTotal: 10, maximumPerSource: 1)
        _ = try limiter.admit(try Self.address("2001:db8:1:2::1")).get()
        #expect(
            limiter.admit(try Self.address("2001:db8:1:2:ffff::7"))
                == .failure(.perSource(source: "2001:db8:1:2::/64", limit: 1)))
        #expect((try? limiter.admit(try Self.address("2001:db8:1:3::1")).get()) != nil)
        #expect(try limiter.admit(try Self.address("::ffff:192.0.2.7")).get().source == "192.0.2.7")
        #expect(
            "\(HandshakeLimiter.Refusal.perSource(source: "x", limit: 3))".contains("already in their TLS handshake"))
    }
}
