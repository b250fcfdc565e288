import Foundation
import GRDB
import Testing
import TocsinAdmin
import TocsinCore
import TocsinCrypto
import TocsinDevelopment

/// The offline `tocsin` commands, run as an operator or auditor would, on data directories
/// written by `tocsin-bench generate`.
@Suite struct CommandLineTests {
    func generated(feeds: Int = 3, entries: Int = 90, batch: Int = 10) async throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        let result = try await Commands.bench(
            "generate", "--data-dir", scratch.path("data"), "--feeds", "\(feeds)", "--entries", "\(entries)", "--batch",
            "\(batch)", "--entry-size", "300")
        #expect(result.status == 0, "\(result.errorOutput)")
        let summary = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(summary?["scenario"] as? String == "generate")
        #expect(summary?["entries"] as? Int == entries)
        #expect((summary?["entries_per_second"] as? Double ?? 0) > 0)
        return scratch
    }

    @Test func keygenWritesAPrivateKeyOnceAndPrintsItsPublicKey() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let result = try await Commands.tocsin("keygen", "--out", scratch.path("node.key"))
        #expect(result.status == 0, "\(result.errorOutput)")
        let mode = try FileManager.default.attributesOfItem(atPath: scratch.path("node.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let opensslView = try await Commands.openssl("pkey", "-in", scratch.path("node.key"), "-pubout")
        let publicKey = try Ed25519PublicKey(pem: opensslView.output)
        #expect(result.output.contains("public-key = \"\(publicKey.spkiBase64)\""))

        let again = try await Commands.tocsin("keygen", "--out", scratch.path("node.key"))
        #expect(again.status != 0)
        #expect(again.errorOutput.contains("already exists"))
        #expect(
            try Ed25519PublicKey(
                pem: try await Commands.openssl("pkey", "-in", scratch.path("node.key"), "-pubout").output)
                == publicKey)
    }

    @Test func aGeneratedDataDirectoryVerifiesListsAndProves() async throws {
        let scratch = try await generated()
        defer { scratch.remove() }
        let data = scratch.path("data")

        let verify = try await Commands.tocsin("verify", "--data-dir", data)
        #expect(verify.status == 0, "\(verify.output) \(verify.errorOutput)")
        #expect(verify.output.contains("OK: 3 feeds, 90 entries, 9 checkpoints"))
        let verifyJSON =
            try JSONSerialization.jsonObject(
                with: Data(try await Commands.tocsin("verify", "--data-dir", data, "--json").output.utf8))
            as? [String: Any]
        #expect(verifyJSON?["holds"] as? Bool == true)

        let log = try await Commands.tocsin("log", "--data-dir", data, "--json")
        let entries = try JSONSerialization.jsonObject(with: Data(log.output.utf8)) as? [[String: Any]]
        #expect(entries?.count == 90)
        #expect(entries?.first?["kind"] as? String == "bulletin")
        let byXB = try await Commands.tocsin("log", "--data-dir", data, "--author", "XB")
        #expect(byXB.output.split(separator: "\n").count == 30)
        #expect(byXB.output.split(separator: "\n").allSatisfy { $0.hasPrefix("sro/XB/") })

        let show = try await Commands.tocsin("show", "nro/XA/17", "--proof", "--json", "--data-dir", data)
        #expect(show.status == 0, "\(show.errorOutput)")
        let shown = try JSONSerialization.jsonObject(with: Data(show.output.utf8)) as? [String: Any]
        #expect(shown?["reference"] as? String == "nro/XA/17")
        let proof = shown?["proof"] as? [String: Any]
        #expect(proof?["verified"] as? Bool == true)
        #expect(proof?["tree_size"] as? Int == 30)
        #expect((proof?["hashes"] as? [String])?.count == 5)
        #expect(((shown?["entry"] as? [String: Any])?["bulletin"] as? [String: Any])?["headline"] as? String != nil)

        // The same entry named by origin and index.
        let origin = try #require(entries?.first { $0["reference"] as? String == "nro/XA/0" }?["origin"] as? String)
        let byOrigin = try await Commands.tocsin("show", origin, "17", "--data-dir", data)
        #expect(byOrigin.status == 0, "\(byOrigin.errorOutput)")
        #expect(byOrigin.output.hasPrefix("nro/XA/17  bulletin"))

        let missing = try await Commands.tocsin("show", "nro/XA/30", "--data-dir", data)
        #expect(missing.status != 0)
        #expect(missing.errorOutput.contains("not held"))
    }

    /// `tocsin show ORIGIN --consistency FROM TO`: the proof, both roots and the checkpoints
    /// held of those sizes, as the JSON document of PROTOCOL.md §10, checked here again.
    @Test func aConsistencyProofBetweenTwoSizesIsPrintedWithItsRootsAndCheckpoints() async throws {
        let scratch = try await generated()
        defer { scratch.remove() }
        let data = scratch.path("data")
        let shown = try await Commands.tocsin(
            "show", "nro/XA", "--consistency", "10", "30", "--json", "--data-dir", data)
        #expect(shown.status == 0, "\(shown.errorOutput)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])
        #expect(document["verified"] as? Bool == true)
        #expect(document["old_size"] as? Int == 10 && document["new_size"] as? Int == 30)
        let oldRoot = try #require(SHA256Digest(hex: document["old_root"] as? String ?? ""))
        let newRoot = try #require(SHA256Digest(hex: document["new_root"] as? String ?? ""))
        let hashes = try (document["hashes"] as? [String] ?? []).map { try #require(SHA256Digest(hex: $0)) }
        #expect(!hashes.isEmpty)
        try MerkleVerification.verifyConsistency(
            oldSize: 10, newSize: 30, oldRoot: oldRoot, newRoot: newRoot, proof: hashes)
        // The generated feeds hold checkpoints every 10 entries: both are given, signed notes
        // with the roots above.
        for (key, root, size) in [("old_checkpoint", oldRoot, 10), ("new_checkpoint", newRoot, 30)] {
            let note = try #require(document[key] as? String)
            let checkpoint = try SignedCheckpoint(parsing: Array(note.utf8))
            #expect(checkpoint.checkpoint.size == UInt64(size) && checkpoint.checkpoint.root == root)
        }
        // The latest root is the one the inclusion proofs lead to.
        let entry = try await Commands.tocsin("show", "nro/XA/3", "--proof", "--json", "--data-dir", data)
        let proof = (try JSONSerialization.jsonObject(with: Data(entry.output.utf8)) as? [String: Any])?["proof"]
        #expect((proof as? [String: Any])?["root"] as? String == newRoot.hex)

        // Between sizes without a stored checkpoint: the roots, no notes.
        let between = try await Commands.tocsin(
            "show", "nro/XA", "--consistency", "7", "23", "--json", "--data-dir", data)
        let betweenDocument = try JSONSerialization.jsonObject(with: Data(between.output.utf8)) as? [String: Any]
        #expect(betweenDocument?["verified"] as? Bool == true)
        #expect(betweenDocument?["old_checkpoint"] == nil && betweenDocument?["new_checkpoint"] == nil)
        let text = try await Commands.tocsin("show", "nro/XA", "--consistency", "7", "23", "--data-dir", data)
        #expect(text.output.contains("from 7 to 23 entries (verified)"), "\(text.output)")

        for (arguments, reason) in [
            (["--consistency", "10"], "two sizes"), (["--consistency", "20", "10"], "must not be larger"),
            (["--consistency", "10", "31"], "fewer than 31"),
        ] {
            let refused = try await Commands.tocsin(["show", "nro/XA"] + arguments + ["--data-dir", data])
            #expect(refused.status != 0)
            #expect(refused.errorOutput.contains(reason), "\(arguments): \(refused.errorOutput)")
        }
        let entryNamed = try await Commands.tocsin("show", "nro/XA/3", "--consistency", "1", "2", "--data-dir", data)
        #expect(entryNamed.status != 0)
        #expect(entryNamed.errorOutput.contains("names a feed"), "\(entryNamed.errorOutput)")
    }

    /// The second implementation (`Scripts/tocsin_verify.py`, written from PROTOCOL.md
    /// alone) holds the documents `tocsin show` prints, and refuses a copy tampered in any
    /// element, naming that element first.
    @Test func theIndependentVerifierHoldsGenuineDocumentsAndNamesWhatWasTampered() async throws {
        let scratch = try await generated()
        defer { scratch.remove() }
        let data = scratch.path("data")
        let network = scratch.url.appendingPathComponent("data/network")
        func document(_ arguments: String...) async throws -> [String: Any] {
            let shown = try await Commands.tocsin(arguments + ["--json", "--data-dir", data])
            #expect(shown.status == 0, "\(shown.errorOutput)")
            return try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])
        }
        /// The verifier's exit status and its first FAIL line.
        func verify(_ document: [String: Any]) async throws -> (Int32, String) {
            let file = scratch.url.appendingPathComponent("document-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: document).write(to: file)
            let result = try await Commands.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                [
                    "python3", Commands.repositoryRoot.appendingPathComponent("Scripts/tocsin_verify.py").path,
                    "--charter", network.appendingPathComponent("charter.toml").path, "--charter-signature",
                    network.appendingPathComponent("charter.sig").path, "--ca",
                    network.appendingPathComponent("ca.crt").path, file.path,
                ])
            return (result.status, String(result.output.split(separator: "\n").first { $0.hasPrefix("FAIL ") } ?? ""))
        }
        let entry = try await document("show", "nro/XA/17", "--proof")
        let consistency = try await document("show", "nro/XA", "--consistency", "10", "30")
        for genuine in [entry, consistency] {
            let (status, failure) = try await verify(genuine)
            #expect(status == 0 && failure.isEmpty, "\(failure)")
        }

        func flippedBase64(_ text: Any?) -> String {
            var bytes = [UInt8](Data(base64Encoded: text as? String ?? "") ?? Data())
            if !bytes.isEmpty { bytes[bytes.count / 2] ^= 1 }
            return Data(bytes).base64EncodedString()
        }
        func flippedHex(_ text: Any?) -> String {
            let hex = text as? String ?? ""
            return (hex.first == "0" ? "1" : "0") + hex.dropFirst()
        }
        /// The note with a bit of its first signature line changed.
        func forged(_ note: Any?) -> String {
            var lines = (note as? String ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(
                String.init)
            if let line = lines.firstIndex(where: { $0.hasPrefix("\u{2014}") }),
                let space = lines[line].lastIndex(of: " ")
            {
                lines[line] =
                    String(lines[line][..<space]) + " " + flippedBase64(String(lines[line][space...].dropFirst()))
            }
            return lines.joined(separator: "\n")
        }
        func changing(_ document: [String: Any], _ change: (inout [String: Any]) -> Void) -> [String: Any] {
            var copy = document
            change(&copy)
            return copy
        }
        func changingProof(_ change: @escaping (inout [String: Any]) -> Void) -> [String: Any] {
            changing(entry) { document in
                var proof = document["proof"] as? [String: Any] ?? [:]
                change(&proof)
                document["proof"] = proof
            }
        }
        let tampered: [(String, [String: Any], String)] = [
            (
                "an entry byte", changing(entry) { $0["bytes_base64"] = flippedBase64($0["bytes_base64"]) },
                "bytes_base64"
            ),
            (
                "a proof hash",
                changingProof { proof in
                    var hashes = proof["hashes"] as? [String] ?? []
                    hashes[0] = flippedHex(hashes[0])
                    proof["hashes"] = hashes
                }, "proof.hashes"
            ),
            ("the root", changingProof { $0["root"] = flippedHex($0["root"]) }, "proof.root"),
            (
                "the author's signature", changingProof { $0["checkpoint"] = forged($0["checkpoint"]) },
                "proof.checkpoint"
            ),
            ("the index", changing(entry) { $0["index"] = 16 }, "reference"),
            ("the old root", changing(consistency) { $0["old_root"] = flippedHex($0["old_root"]) }, "old_root"),
            (
                "a consistency hash",
                changing(consistency) { document in
                    var hashes = document["hashes"] as? [String] ?? []
                    hashes[1] = flippedHex(hashes[1])
                    document["hashes"] = hashes
                }, "hashes"
            ),
            (
                "the new checkpoint's signature",
                changing(consistency) { $0["new_checkpoint"] = forged($0["new_checkpoint"]) }, "new_checkpoint"
            ),
        ]
        for (what, document, element) in tampered {
            let (status, failure) = try await verify(document)
            #expect(status == 1, "\(what): exit \(status)")
            // `FAIL <file> <element>…`: the element the first failure names.
            let named = failure.split(separator: " ").dropFirst(2).first?.trimmingCharacters(in: [":"])
            #expect(named == element, "\(what): \(failure)")
        }
    }

    @Test func verifyNamesTheFeedAndIndexOfAChangedByte() async throws {
        let scratch = try await generated()
        defer { scratch.remove() }
        let data = scratch.path("data")
        try await DatabaseQueue(path: scratch.path("data/tocsin.sqlite")).write { db in
            try db.execute(sql: "DROP TRIGGER entries_no_update")
            let condition =
                "entry_index = 23 AND feed_id = (SELECT id FROM feeds WHERE group_id = 'sro' AND author = 'XB')"
            var bytes = try Data.fetchOne(db, sql: "SELECT bytes FROM entries WHERE \(condition)")!
            bytes[bytes.count - 1] ^= 0x20
            try db.execute(sql: "UPDATE entries SET bytes = ? WHERE \(condition)", arguments: [bytes])
        }
        let result = try await Commands.tocsin("verify", "--data-dir", data)
        #expect(result.status == 1)
        #expect(result.output.contains("/sro/XB #23:"), "\(result.output)")
        #expect(result.output.contains("FAILED"))
    }

    @Test func verifyFindsEntriesRemovedFromTheEndOfAFeed() async throws {
        let scratch = try await generated()
        defer { scratch.remove() }
        try await DatabaseQueue(path: scratch.path("data/tocsin.sqlite")).write { db in
            try db.execute(sql: "DROP TRIGGER entries_no_delete")
            try db.execute(
                sql:
                    "DELETE FROM entries WHERE entry_index = 29 AND feed_id = (SELECT id FROM feeds WHERE group_id = 'nro' AND author = 'XA')"
            )
        }
        let result = try await Commands.tocsin("verify", "--data-dir", scratch.path("data"), "--json")
        #expect(result.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let findings = report?["findings"] as? [[String: Any]] ?? []
        #expect(
            findings.contains { ($0["subject"] as? String)?.hasSuffix("/nro/XA") == true && $0["index"] as? Int == 29 },
            "\(findings)")
    }

    @Test func commandsExplainAMissingDataDirectory() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        for arguments in [["verify"], ["log"], ["show", "nro/XA/0"]] {
            let result = try await Commands.run(
                Commands.productsDirectory.appendingPathComponent("tocsin"),
                arguments + ["--data-dir", scratch.path("absent")])
            #expect(result.status != 0)
            #expect(
                result.errorOutput.contains("is not a Tocsin data directory"), "\(arguments): \(result.errorOutput)")
        }
    }
}

/// `tocsin cap draft`, the reader the console's CAP import runs in a child process.
@Suite struct CAPDraftCommandTests {
    static let network = String(repeating: "ab", count: 32)
    static let alertWithoutState = """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>FREWS-1</identifier><sender>desk@frews.example</sender>
          <sent>2026-11-30T09:30:00-03:00</sent><status>Exercise</status><msgType>Alert</msgType>
          <scope>Public</scope>
          <info>
            <language>en</language><category>Security</category><event>Armed groups massing</event>
            <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
            <headline>Armed groups massing in the northern hills (fictional)</headline>
            <parameter><valueName>FREWS-LEVEL</valueName><value>3</value></parameter>
            <area><areaDesc>Northern hills</areaDesc><polygon>10,20 10.5,20 10.5,20.6 10,20</polygon></area>
          </info>
        </alert>
        """

    static func draft(_ input: String, _ arguments: String...) async throws -> CAPDraft {
        let command = ExternalCommand(
            Commands.productsDirectory.appendingPathComponent("tocsin"),
            ["cap", "draft", "--network", network] + arguments)
        let result = try await Blocking.run { try command.run(input: Array(input.utf8)) }
        #expect(result.status == 0, "\(result.errorOutput)")
        return try AdminJSON.decode(CAPDraft.self, from: Data(result.output.utf8))
    }

    @Test func anAlertNamingNoStateAsksForItAndTakesTheStateGiven() async throws {
        let asked = try await Self.draft(Self.alertWithoutState)
        #expect(asked.stateNotNamed && asked.draft == nil)
        let given = try await Self.draft(Self.alertWithoutState, "--country", "XA")
        let draft = try #require(given.draft)
        #expect(draft.country == "XA" && draft.severity == "severe" && draft.status == "exercise")
        #expect(draft.areas?.first?.polygons?.count == 1)
        #expect(given.notes.contains { $0.contains("FREWS-LEVEL") })
    }

    @Test func anAlertWithAnISOGeocodeNeedsNoState() async throws {
        let alert = Self.alertWithoutState.replacingOccurrences(
            of: "</polygon>",
            with: "</polygon><geocode><valueName>ISO3166-2</valueName><value>XB-07</value></geocode>")
        #expect(try await Self.draft(alert).draft?.country == "XB")
    }

    @Test func whatIsNotAnAlertIsRefusedWithTheReason() async throws {
        let refused = try await Self.draft("<html>not an alert</html>")
        #expect(refused.draft == nil && !refused.stateNotNamed)
        #expect(refused.refusal?.contains("not a CAP 1.2 alert") == true, "\(refused)")
        let oversized = try await Self.draft(String(repeating: " ", count: (1 << 20) + 10) + Self.alertWithoutState)
        #expect(oversized.refusal?.contains("more than the limit") == true, "\(oversized)")
    }
}
