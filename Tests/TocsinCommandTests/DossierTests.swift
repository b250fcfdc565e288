import Foundation
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinDossier
import TocsinStore

/// A consultation on a running network taken out as a dossier: `tocsin dossier verify` and
/// the independent Python verifier (`Scripts/tocsin_verify.py`, written from PROTOCOL.md)
/// both hold it and both refuse a copy tampered in any kind of element, naming it; the report
/// states the facts in English and French, and Chromium prints it to PDF.
@Suite(.serialized) struct DossierTests {
    /// One tampering of a dossier and the element both verifiers must name first.
    struct Tampering {
        let name: String
        let element: String
        let change: (inout TarArchive) throws -> Void
        /// Whether the manifest is brought up to date, as a forger would, so that only the
        /// deep check can catch it.
        var fixManifest = true
    }

    @Test func aConsultationExportedAsADossierVerifiesAndEveryTamperingIsNamed() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // all = everyone, convened by RN, majority; voting members XA, XB, XC, XD.
        try await Self.withNetwork(scratch) { network in
            let (daemons, wait, everyone) = (network.daemons, network.wait, RunningNetwork.everyone)

            let bulletin = try await network.run(
                "bulletin", "issue", "--group", "all", "--headline",
                "Exercise: hate speech campaign against a minority in XB",
                "--severity", "severe", "--country", "XB", "--status", "exercise", "--node", network.node("XA"))
            try await wait.holds("every member's receipt") {
                let detail = await ConsultationDaemonTests.json(
                    BulletinDetail.self, daemons, "XA", "bulletin", "show", bulletin)
                return detail?.notAcknowledged == []
            }
            _ = try await network.run("ack", bulletin, "--read", "--node", network.node("XC"))
            _ = try await network.run("ack", bulletin, "--acted", "--node", network.node("XC"))
            let proposal = try await network.run(
                "proposal", "open", "--group", "all", "--title", "Fact-finding mission to XB", "--action",
                "fact-finding-mission", "--deadline", "10m", "--bulletin", bulletin, "--rationale",
                "The campaign matches risk factor 9 (exercise).", "--node", network.node("XB"))
            try await wait.holds("the proposal everywhere") {
                await ConsultationDaemonTests.everywhere(["XA", "XC", "XD", "RN"]) {
                    await ConsultationDaemonTests.proposal(daemons, $0, proposal) != nil
                }
            }
            for (voter, position, statement) in [
                ("XA", "--endorse", "XA supports the mission"), ("XC", "--endorse", "Agreed"),
                ("XD", "--object", "XD prefers good offices"),
            ] {
                _ = try await network.run(
                    "vote", proposal, position, "--statement", statement, "--node", network.node(voter))
            }
            _ = try await network.run(
                "vote", proposal, "--endorse", "--statement", "With the region", "--node", network.node("XB"))
            try await wait.holds("the decision, verified at every member") {
                await ConsultationDaemonTests.everywhere(everyone) {
                    await ConsultationDaemonTests.decisions(daemons, $0, proposal).first?.holds == true
                }
            }
            let decision = try #require(await ConsultationDaemonTests.decisions(daemons, "XA", proposal).first)
            #expect(decision.outcome == "adopted")

            // Exported at the convener once every entry is witnessed.
            let file = scratch.url.appendingPathComponent("dossier.tar")
            try await wait.holds("a dossier with every entry witnessed") {
                let exported = try await Commands.tocsin(
                    "dossier", "export", decision.reference, "--out", file.path, "--node", network.node("RN"))
                return exported.status == 0 && !exported.errorOutput.contains("not yet witnessed")
            }
            if let keep = ProcessInfo.processInfo.environment["TOCSIN_KEEP_DOSSIER"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(atPath: file.path, toPath: keep)
            }
            let archive = try TarArchive(reading: Array(try Data(contentsOf: file)))
            let paths = Set(archive.files.map(\.path))
            #expect(archive.files.first?.path == "manifest.json")
            for expected in [
                "entries/\(bulletin).json", "entries/\(proposal).json", "entries/\(decision.reference).json",
                "charter/genesis.toml", "charter/genesis.sig", "charter/authority.pem", "feeds/all/XA.json",
                "report.en.html", "report.fr.html",
            ] {
                #expect(paths.contains(expected), "\(expected) missing from \(paths.sorted())")
            }
            let votes = archive.files.filter { file in
                guard file.path.hasPrefix("entries/"),
                    let document = try? AdminJSON.decode(EntryProofDocument.self, from: Data(file.bytes))
                else { return false }
                return document.kind == "vote"
            }
            #expect(votes.count == 4)
            let acknowledgements = archive.files.filter { $0.path.hasPrefix("entries/") }.compactMap {
                try? AdminJSON.decode(EntryProofDocument.self, from: Data($0.bytes))
            }.filter { $0.kind == "acknowledgement" }
            #expect(acknowledgements.count == 8, "six receipts and XC's read and acted-on")

            // Both verifiers hold it.
            let verified = try await Commands.tocsin("dossier", "verify", file.path)
            #expect(verified.status == 0, "\(verified.output)\(verified.errorOutput)")
            #expect(verified.output.contains("DOSSIER VERIFIED"))
            #expect(
                verified.output.contains(
                    "tally under charter version 1 (majority): 3 endorse, 1 object, 0 abstain of 4: adopted"),
                "\(verified.output)")
            let python = try await Self.python(file)
            #expect(python.status == 0, "\(python.output)\(python.errorOutput)")
            #expect(python.output.contains("DOSSIER VERIFIED"), "\(python.output)")

            // A referral's dossier proves the decision only under this network's own authority
            // and charter versions: the same genesis charter signed by another key proves nothing.
            let dossierBytes = Array(try Data(contentsOf: file))
            let store = try FeedStore.open(directory: daemons.data("RN"))
            let chain = try store.charterChain()
            let decided = try EntryReference(parsing: decision.reference)
            let referred = try DossierVerifier.referredDecision(
                in: dossierBytes, decision: decided, network: store.networkID, chain: chain
            ).get()
            #expect(referred.holds && referred.decision.payload.outcome == .adopted)
            #expect(referred.proposal.reference.description == proposal)
            let genesisTOML = try #require(archive["charter/genesis.toml"])
            let impostor = try Ed25519PrivateKey.generate()
            let impostorChain = CharterChain(
                genesis: try SignedCharter(
                    toml: genesisTOML, signatureFile: impostor.signature(for: genesisTOML),
                    authority: impostor.publicKey),
                authority: impostor.publicKey)
            for (network, chain, refusal) in [
                (store.networkID, impostorChain, "signed by another authority"),
                (NetworkID(genesisCharter: [1]), chain, "another network"),
            ] {
                guard
                    case .failure(let failure) = DossierVerifier.referredDecision(
                        in: dossierBytes, decision: decided, network: network, chain: chain)
                else {
                    Issue.record("a dossier proved a decision to a node of \(refusal)")
                    continue
                }
                #expect(failure.reason.contains(refusal), "\(failure.reason)")
            }
            let otherSubject = EntryReference(group: decided.group, author: decided.author, index: decided.index + 1)
            guard
                case .failure(let notAbout) = DossierVerifier.referredDecision(
                    in: dossierBytes, decision: otherSubject, network: store.networkID, chain: chain)
            else { throw DossierError("test", "a dossier proved a decision it is not about") }
            #expect(notAbout.reason.contains("not the dossier of"))

            // The report states the facts, in both languages.
            let english = String(decoding: try #require(archive["report.en.html"]), as: UTF8.self)
            let french = String(decoding: try #require(archive["report.fr.html"]), as: UTF8.self)
            let bulletinDocument = try AdminJSON.decode(
                EntryProofDocument.self, from: Data(try #require(archive["entries/\(bulletin).json"])))
            for (report, words) in [
                (
                    english,
                    ["This dossier verifies", "adopted", "Fact-finding mission to XB", "XD prefers good offices"]
                ),
                (french, ["Ce dossier est vérifié", "adoptée", "Fact-finding mission to XB", "contre"]),
            ] {
                for fact in words + [
                    try #require(bulletinDocument.authorTime), "XA", "XB", "XC", "XD", "RN",
                    "href=\"#entry-\(bulletin)\"",
                    "id=\"entry-\(decision.reference)\"",
                ] {
                    #expect(report.contains(fact), "\(fact) not in the report")
                }
                #expect(!report.contains("<script"))
            }
            let pdf = try await Self.printToPDF(english, scratch: scratch)
            #expect(pdf.starts(with: Array("%PDF".utf8)), "Chromium printed no PDF")
            #expect(pdf.count > 10_000)

            // Any byte of any file changed, with or without the manifest brought up to date:
            // nothing traps, and a copy that still verifies (a change in what is for people
            // only, or a cosignature line made unknown) proves the same entries, checkpoints,
            // tally and decision.
            func proven(_ verification: DossierVerification) -> [String] {
                guard let story = verification.story else { return [] }
                return story.evidence.keys.sorted().map {
                    "\($0) \(story.evidence[$0]!.leafHash) \(story.evidence[$0]!.checkpointRoot)"
                }
                    + story.proposals.map {
                        "\($0.reference) \(String(describing: $0.tally)) \($0.decisions.map { "\($0.outcome) \($0.findings)" })"
                    }
            }
            let genuine = proven(DossierVerifier.verify(archive.serialized(modificationTime: 0)))
            #expect(genuine.count == 16, "15 entries and a proposal: \(genuine)")
            var generator = SystemRandomNumberGenerator()
            var stillVerified = 0
            for _ in 0..<200 {
                var copy = archive
                let file = copy.files.indices.randomElement(using: &generator)!
                guard !copy.files[file].bytes.isEmpty else { continue }
                let position = Int.random(in: 0..<copy.files[file].bytes.count, using: &generator)
                copy.files[file].bytes[position] ^= UInt8.random(in: 1...255, using: &generator)
                if file != 0, Bool.random(using: &generator) { try Self.refreshManifest(&copy) }
                let verification = DossierVerifier.verify(copy.serialized(modificationTime: 0))
                guard verification.isVerified else { continue }
                stillVerified += 1
                #expect(
                    proven(verification) == genuine,
                    "\(copy.files[file].path) changed at byte \(position): verifies and proves something else")
            }
            #expect(stillVerified < 200)

            // Tampered copies: each refused by both, naming the element.
            for tampering in try Self.tamperings(archive, bulletin: bulletin, decision: decision.reference) {
                var copy = archive
                try tampering.change(&copy)
                if tampering.fixManifest { try Self.refreshManifest(&copy) }
                let tampered = scratch.url.appendingPathComponent("tampered.tar")
                try Data(copy.serialized(modificationTime: 0)).write(to: tampered)
                let swift = try await Commands.tocsin("dossier", "verify", tampered.path)
                #expect(swift.status == 1, "\(tampering.name): \(swift.output)")
                #expect(
                    swift.output.contains("First failing element: \(tampering.element):"),
                    "\(tampering.name): \(swift.output)")
                let python = try await Self.python(tampered)
                #expect(python.status == 1, "\(tampering.name): \(python.output)\(python.errorOutput)")
                #expect(
                    python.output.contains("FIRST FAILING ELEMENT: \(tampering.element)"),
                    "\(tampering.name) (python): \(python.output)")
            }
        }
    }

    /// The seven-node devnet both tests run (relays RN and RS; XA–XD; the observer OBS1), every
    /// node serving, with the commands the tests use on it.
    struct RunningNetwork {
        static let everyone = ["RN", "RS", "XA", "XB", "XC", "XD", "OBS1"]
        let daemons: NodeProcesses
        let wait: Eventually

        func node(_ id: String) -> String { daemons.directory.appendingPathComponent(id).path }

        /// `tocsin ARGUMENTS`, which must succeed; its output trimmed.
        func run(_ arguments: String...) async throws -> String {
            let result = try await Commands.tocsin(arguments)
            #expect(result.status == 0, "\(arguments): \(result.errorOutput)")
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func withNetwork(
        _ scratch: ScratchDirectory, _ body: (RunningNetwork) async throws -> Void
    ) async throws {
        let directory = scratch.url.appendingPathComponent("net")
        try await Commands.devnet(directory, nationals: 4, relays: 2, observers: 1)
        try await NodeProcesses.testing(directory) { daemons in
            try daemons.start(RunningNetwork.everyone)
            try await Blocking.run { try daemons.waitUntilServing(RunningNetwork.everyone) }
            try await body(RunningNetwork(daemons: daemons, wait: DaemonTests.eventually(90, daemons)))
        }
    }

    static func python(_ file: URL) async throws -> CommandResult {
        try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", Commands.repositoryRoot.appendingPathComponent("Scripts/tocsin_verify.py").path, "dossier",
                file.path,
            ])
    }

    /// The report printed by headless Chromium.
    static func printToPDF(_ html: String, scratch: ScratchDirectory) async throws -> [UInt8] {
        let page = scratch.url.appendingPathComponent("report.html")
        let pdf = scratch.url.appendingPathComponent("report.pdf")
        try Data(html.utf8).write(to: page)
        let printed = try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=\(scratch.path("chromium"))",
                "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString,
            ])
        #expect(printed.status == 0, "\(printed.errorOutput)")
        return Array((try? Data(contentsOf: pdf)) ?? Data())
    }

    // MARK: - Tampering

    static func json(_ archive: TarArchive, _ path: String) throws -> [String: Any] {
        let bytes = try #require(archive[path])
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static func replace(_ archive: inout TarArchive, _ path: String, json: [String: Any]) throws {
        let bytes = Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
        let position = try #require(archive.files.firstIndex { $0.path == path })
        archive.files[position].bytes = bytes
    }

    static func refreshManifest(_ archive: inout TarArchive) throws {
        let manifest = try AdminJSON.decode(DossierManifest.self, from: Data(try #require(archive["manifest.json"])))
        let items = archive.files.dropFirst().map {
            DossierManifest.Item(path: $0.path, sha256: SHA256.hash($0.bytes).hex, bytes: UInt64($0.bytes.count))
        }
        let refreshed = DossierManifest(
            network: manifest.network, networkName: manifest.networkName, exportedBy: manifest.exportedBy,
            exportedAt: manifest.exportedAt, subjects: manifest.subjects, items: items)
        archive.files[0].bytes = Array(try AdminJSON.encode(refreshed, pretty: true))
    }

    /// A signed note with one character of the base64 of its signature line by `keyName`
    /// (or, with `cosignature`, of a line by any other name) changed.
    static func alteredNote(_ note: String, keyName: String, cosignature: Bool) -> String {
        var lines = note.components(separatedBy: "\n")
        guard
            let position = lines.firstIndex(where: {
                $0.hasPrefix("— ") && ($0.hasPrefix("— \(keyName) ") != cosignature)
            })
        else { return note }
        var characters = Array(lines[position])
        let target = characters.count - 10
        characters[target] = characters[target] == "A" ? "B" : "A"
        lines[position] = String(characters)
        return lines.joined(separator: "\n")
    }

    static func tamperings(_ archive: TarArchive, bulletin: String, decision: String) throws -> [Tampering] {
        let decisionPath = "entries/\(decision).json"
        let bulletinPath = "entries/\(bulletin).json"
        let decisionDocument = try AdminJSON.decode(
            EntryProofDocument.self, from: Data(try #require(archive[decisionPath])))
        let decisionEntry = try EntryDecoder.decode(
            Array(try #require(Data(base64Encoded: decisionDocument.bytesBase64))))
        guard case .decision(let recorded) = decisionEntry.payload else {
            throw DossierError(decisionPath, "not a decision")
        }
        let leftOut = ConsultationBook.reference(try #require(recorded.votes.first).vote)
        let withProof = try #require(
            archive.files.first { file in
                guard file.path.hasPrefix("entries/"), let json = try? json(archive, file.path),
                    let proof = json["proof"] as? [String: Any], let hashes = proof["hashes"] as? [String]
                else { return false }
                return !hashes.isEmpty
            }
        ).path
        let voterFeed = "feeds/\(leftOut.group)/\(leftOut.author).json"
        func flipBytes(_ archive: inout TarArchive) throws {
            var json = try json(archive, bulletinPath)
            var bytes = [UInt8](try #require(Data(base64Encoded: json["bytes_base64"] as? String ?? "")))
            bytes[bytes.count / 2] ^= 0x20
            json["bytes_base64"] = Data(bytes).base64EncodedString()
            try replace(&archive, bulletinPath, json: json)
        }
        return [
            Tampering(name: "an entry byte", element: bulletinPath, change: flipBytes),
            Tampering(
                name: "an entry byte, manifest left alone", element: bulletinPath, change: flipBytes, fixManifest: false
            ),
            Tampering(name: "a proof hash", element: withProof) { archive in
                var json = try json(archive, withProof)
                var proof = json["proof"] as! [String: Any]
                var hashes = proof["hashes"] as! [String]
                hashes[0] = String(hashes[0].reversed())
                proof["hashes"] = hashes
                json["proof"] = proof
                try replace(&archive, withProof, json: json)
            },
            Tampering(name: "a signature", element: decisionPath) { archive in
                var json = try json(archive, decisionPath)
                var proof = json["proof"] as! [String: Any]
                proof["checkpoint"] = alteredNote(
                    proof["checkpoint"] as! String, keyName: json["origin"] as! String, cosignature: false)
                json["proof"] = proof
                try replace(&archive, decisionPath, json: json)
            },
            Tampering(name: "a cosignature", element: voterFeed) { archive in
                var json = try json(archive, voterFeed)
                var checkpoints = json["checkpoints"] as! [[String: Any]]
                let origin = json["origin"] as! String
                let position = try #require(
                    checkpoints.firstIndex {
                        ($0["checkpoint"] as! String).components(separatedBy: "\n").filter { $0.hasPrefix("— ") }.count
                            > 1
                    })
                checkpoints[position]["checkpoint"] = alteredNote(
                    checkpoints[position]["checkpoint"] as! String, keyName: origin, cosignature: true)
                json["checkpoints"] = checkpoints
                try replace(&archive, voterFeed, json: json)
            },
            Tampering(name: "a charter byte", element: "charter/genesis.toml") { archive in
                let position = try #require(archive.files.firstIndex { $0.path == "charter/genesis.toml" })
                archive.files[position].bytes[10] ^= 0x01
            },
            Tampering(name: "a vote left out", element: decisionPath) { archive in
                archive.files.removeAll { $0.path == "entries/\(leftOut).json" }
            },
            Tampering(name: "a decision's outcome changed", element: decisionPath) { archive in
                var changed = decisionEntry
                var payload = recorded
                payload.outcome = .rejected
                changed.decision = payload
                let bytes: [UInt8] = try changed.serializedBytes()
                var json = try json(archive, decisionPath)
                json["bytes_base64"] = Data(bytes).base64EncodedString()
                json["leaf_hash"] = MerkleHash.leaf(bytes).hex
                try replace(&archive, decisionPath, json: json)
            },
        ]
    }
}

extension DossierTests {
    /// A referral proposal adopted in a regional group reaches the observer, which is not a
    /// member there: the convener refers the decision with its dossier in the network-wide
    /// group, the observer's node acknowledges it, the dossier it received verifies, and the
    /// referral and the observer's receipt are part of the decision's record.
    @Test func anAdoptedReferralReachesTheObserverWhoAcknowledgesIt() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // nro = RN (convener), XA, XC; every group refers to OBS1 in `all`.
        try await Self.withNetwork(scratch) { network in
            let charter = try String(
                contentsOf: network.daemons.directory.appendingPathComponent("charter.toml"), encoding: .utf8)
            #expect(charter.contains("referral-observers = [\"OBS1\"]"), "\(charter)")
            let (daemons, wait) = (network.daemons, network.wait)
            let proposal = try await network.run(
                "proposal", "open", "--group", "nro", "--title", "Bring the situation in XC to the Security Council",
                "--action", "referral-to-un", "--deadline", "10m", "--node", network.node("XA"))
            try await wait.holds("the proposal at XC") {
                await ConsultationDaemonTests.proposal(daemons, "XC", proposal) != nil
            }
            for voter in ["XA", "XC"] {
                _ = try await network.run(
                    "vote", proposal, "--endorse", "--statement", "\(voter) agrees", "--node", network.node(voter))
            }
            try await wait.holds("the decision, verified") {
                await ConsultationDaemonTests.decisions(daemons, "XA", proposal).first?.holds == true
            }
            let decision = try #require(await ConsultationDaemonTests.decisions(daemons, "RN", proposal).first)
            #expect(decision.outcome == "adopted")

            // The referral, in `all`, and the observer's receipt of it.
            func referral(at id: String) throws -> (EntryReference, acknowledged: Bool)? {
                let store = try FeedStore.open(directory: daemons.data(id))
                let convenerFeed = try FeedOrigin(network: store.networkID, group: "all", author: "RN")
                guard
                    let referral = try store.entries(origin: convenerFeed).first(where: { entry in
                        guard case .referral(let referral) = try? EntryDecoder.decode(entry.bytes).payload else {
                            return false
                        }
                        return ConsultationBook.reference(referral.decision).description == decision.reference
                    })
                else { return nil }
                let observerFeed = try FeedOrigin(network: store.networkID, group: "all", author: "OBS1")
                let acknowledged = try store.entries(origin: observerFeed).contains { entry in
                    guard case .acknowledgement(let acknowledgement) = try? EntryDecoder.decode(entry.bytes).payload
                    else { return false }
                    return ConsultationBook.reference(acknowledgement.bulletin) == referral.reference
                        && acknowledgement.level == .received
                }
                return (referral.reference, acknowledged)
            }
            let referred = try await wait.value("the referral acknowledged by OBS1, as RN holds it") {
                try referral(at: "RN").flatMap { $0.acknowledged ? $0.0 : nil }
            }
            #expect(try referral(at: "OBS1")?.0 == referred)

            // The dossier the observer received verifies, with both verifiers.
            let received = scratch.url.appendingPathComponent("received.tar")
            _ = try await network.run(
                "dossier", "extract", referred.description, "--out", received.path, "--node", network.node("OBS1"))
            let verified = try await Commands.tocsin("dossier", "verify", received.path)
            #expect(verified.status == 0, "\(verified.output)")
            #expect(verified.output.contains("decided adopted (\(decision.reference))"), "\(verified.output)")
            let python = try await Self.python(received)
            #expect(python.status == 0, "\(python.output)\(python.errorOutput)")

            // What the node does not hold, or what is not a reference, is refused, and no file is written.
            let missing = scratch.url.appendingPathComponent("missing.tar")
            for reference in ["nro/XA/999", "not-a-reference"] {
                let refused = try await Commands.tocsin(
                    "dossier", "export", reference, "--out", missing.path, "--node", network.node("RN"))
                #expect(refused.status != 0)
                #expect(
                    refused.errorOutput.contains("holds no such entry")
                        || refused.errorOutput.contains("is not <group>/<author>/<index>"), "\(refused.errorOutput)")
            }
            #expect(!FileManager.default.fileExists(atPath: missing.path))
            let notADossier = try await Commands.tocsin("dossier", "verify", received.path + ".absent")
            #expect(notADossier.status != 0 && notADossier.errorOutput.contains("cannot read the dossier"))

            // The decision's record now holds the referral and the observer's receipt.
            let record = scratch.url.appendingPathComponent("record.tar")
            try await wait.holds("a dossier with the receipt witnessed") {
                let exported = try await Commands.tocsin(
                    "dossier", "export", decision.reference, "--out", record.path, "--node", network.node("RN"))
                return exported.status == 0 && !exported.errorOutput.contains("not yet witnessed")
            }
            let recordVerified = try await Commands.tocsin("dossier", "verify", record.path)
            #expect(recordVerified.status == 0, "\(recordVerified.output)")
            #expect(recordVerified.output.contains("referral \(referred) counts"), "\(recordVerified.output)")
            #expect(recordVerified.output.contains("receipts: OBS1"), "\(recordVerified.output)")
            let recordPython = try await Self.python(record)
            #expect(recordPython.status == 0, "\(recordPython.output)\(recordPython.errorOutput)")
            let archive = try TarArchive(reading: Array(try Data(contentsOf: record)))
            let report = String(decoding: try #require(archive["report.en.html"]), as: UTF8.self)
            #expect(report.contains("referred to"))
            #expect(report.contains("OBS1"))
        }
    }
}
