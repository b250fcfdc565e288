import Foundation
import GRDB
import Testing
import TocsinCore
import TocsinCrypto

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
