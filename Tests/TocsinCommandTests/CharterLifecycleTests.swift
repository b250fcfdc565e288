import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

/// A living network of real `tocsind` processes (two relays and five states, then a sixth
/// admitted): the charter amended with `tocsin charter amend` and `publish`, adopted by every
/// node without a restart.
@Suite(.serialized) struct CharterLifecycleTests {
    /// The version in force at `id`, from its admin API (0 when it does not answer).
    static func inForce(_ net: FaultNetwork, _ id: String) -> UInt64 {
        (try? net.daemons.client(id).charterHistory().inForce) ?? 0
    }

    /// Writes `charter` as a draft, signs it with `tocsin charter amend` (taking effect at
    /// `takesEffect`, extending `previous`), and returns the amendment file's path.
    static func amend(
        _ net: FaultNetwork, _ charter: Charter, name: String, previous: String? = nil, takesEffect: Date = Date()
    ) async throws -> String {
        let draft = net.directory.appendingPathComponent("\(name).toml")
        try Data(charter.renderTOML().utf8).write(to: draft)
        let out = net.directory.appendingPathComponent("\(name).tocsin").path
        var arguments = [
            "charter", "amend", draft.path, "--genesis", net.directory.appendingPathComponent("charter.toml").path,
            "--genesis-signature", net.directory.appendingPathComponent("charter.sig").path, "--ca",
            net.directory.appendingPathComponent("ca.crt").path, "--key",
            net.directory.appendingPathComponent("ca.key").path, "--takes-effect",
            UTCTime.text(milliseconds: Int64(takesEffect.timeIntervalSince1970 * 1000)), "--out", out,
        ]
        if let previous { arguments += ["--previous", previous] }
        let result = try await Commands.tocsin(arguments)
        #expect(result.status == 0, "\(result.output) \(result.errorOutput)")
        return out
    }

    static func publish(_ net: FaultNetwork, _ file: String, at id: String) async throws -> CommandResult {
        try await Commands.tocsin(
            "charter", "publish", file, "--node", net.directory.appendingPathComponent(id).path)
    }

    /// Adds node `member` to the network's folder: key, certificate, and a `node.toml` that
    /// dials `peers` and reads `amendments` before it starts.
    static func addNode(
        _ net: FaultNetwork, _ member: FictionalNetwork.Member, amendments: String, peers: [String]
    ) throws {
        let folder = net.directory.appendingPathComponent(member.node.id)
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try KeyFile.write(member.key, to: folder.appendingPathComponent("node.key").path)
        try Data(member.certificate.pem.utf8).write(to: folder.appendingPathComponent("node.crt"))
        var toml = """
            node-id = "\(member.node.id)"
            data-dir = "data"
            key = "node.key"
            certificate = "node.crt"
            ca = "../ca.crt"
            charter = "../charter.toml"
            charter-signature = "../charter.sig"
            charter-amendments = "\(amendments)"
            listen = "127.0.0.1:\(DaemonTests.freePorts(1))"
            anti-entropy-seconds = 2

            """
        for peer in peers {
            toml += "\n[[peers]]\nid = \"\(peer)\"\naddress = \"127.0.0.1:\(net.node(peer).port)\"\n"
        }
        try Data(toml.utf8).write(to: folder.appendingPathComponent("node.toml"))
    }

    /// Replaces node `id`'s key and certificate with `member`'s (its new key), and names
    /// `amendments` in its `node.toml` when given.
    static func replaceKey(_ net: FaultNetwork, _ member: FictionalNetwork.Member, amendments: String? = nil) throws {
        let folder = net.directory.appendingPathComponent(member.node.id)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("node.key"))
        try KeyFile.write(member.key, to: folder.appendingPathComponent("node.key").path)
        try Data(member.certificate.pem.utf8).write(to: folder.appendingPathComponent("node.crt"))
        if let amendments {
            try Commands.addToConfiguration(in: folder, keys: "charter-amendments = \"\(amendments)\"\n")
        }
    }

    /// Admission of XF to nro, removal of XD, and a rotation of XB's key, in one amendment
    /// published at RN and adopted everywhere; then the history, the diff and `openssl`.
    @Test func admissionRemovalAndRotationOnARunningNetwork() async throws {
        try await FaultNetwork.run(nationals: 5) { net in
            #expect(net.ids.count == 7)
            try await net.startAll()
            try await net.issue(at: "XA", group: "nro", "Exercise: before the amendment")
            try await net.issue(at: "XB", group: FictionalNetwork.networkWideGroup, "Exercise: XB, old key")
            try await net.eventually().holds("XB's bulletin at XD") {
                net.daemons.size("XD", group: FictionalNetwork.networkWideGroup, author: "XB") >= 1
            }

            let newcomer = try net.network.issueMember(id: "XF", now: Date())
            let rotated = try net.network.issueMember(id: "XB", now: Date())
            let oldXB = net.network.member("XB")!.node
            let version2 = net.network.charter.amended(
                version: 2,
                nodes: { nodes in
                    nodes.filter { $0.id != "XD" }.map { node in
                        node.id == "XB"
                            ? Charter.Node(
                                id: "XB", name: node.name, role: node.role, publicKey: rotated.node.publicKey,
                                previousKeys: [Charter.PreviousKey(publicKey: oldXB.publicKey)])
                            : node
                    } + [newcomer.node]
                },
                groups: { groups in
                    groups.map { group in
                        var members = group.members.filter { $0 != "XD" }
                        if group.id == "nro" || group.id == FictionalNetwork.networkWideGroup { members.append("XF") }
                        return group.with(members: members)
                    }
                })
            // Taking effect a few seconds later: every node, XD included, holds it by then.
            let file = try await Self.amend(net, version2, name: "v2", takesEffect: Date().addingTimeInterval(6))
            let published = try await Self.publish(net, file, at: "RN")
            #expect(published.status == 0, "\(published.output) \(published.errorOutput)")
            let remaining = net.ids
            try await net.eventually(60).holds("version 2 in force everywhere") {
                remaining.allSatisfy { Self.inForce(net, $0) == 2 }
            }

            // XB still runs with its old key: its sessions end, as the version in force no longer pins it.
            try await net.eventually(30).holds("XB's old-key session closed by RS") {
                net.daemons.log("RS").contains("no longer pins the key of its certificate")
            }
            // Removal: XD's sessions close and stay closed; it receives nothing more.
            try await net.eventually(30).holds("XD without sessions") {
                ((try? net.daemons.client("XD").status().connectedPeers) ?? ["?"]).isEmpty
            }
            let xdHeldOfXB = net.daemons.size("XD", group: FictionalNetwork.networkWideGroup, author: "XB")

            // Admission. With an amendment file that is not one, XF refuses to start and says why.
            let garbage = net.directory.appendingPathComponent("garbage.tocsin")
            try Data("not an amendment".utf8).write(to: garbage)
            try Self.addNode(net, newcomer, amendments: garbage.path, peers: ["RN"])
            let refused = try await Commands.run(
                Commands.productsDirectory.appendingPathComponent("tocsind"),
                ["--config", net.directory.appendingPathComponent("XF/node.toml").path])
            #expect(refused.status != 0)
            #expect(
                (refused.output + refused.errorOutput).contains("charter-amendments"),
                "\(refused.output)\(refused.errorOutput)")
            #expect(
                (refused.output + refused.errorOutput).contains("not a Tocsin amendment file"),
                "\(refused.output)\(refused.errorOutput)")
            // With the authority's file, XF joins, catches up nro's history, is heard.
            try FileManager.default.removeItem(at: net.directory.appendingPathComponent("XF"))
            try Self.addNode(net, newcomer, amendments: file, peers: ["RN"])
            try net.daemons.start("XF")
            try await Blocking.run { try net.daemons.waitUntilServing(["XF"]) }
            try await net.eventually(60).holds("nro's history at XF") {
                net.daemons.size("XF", group: "nro", author: "XA") >= 1
            }
            try await net.issue(at: "XF", group: "nro", "Exercise: XF, admitted")
            try await net.eventually(60).holds("XF's bulletin at XA") {
                net.daemons.size("XA", group: "nro", author: "XF") >= 1
            }

            // Rotation: XB restarts with its new key; peers accept it.
            #expect(net.daemons.stop("XB") == 0)
            try Self.replaceKey(net, rotated)
            try net.daemons.start("XB")
            try await Blocking.run { try net.daemons.waitUntilServing(["XB"]) }
            try await net.issue(at: "XB", group: FictionalNetwork.networkWideGroup, "Exercise: XB, new key")
            try await net.eventually(60).holds("XB's new bulletin at RN, XC and XF") {
                let own = net.daemons.size("XB", group: FictionalNetwork.networkWideGroup, author: "XB")
                return own >= 2
                    && ["RN", "XC", "XF"].allSatisfy {
                        net.daemons.size($0, group: FictionalNetwork.networkWideGroup, author: "XB") == own
                    }
            }
            #expect(net.daemons.size("XD", group: FictionalNetwork.networkWideGroup, author: "XB") == xdHeldOfXB)

            // The history and the diff, as JSON.
            let history = try await Commands.tocsin(
                "charter", "history", "--json", "--node", net.directory.appendingPathComponent("XC").path)
            #expect(history.status == 0, "\(history.errorOutput)")
            let versions = try AdminJSON.decode(CharterHistory.self, from: Data(history.output.utf8))
            #expect(versions.versions.map(\.version) == [1, 2])
            #expect(versions.inForce == 2)
            #expect(versions.versions[1].replaces == versions.versions[0].sha256)
            let diffJSON = try await Commands.tocsin(
                "charter", "diff", "1", "2", "--json", "--node", net.directory.appendingPathComponent("RS").path)
            let changes = try AdminJSON.decode([CharterDiff.Change].self, from: Data(diffJSON.output.utf8))
            #expect(changes.contains { $0.subject == "node" && $0.id == "XF" && $0.aspect == "added" })
            let diff = try await Commands.tocsin(
                "charter", "diff", "1", "2", "--node", net.directory.appendingPathComponent("RS").path)
            #expect(diff.output.contains("node XD: removed"), "\(diff.output)")
            #expect(diff.output.contains("node XF: added"), "\(diff.output)")
            #expect(diff.output.contains("node XB: key (rotated)"), "\(diff.output)")
            #expect(diff.output.contains("group nro: members admitted XF"), "\(diff.output)")

            // Plain openssl verifies the amendment's signature with the authority certificate.
            let toml = net.directory.appendingPathComponent("v2-as-held.toml")
            let signature = net.directory.appendingPathComponent("v2-as-held.sig")
            try Data(versions.versions[1].toml.utf8).write(to: toml)
            try Data(base64Encoded: versions.versions[1].signature)!.write(to: signature)
            let verified = try await Commands.openssl(
                "pkeyutl", "-verify", "-rawin", "-certin", "-inkey",
                net.directory.appendingPathComponent("ca.crt").path,
                "-in", toml.path, "-sigfile", signature.path)
            #expect(verified.output.contains("Signature Verified Successfully"), "\(verified.errorOutput)")

            #expect(try await net.verifyAll() == [])
            let xf = try await Commands.tocsin("verify", "--data-dir", net.daemons.dataDirectory("XF").path)
            #expect(xf.status == 0, "\(xf.output) \(xf.errorOutput)")
        }
    }

    /// A group whose charter says `history = "from-admission"`: a state admitted later receives
    /// each of the group's feeds from the first entry written at or after its admission, and
    /// nothing before it, from any peer; a group with the whole history gives it everything.
    @Test func aStateAdmittedToAFromAdmissionGroupReceivesOnlyWhatFollowsItsAdmission() async throws {
        try await FaultNetwork.run(nationals: 5) { net in
            let wideGroup = FictionalNetwork.networkWideGroup
            try await net.startAll()
            try await net.issue(at: "XA", group: "nro", "Exercise: before XF's admission, first")
            let before = try await net.issue(at: "XA", group: "nro", "Exercise: before XF's admission")
            let wide = try await net.issue(at: "XA", group: wideGroup, "Exercise: network-wide, before XF")
            try await net.eventually().holds("XA's bulletins at RN and XC") {
                ["RN", "XC"].allSatisfy {
                    net.daemons.size($0, group: "nro", author: "XA") > before.index
                        && net.daemons.size($0, group: wideGroup, author: "XA") > wide.index
                }
            }

            let newcomer = try net.network.issueMember(id: "XF", now: Date())
            let version2 = net.network.charter.amended(
                version: 2, nodes: { $0 + [newcomer.node] },
                groups: { groups in
                    groups.map { group in
                        switch group.id {
                        case "nro": return group.with(members: group.members + ["XF"], history: .fromAdmission)
                        case wideGroup: return group.with(members: group.members + ["XF"])
                        default: return group
                        }
                    }
                })
            let takesEffect = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.up))
            let file = try await Self.amend(net, version2, name: "v2", takesEffect: takesEffect)
            let published = try await Self.publish(net, file, at: "RN")
            #expect(published.status == 0, "\(published.output) \(published.errorOutput)")
            let founders = net.ids
            try await net.eventually(60).holds("version 2 in force everywhere") {
                founders.allSatisfy { Self.inForce(net, $0) == 2 }
            }
            let after = try await net.issue(at: "XA", group: "nro", "Exercise: after XF's admission")

            // Where XA's feed starts for XF: the first entry XA wrote at or after the admission.
            let origin = try FeedOrigin(network: net.network.networkID, group: "nro", author: "XA")
            let admittedMs = Int64(takesEffect.timeIntervalSince1970 * 1000)
            let cut = try FeedStore.open(directory: net.daemons.dataDirectory("XA")).firstIndex(
                of: origin, authoredFromMs: admittedMs)
            #expect(cut == after.index)

            try Self.addNode(net, newcomer, amendments: file, peers: ["RN", "XC"])
            try net.daemons.start("XF")
            try await Blocking.run { try net.daemons.waitUntilServing(["XF"]) }
            try await net.eventually(60).holds("XA's nro feed at XF, as long as at XA") {
                let own = net.daemons.size("XA", group: "nro", author: "XA")
                return own > after.index && net.daemons.size("XF", group: "nro", author: "XA") == own
            }
            let client = net.daemons.client("XF")
            let held = try #require(try client.feeds().first { $0.origin == origin.description })
            #expect(held.firstIndex == after.index)
            // The store holds the batch a moment before the consultation has read it.
            try await net.eventually(30).holds("XA's bulletin after the admission listed at XF") {
                (try? client.bulletins().map(\.reference).contains(after.description)) == true
            }
            let listed = try client.bulletins().map(\.reference)
            #expect(listed.contains(after.description))
            #expect(!listed.contains(before.description))
            #expect(throws: AdminClientError.self) { try client.bulletin(before.description) }
            // The network-wide group keeps its whole history for a newcomer.
            try await net.eventually(60).holds("XA's network-wide bulletin at XF") {
                (try? client.bulletin(wide.description)) != nil
            }
            let feeds = try await Commands.tocsin("feeds", "--node", net.directory.appendingPathComponent("XF").path)
            #expect(feeds.output.contains("(held from #\(after.index))"), "\(feeds.output)")

            // XF's own bulletins reach the group; after a restart it holds the feed as before.
            try await net.issue(at: "XF", group: "nro", "Exercise: XF, admitted")
            try await net.eventually(60).holds("XF's bulletin at XA") {
                net.daemons.size("XA", group: "nro", author: "XF") >= 1
            }
            #expect(net.daemons.stop("XF") == 0)

            // Played by hand as XF against XC, which holds the whole feed: a Want from below the
            // cut shows nothing before it, one from 0 starts at the cut with the base.
            let session = try await net.member("XF", port: net.node("XC").port)
            try await session.send(MemberClient.hello(from: "XF", network: net.network.networkID, charterVersion: 2))
            func answers() -> [Tocsin_V1_Entries] {
                session.messages.compactMap {
                    if case .entries(let entries) = $0.body, entries.origin == origin.description {
                        entries
                    } else {
                        nil
                    }
                }
            }
            for from in [1, after.index, 0] {
                try await session.send(
                    .with {
                        $0.want = .with {
                            $0.origin = origin.description
                            $0.from = from
                            $0.to = after.index + 1
                        }
                    })
            }
            #expect(after.index >= 2)
            try await net.eventually(30).holds("XC's answers to XF's Wants") { answers().count >= 2 }
            // Anything for the Want from 1 would have come first.
            let served = answers()
            #expect(served.map(\.firstIndex) == [after.index, after.index], "\(served.map(\.firstIndex))")
            #expect(served[0].base.isEmpty)
            #expect(served[1].base.count == after.index.nonzeroBitCount)
            #expect(served.allSatisfy { $0.entries.count == 1 })
            await session.close()

            try net.daemons.start("XF")
            try await Blocking.run { try net.daemons.waitUntilServing(["XF"]) }
            let next = try await net.issue(at: "XA", group: "nro", "Exercise: after XF's restart")
            try await net.eventually(60).holds("XA's next bulletin at XF") {
                net.daemons.size("XF", group: "nro", author: "XA") > next.index
            }
            #expect(try client.feeds().first { $0.origin == origin.description }?.firstIndex == after.index)

            #expect(try await net.verifyAll() == [])
            let verified = try await Commands.tocsin("verify", "--data-dir", net.daemons.dataDirectory("XF").path)
            #expect(verified.status == 0, "\(verified.output) \(verified.errorOutput)")
        }
    }

    /// XC's key is revoked after a compromise; checkpoints made with it beyond the named sizes
    /// are refused everywhere, XC goes on under its new key. Bad amendments change nothing; two
    /// amendments at one version become a fork proof every node holds, and neither is adopted.
    @Test func revocationBadAmendmentsAndAForkOfTheCharter() async throws {
        try await FaultNetwork.run(nationals: 5) { net in
            try await net.startAll()
            try await net.issue(at: "XC", group: "nro", "Exercise: XC before the compromise")
            try await net.eventually().holds("XC's feed at RN") { net.converged(author: "XC", group: "nro") }
            // XC stops; the authority names what XC holds as the last legitimate checkpoints.
            #expect(net.daemons.stop("XC") == 0)
            let limits = [
                "nro": net.daemons.size("XC", group: "nro", author: "XC"),
                FictionalNetwork.networkWideGroup: net.daemons.size(
                    "XC", group: FictionalNetwork.networkWideGroup, author: "XC"),
            ]
            let stolenKey = net.network.member("XC")!.key
            let renewed = try net.network.issueMember(id: "XC", now: Date())
            let version2 = net.network.charter.amended(
                version: 2,
                nodes: { nodes in
                    nodes.map { node in
                        node.id == "XC"
                            ? Charter.Node(
                                id: "XC", name: node.name, role: node.role, publicKey: renewed.node.publicKey,
                                previousKeys: [Charter.PreviousKey(publicKey: node.publicKey, validThrough: limits)])
                            : node
                    }
                })
            let file = try await Self.amend(net, version2, name: "v2")
            #expect(try await Self.publish(net, file, at: "RS").status == 0)
            let running = net.ids.filter { $0 != "XC" }
            try await net.eventually(60).holds("version 2 in force") {
                running.allSatisfy { Self.inForce(net, $0) == 2 }
            }
            // XC was offline: it reads the amendment that pins its new key before it starts.
            try Self.replaceKey(net, renewed, amendments: file)
            try net.daemons.start("XC")
            try await Blocking.run { try net.daemons.waitUntilServing(["XC"]) }
            try await net.issue(at: "XC", group: "nro", "Exercise: XC under its new key")
            try await net.eventually(60).holds("XC's new bulletin everywhere in nro") {
                net.converged(author: "XC", group: "nro")
                    && net.daemons.size("RN", group: "nro", author: "XC") > limits["nro"]!
            }

            // The thief signs a checkpoint beyond the limit; another member offers it.
            let origin = try FeedOrigin(network: net.network.networkID, group: "nro", author: "XC")
            let forged = try SignedCheckpoint.sign(
                Checkpoint(origin: origin.description, size: 50, root: SHA256.hash(Array("stolen".utf8))),
                key: stolenKey)
            for target in ["RN", "XA"] {
                let before = net.daemons.size(target, group: "nro", author: "XC")
                // Offered over a session of XE's own making, while the real XE is connected: the
                // node keeps one session per peer, so the real XE dialling again may displace
                // this one before the checkpoint is read. Offered again, every 2 s, until refused.
                var nextOffer = Date.distantPast
                try await net.eventually(60).holds("\(target) refusing the stolen key") {
                    if net.daemons.log(target).contains("signed with a key the charter revoked") { return true }
                    guard Date() >= nextOffer else { return false }
                    nextOffer = Date().addingTimeInterval(2)
                    let client = try await net.member("XE", port: net.node(target).port)
                    client.channel.write(
                        MemberClient.hello(from: "XE", network: net.network.networkID, charterVersion: 2),
                        promise: nil)
                    try? await client.channel.writeAndFlush(
                        Tocsin_V1_Message.with {
                            $0.checkpoint = .with {
                                $0.origin = origin.description
                                $0.checkpoint = Data(forged.note.formatted.utf8)
                            }
                        })
                    try? await Task.sleep(for: .milliseconds(500))
                    // Closed already when the node displaced it.
                    try? await client.channel.close()
                    return net.daemons.log(target).contains("signed with a key the charter revoked")
                }
                #expect(net.daemons.size(target, group: "nro", author: "XC") == before)
            }

            // Bad amendments: each refused, and nothing changes.
            let chain2 = try AmendmentBundle(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            let held = try chain2.verify(
                genesis: net.network.signedCharter, authority: net.network.authority.key.publicKey)
            let notHigher = try net.network.amendment(
                net.network.charter.amended(version: 2), after: held, previous: chain2, takesEffectMs: 0)
            let wrongHash = try net.network.amendment(
                version2.amended(version: 3), after: net.network.genesisChain, previous: chain2,
                takesEffectMs: Int64(Date().timeIntervalSince1970) * 1000)
            let badSignature = try Self.amendmentSignedBy(
                try Ed25519PrivateKey.generate(), version2.amended(version: 3), after: held, previous: chain2, net: net)
            for (name, bundle, reason) in [
                ("not-higher", notHigher, "not higher"), ("wrong-hash", wrongHash, "replaces"),
                ("bad-signature", badSignature, "signature"),
            ] {
                let path = net.directory.appendingPathComponent("\(name).tocsin").path
                try Data(bundle.serialized).write(to: URL(fileURLWithPath: path))
                let refused = try await Self.publish(net, path, at: "RN")
                #expect(refused.status != 0, "\(name) was published")
                #expect(refused.errorOutput.contains(reason), "\(name): \(refused.errorOutput)")
            }
            let garbage = net.directory.appendingPathComponent("garbage.tocsin")
            try Data("not an amendment".utf8).write(to: garbage)
            let unreadable = try await Self.publish(net, garbage.path, at: "RN")
            #expect(unreadable.status != 0)
            #expect(unreadable.errorOutput.contains("not a Tocsin amendment file"), "\(unreadable.errorOutput)")
            #expect(try net.daemons.client("RN").charterHistory().versions.map(\.version) == [1, 2])

            // Two different version-3 amendments, published at RN and RS at once.
            let effect = Date().addingTimeInterval(20)
            let left = try await Self.amend(
                net,
                version2.amended(
                    version: 3, groups: { $0.map { $0.with(members: $0.members, convener: $0.convener) } }),
                name: "v3-left", previous: file, takesEffect: effect)
            let right = try await Self.amend(
                net,
                version2.amended(
                    version: 3,
                    groups: { $0.map { $0.id == "sro" ? $0.with(members: $0.members.filter { $0 != "XD" }) : $0 } }),
                name: "v3-right", previous: file, takesEffect: effect)
            async let leftPublished = Self.publish(net, left, at: "RN")
            async let rightPublished = Self.publish(net, right, at: "RS")
            _ = try await (leftPublished, rightPublished)
            let authority = AuthorityFeed.origin(of: net.network.networkID).description
            try await net.eventually(60).holds("every node holds the charter's fork proof") {
                net.ids.allSatisfy { id in
                    ((try? net.daemons.client(id).forks()) ?? []).contains { $0.origin == authority }
                }
            }
            try await Task.sleep(for: .seconds(max(0, effect.timeIntervalSinceNow) + 3))
            for id in net.ids {
                let history = try net.daemons.client(id).charterHistory()
                #expect(history.inForce == 2, "\(id) adopted a forked version")
                #expect(history.forked)
            }
            // `tocsin verify` reports the authority's fork on every node, and nothing else.
            let findings = try await net.verifyAll()
            #expect(findings.count == net.ids.count, "\(findings)")
            for finding in findings {
                #expect(finding.contains("FORK \(authority)"), "\(finding)")
                #expect(!finding.contains("FAIL "), "\(finding)")
            }
        }
    }

    /// nro's only relay is its convener, RN: its decisions are in its own feed, which the other
    /// members witness. Decided while they are offline, the decision is recorded, not yet
    /// witnessed, and becomes final once a member comes back and cosigns it.
    @Test func aConvenersDecisionIsFinalOnlyOnceOtherMembersCosignIt() async throws {
        try await FaultNetwork.run { net in
            try await net.startAll()
            let proposal = try await Blocking.run {
                try net.daemons.client("XA").propose(
                    ProposalRequest(
                        group: "nro",
                        draft: .init(
                            title: "Exercise: a fact-finding mission", action: "fact-finding-mission", deadline: "6s")))
            }
            _ = try await Blocking.run {
                try net.daemons.client("XA").vote(VoteRequest(proposal: proposal.reference, position: "endorse"))
            }
            let reference = try EntryReference(parsing: proposal.reference)
            try await net.eventually(30).holds("XA's vote witnessed by RN") {
                ((try? net.daemons.client("RN").proposal(proposal.reference))?.votes ?? []).contains {
                    $0.witnessedMs != nil
                }
            }
            // The members go offline; RN decides at the deadline, alone.
            #expect(net.daemons.stop("XA") == 0)
            #expect(net.daemons.stop("XC") == 0)
            try await net.eventually(30).holds("RN's decision") {
                !((try? net.daemons.client("RN").proposal(proposal.reference))?.summary.decisions ?? []).isEmpty
            }
            let recorded = try net.daemons.client("RN").proposal(proposal.reference).summary.decisions[0]
            #expect(!recorded.witnessed, "\(recorded)")
            #expect(recorded.witnessesNeeded == 1)
            let feeds = try net.daemons.client("RN").feeds()
            let own = try #require(feeds.first { $0.group == "nro" && $0.author == "RN" })
            #expect(own.witnesses == ["XA", "XC"])
            #expect(!own.witnessed)
            let shown = try await Commands.tocsin(
                "proposal", "show", proposal.reference, "--node", net.directory.appendingPathComponent("RN").path)
            #expect(shown.output.contains("recorded, not yet witnessed"), "\(shown.output)")
            let listed = try await Commands.tocsin("feeds", "--node", net.directory.appendingPathComponent("RN").path)
            #expect(
                listed.output.split(separator: "\n").contains {
                    $0.hasPrefix("nro/RN") && $0.contains("NOT YET WITNESSED")
                },
                "\(listed.output)")
            // XC comes back, fetches the decision and cosigns it: final.
            try net.daemons.start("XC")
            try await net.eventually(60).holds("the decision witnessed") {
                ((try? net.daemons.client("RN").proposal(proposal.reference))?.summary.decisions.first?.witnessed)
                    == true
            }
            let final = try net.daemons.client("RN").proposal(proposal.reference).summary.decisions[0]
            #expect(final.witnessedBy == ["XC"])
            let shownFinal = try await Commands.tocsin(
                "proposal", "show", proposal.reference, "--node", net.directory.appendingPathComponent("XC").path)
            #expect(shownFinal.output.contains("final: witnessed by XC"), "\(shownFinal.output)")
            let proven = try await Commands.tocsin(
                "show", recorded.reference, "--proof", "--data-dir", net.daemons.dataDirectory("RN").path)
            #expect(proven.output.contains("checkpoint   witnessed by XC"), "\(proven.output)")
            #expect(reference.group == "nro")
            try net.daemons.start("XA")
            try await Blocking.run { try net.daemons.waitUntilServing(["XA"]) }
            let failures = try await net.verifyAll()
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    /// nro's convener changes from RN to XC while a proposal is open. By the rule, the proposal
    /// is judged under the version it names: RN records its decision, every node finds that
    /// decision holds, and XC does not decide it. A proposal written after the change is
    /// decided by XC.
    @Test func aChangeOfConvenerWhileAProposalIsOpen() async throws {
        try await FaultNetwork.run { net in
            try await net.startAll()
            func propose(_ title: String, deadline: String) async throws -> String {
                try await Blocking.run {
                    try net.daemons.client("XA").propose(
                        ProposalRequest(
                            group: "nro", draft: .init(title: title, action: "good-offices", deadline: deadline)))
                }.reference
            }
            func vote(_ id: String, _ proposal: String) async throws {
                try await net.eventually(30).holds("\(proposal) at \(id)") {
                    (try? net.daemons.client(id).proposal(proposal)) != nil
                }
                _ = try await Blocking.run {
                    try net.daemons.client(id).vote(VoteRequest(proposal: proposal, position: "endorse"))
                }
            }
            let open = try await propose("Exercise: good offices, opened under version 1", deadline: "25s")
            try await vote("XA", open)
            let version2 = net.network.charter.amended(
                version: 2,
                groups: { $0.map { $0.id == "nro" ? $0.with(members: $0.members, convener: "XC") : $0 } })
            let file = try await Self.amend(net, version2, name: "v2")
            #expect(try await Self.publish(net, file, at: "RN").status == 0)
            try await net.eventually(60).holds("version 2 in force") {
                net.ids.allSatisfy { Self.inForce(net, $0) == 2 }
            }
            // XC, a voter under version 1, votes on the open proposal; its deadline passes.
            try await vote("XC", open)
            let later = try await propose("Exercise: good offices, opened under version 2", deadline: "4s")
            try await vote("XA", later)
            try await vote("XC", later)
            let members = ["RN", "XA", "XC"]
            try await net.eventually(90).holds("both decided and verified at every member") {
                members.allSatisfy { id in
                    [open, later].allSatisfy { reference in
                        ((try? net.daemons.client(id).proposal(reference))?.summary.decisions ?? []).contains {
                            $0.holds == true
                        }
                    }
                }
            }
            for id in members {
                let first = try net.daemons.client(id).proposal(open).summary
                #expect(first.charterVersion == 1 && first.convener == "RN", "\(id): \(first)")
                #expect(first.decisions.map(\.author) == ["RN"], "\(id): \(first.decisions)")
                #expect(first.state == "adopted")
                let second = try net.daemons.client(id).proposal(later).summary
                #expect(second.charterVersion == 2 && second.convener == "XC", "\(id): \(second)")
                #expect(second.decisions.map(\.author) == ["XC"], "\(id): \(second.decisions)")
            }
            let failures = try await net.verifyAll()
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    /// An amendment file whose TOML is signed by `key` (not the authority) while the feed's
    /// checkpoint is the authority's.
    static func amendmentSignedBy(
        _ key: Ed25519PrivateKey, _ charter: Charter, after chain: CharterChain, previous: AmendmentBundle,
        net: FaultNetwork
    ) throws -> AmendmentBundle {
        let toml = Array(
            Charter(
                network: charter.network, version: charter.version, replaces: chain.latest.sha256,
                takesEffectMs: Int64(Date().timeIntervalSince1970) * 1000, nodes: charter.nodes, groups: charter.groups
            ).renderTOML().utf8)
        let entry =
            try Tocsin_V1_Entry.with {
                $0.kind = .charter
                $0.authorTimeMs = 1
                $0.charter = .with {
                    $0.version = charter.version
                    $0.charterToml = Data(toml)
                    $0.signature = Data(key.signature(for: toml))
                }
            }.serializedBytes() as [UInt8]
        var author = FeedAuthor(origin: previous.origin, key: net.network.authority.key)
        _ = try author.append(previous.entries)
        let batch = try author.append([entry])
        return AmendmentBundle(
            entries: previous.entries + [entry], checkpoint: batch.checkpoint, origin: previous.origin)
    }
}
