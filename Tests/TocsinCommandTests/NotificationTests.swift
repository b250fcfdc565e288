import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// The bell on real `tocsind` processes: a command channel and a webhook (a local receiver),
/// every event kind a running network can produce, HMAC-signed bodies, deliveries that wait out
/// a failing gateway and a restart, and the failure shown by `tocsin status`.
@Suite(.serialized) struct NotificationTests {
    @Test func everyEventKindIsDeliveredSignedAndSurvivesAFailingGatewayAndARestart() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 2, relays: 1, observers: 0)
        let gateway = try await WebhookReceiver(status: 500)
        let secret = "a-test-secret-\(UUID().uuidString)"
        let secretFile = scratch.url.appendingPathComponent("webhook.secret")
        try Data("\(secret)\n".utf8).write(to: secretFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
        let mailbox = scratch.url.appendingPathComponent("mailbox")
        // XA (a national node in nro and all) rings a command (as sendmail would be) and a gateway.
        try Commands.addToConfiguration(
            in: directory.appendingPathComponent("XA"),
            tables: """

                [[notify-channel]]
                name = "mail"
                command = ["/bin/sh", "-c", "cat >> '\(mailbox.path)'; echo >> '\(mailbox.path)'"]

                [[notify-channel]]
                name = "gateway"
                url = "http://127.0.0.1:\(gateway.port)/tocsin"
                secret-file = "\(secretFile.path)"

                [[notify-rule]]
                on = "bulletin"
                min-severity = "severe"
                channels = ["mail", "gateway"]

                [[notify-rule]]
                on = "bulletin"
                states = ["XQ"]
                channels = ["mail"]

                [[notify-rule]]
                on = "proposal-awaiting-vote"
                channels = ["gateway"]

                [[notify-rule]]
                on = "deadline"
                before = ["1h"]
                channels = ["gateway"]

                [[notify-rule]]
                on = "decision"
                channels = ["mail"]

                [[notify-rule]]
                on = "peer-unreachable"
                after = "2s"
                channels = ["gateway"]

                [[notify-rule]]
                on = "certificate-expiring"
                within = "366d"
                channels = ["mail"]

                """)

        try await NodeProcesses.testing(directory) { daemons in
            func node(_ id: String) -> String { daemons.directory.appendingPathComponent(id).path }
            func mailed() -> [NotificationEvent] {
                let text = (try? String(contentsOf: mailbox, encoding: .utf8)) ?? ""
                return text.split(separator: "\n").compactMap {
                    try? AdminJSON.decode(NotificationEvent.self, from: Data($0.utf8))
                }
            }
            func posted() -> [NotificationEvent] {
                gateway.requests.compactMap { try? AdminJSON.decode(NotificationEvent.self, from: Data($0.body)) }
            }
            let everyone = ["RN", "XA", "XB"]
            try daemons.start(everyone)
            try await Blocking.run { try daemons.waitUntilServing(everyone) }
            let wait = DaemonTests.eventually(60, daemons)

            // A severe bulletin by XB, a minor one (rings nobody), and a proposal XA has to vote on.
            let severe = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "Exercise: militias forming in XB", "--severity",
                "severe", "--country", "XB", "--node", node("XB"))
            #expect(severe.status == 0, "\(severe.errorOutput)")
            let minor = try await Commands.tocsin(
                "bulletin", "issue", "--group", "nro", "--headline", "Exercise: a minor matter", "--severity", "minor",
                "--country", "XB", "--node", node("XB"))
            #expect(minor.status == 0, "\(minor.errorOutput)")
            let opened = try await Commands.tocsin(
                "proposal", "open", "--group", "all", "--title", "Regional consultation on XB", "--action",
                "regional-consultation", "--policy", "majority", "--deadline", "30m", "--node", node("XB"))
            #expect(opened.status == 0, "\(opened.errorOutput)")
            let severeReference = severe.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let minorReference = minor.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let proposal = opened.output.trimmingCharacters(in: .whitespacesAndNewlines)

            // The command channel delivers at once; the gateway fails, and status says so.
            try await wait.holds("the severe bulletin and the certificate in the mailbox") {
                let kinds = mailed().map(\.kind)
                return kinds.contains(.bulletin) && kinds.contains(.certificateExpiring)
            }
            try await wait.holds("the gateway's failures in tocsin status") {
                let status = try? await Commands.tocsin("status", "--node", node("XA"))
                return status?.output.contains("WARNING   notifications to gateway FAIL since") == true
            }
            let statusJSON = try await Commands.tocsin("status", "--json", "--node", node("XA"))
            let report = try #require(
                try AdminJSON.decode(NodeStatus.self, from: Data(statusJSON.output.utf8)).notifications)
            #expect(report.problems.first?.lastError.contains("HTTP 500") == true, "\(report)")
            #expect(!gateway.requests.isEmpty)

            // XA restarts while the gateway still fails; once it answers, every queued event
            // arrives, signed.
            #expect(daemons.stop("XA") == 0)
            gateway.answer(200)
            try daemons.start("XA")
            try await Blocking.run { try daemons.waitUntilServing(["XA"]) }
            try await wait.holds("the bulletin, the proposal and its deadline at the gateway") {
                let delivered = Set(posted().map(\.id))
                return delivered.isSuperset(of: [
                    "bulletin:\(severeReference)", "proposal-awaiting-vote:\(proposal)", "deadline:\(proposal):3600000",
                ])
            }
            for request in gateway.requests {
                let expected = HMACSHA256.authenticationCode(for: request.body, key: Array(secret.utf8)).hex
                #expect(request.headers["x-tocsin-signature"] == "sha256=\(expected)")
                #expect(request.headers["content-type"] == "application/json")
            }
            #expect(!mailed().contains { $0.reference == minorReference }, "a minor bulletin rang")
            // Each event went to the mailbox once, restart or not.
            let mailedIDs = mailed().map(\.id)
            #expect(mailedIDs.count == Set(mailedIDs).count, "\(mailedIDs)")

            // Both national members vote: the convener's decision rings the mailbox.
            for voter in ["XA", "XB"] {
                let vote = try await Commands.tocsin("vote", proposal, "--endorse", "--node", node(voter))
                #expect(vote.status == 0, "\(voter): \(vote.errorOutput)")
            }
            try await DaemonTests.eventually(90, daemons).holds("the decision in the mailbox") {
                mailed().contains { $0.kind == .decision }
            }

            // The relay goes away: after 2 s unreachable, the gateway hears of it.
            #expect(daemons.stop("RN") == 0)
            try await wait.holds("RN unreachable at the gateway") {
                posted().contains { $0.kind == .peerUnreachable && $0.peer == "RN" }
            }

            // tocsin notify test goes through both channels and says so.
            let tested = try await Commands.tocsin("notify", "test", "--node", node("XA"))
            #expect(tested.status == 0, "\(tested.output) \(tested.errorOutput)")
            #expect(tested.output.contains("mail             delivered"), "\(tested.output)")
            #expect(tested.output.contains("gateway          delivered"), "\(tested.output)")
            // A node with no channel says so, and nothing is sent.
            let none = try await Commands.tocsin("notify", "test", "--node", node("XB"))
            #expect(none.status == 1)
            #expect(none.errorOutput.contains("no [[notify-channel]] is configured"), "\(none.errorOutput)")
            gateway.answer(503)
            let failing = try await Commands.tocsin("notify", "test", "--node", node("XA"))
            #expect(failing.status == 1)
            #expect(failing.output.contains("gateway          FAILED:"), "\(failing.output)")
        }
        await gateway.close()
    }

    /// A webhook's POST runs in `tocsin notify deliver` (the daemon links no HTTP library): a
    /// `tocsind` with a webhook channel and no `tocsin` beside it refuses to start, and says so.
    @Test func aDaemonWithAWebhookAndNoTocsinBesideItRefusesToStart() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 1, relays: 1, observers: 0)
        try Commands.addToConfiguration(
            in: directory.appendingPathComponent("XA"),
            tables: """

                [[notify-channel]]
                name = "gateway"
                url = "http://127.0.0.1:9/tocsin"

                [[notify-rule]]
                on = "fork"
                channels = ["gateway"]

                """)
        let alone = scratch.url.appendingPathComponent("bin/tocsind")
        try FileManager.default.createDirectory(
            at: alone.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Commands.productsDirectory.appendingPathComponent("tocsind"), to: alone)
        let refused = try await Commands.run(
            alone, ["--config", directory.appendingPathComponent("XA/node.toml").path])
        #expect(refused.status != 0)
        let said = refused.output + refused.errorOutput
        #expect(said.contains("notify-channel gateway"), "\(said)")
        #expect(said.contains("no executable tocsin next to tocsind"), "\(said)")
    }
}
