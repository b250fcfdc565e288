import NIOCore
import Testing
import TocsinNet

@Suite struct HandshakeLimiterTests {
    static func address(_ host: String) throws -> SocketAddress { try SocketAddress(ipAddress: host, port: 40_000) }

    @Test func eachSourceGetsItsBoundAndPlacesComeBackWhenReleased() throws {
        let limiter = HandshakeLimiter(maximumTotal: 10, maximumPerSource: 2)
        let flooder = try Self.address("127.0.0.2")
        #expect(try limiter.admit(flooder).get() == "127.0.0.2")
        #expect(try limiter.admit(flooder).get() == "127.0.0.2")
        #expect(limiter.admit(flooder) == .failure(.perSource(source: "127.0.0.2", limit: 2)))
        // Another address is not held back by the first one's bound.
        #expect(try limiter.admit(try Self.address("127.0.0.1")).get() == "127.0.0.1")
        #expect(limiter.inHandshake() == 3)
        limiter.release("127.0.0.2")
        #expect(limiter.inHandshake(from: flooder) == 1)
        #expect((try? limiter.admit(flooder).get()) != nil)
    }

    @Test func theTotalBoundHoldsAcrossSources() throws {
        let limiter = HandshakeLimiter(maximumTotal: 3, maximumPerSource: 2)
        for host in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] { _ = try limiter.admit(try Self.address(host)).get() }
        #expect(limiter.admit(try Self.address("127.0.0.5")) == .failure(.total(limit: 3)))
        #expect("\(HandshakeLimiter.Refusal.total(limit: 3))".contains("already in their TLS handshake"))
    }
}
