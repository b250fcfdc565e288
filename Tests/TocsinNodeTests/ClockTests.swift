import Foundation
import NIOConcurrencyHelpers
import Testing
import TocsinCore
import TocsinDevelopment
import TocsinNode

/// Nodes whose clocks disagree, with the clock injected (the system's is never changed).
@Suite struct ClockTests {
    /// XA's clock runs an hour behind the relay's: the relay's cosignatures look an hour
    /// early to XA, which takes none of them and says so once; once its clock is right, the
    /// next exchange of heads brings them in. Nothing is lost.
    @Test func aCosignatureFromAClockAnHourAheadWaitsUntilTheClocksAgree() async throws {
        try await LocalNetworkTests.LocalNetwork.run(nationals: 3, relays: 2) { local in
            for id in ["RN", "XA"] { try local.create(id) }
            let offset = NIOLockedValueBox<TimeInterval>(-3600)
            try await local.start("RN", peers: [])
            try await local.start(
                "XA", peers: ["RN"], clock: { Date().addingTimeInterval(offset.withLockedValue { $0 }) })
            let batch = try await local.append(
                "XA", group: "nro", [SampleEntries.bulletin(number: 0, country: "XA", authorTimeMs: 1)])
            func cosignedByTheRelay(at id: String) -> Bool {
                let head = (try? local.nodes[id]!.store.head(of: batch.origin)) ?? nil
                return head?.checkpoint?.cosignatures.contains { $0.witnessName.hasSuffix("/RN") } == true
            }
            #expect(await local.waiter.wait { cosignedByTheRelay(at: "RN") })
            #expect(
                await local.waiter.wait {
                    local.logs.lines(of: "tocsin.XA").contains {
                        $0.text.contains("is dated") && $0.text.contains("ahead of this node's clock")
                    }
                }, "XA did not warn of the relay's clock")
            // Several rounds of heads later, still not taken, and warned of once.
            try await Task.sleep(for: .seconds(1))
            #expect(!cosignedByTheRelay(at: "XA"))
            #expect(
                local.logs.lines(of: "tocsin.XA").filter { $0.text.contains("ahead of this node's clock") }.count == 1)
            offset.withLockedValue { $0 = 0 }
            #expect(await local.waiter.wait { cosignedByTheRelay(at: "XA") }, "the cosignature never came in")
        }
    }
}
