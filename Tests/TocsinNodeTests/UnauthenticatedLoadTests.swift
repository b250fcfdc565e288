import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import TocsinCore
import TocsinDevelopment
import TocsinNet
import TocsinNode

/// Connections that never authenticate cannot take the places peers need.
@Suite struct UnauthenticatedLoadTests {
    /// 1,000 TCP connections from one address that never start TLS, reopened as soon as the
    /// node closes them: the node holds at most its per-source bound of them in handshake,
    /// says so in its log, and meanwhile a member's bulletin reaches a node that connects
    /// from another address during the flood.
    @Test func aThousandIdleConnectionsDoNotKeepPeersOut() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur >= 4096 else {
            print("skipped: 1,000 connections need 4,096 open files; this process may open \(limit.rlim_cur)")
            return
        }
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA", "XC"] { try local.create(id) }
            try await local.start("RN", peers: [])
            try await local.start("XA", peers: ["RN"])
            let relay = local.nodes["RN"]!
            let port = local.ports["RN"]!
            let bound = relay.handshakes.maximumPerSource
            let opened = SharedCounter()
            let highest = SharedCounter()
            // From 127.0.0.2: the node tells sources apart by address.
            func idle() async -> Channel? {
                try? await ClientBootstrap(group: LocalNetworkTests.group)
                    .bind(to: try SocketAddress(ipAddress: "127.0.0.2", port: 0))
                    .connect(host: "127.0.0.1", port: port).get()
            }
            let flood = Task {
                var channels: [Channel] = []
                for _ in 0..<1000 {
                    if let channel = await idle() {
                        channels.append(channel)
                        opened.add(1)
                    }
                }
                // Whatever the node closed is opened again, until the test ends.
                while !Task.isCancelled {
                    highest.raise(
                        to: relay.handshakes.inHandshake(from: try? SocketAddress(ipAddress: "127.0.0.2", port: 0)))
                    for index in channels.indices where !channels[index].isActive {
                        if let channel = await idle() { channels[index] = channel }
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                for channel in channels { try? await channel.close() }
            }
            // Generous: under a full parallel test run, opening a thousand connections is slow.
            #expect(await local.waiter.wait(timeout: 90) { opened.value >= 1000 }, "opened \(opened.value)")
            try await local.start("XC", peers: ["RN"])
            let batch = try await local.append(
                "XA", group: "nro", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
            #expect(
                await local.waiter.wait(timeout: 20) { local.size("XC", batch.origin) == 1 },
                "the bulletin did not reach XC during the flood")
            flood.cancel()
            await flood.value
            #expect(highest.value <= bound && highest.value > 0, "in handshake from 127.0.0.2: \(highest.value)")
            #expect(local.logs.lines(of: "tocsin.RN").contains { $0.text.contains("connections refused before TLS") })
        }
    }
}

/// A counter shared between a test and its tasks.
final class SharedCounter: Sendable {
    private let box = NIOLockedValueBox(0)
    var value: Int { box.withLockedValue { $0 } }
    func add(_ amount: Int) { box.withLockedValue { $0 += amount } }
    func raise(to candidate: Int) { box.withLockedValue { $0 = max($0, candidate) } }
}
