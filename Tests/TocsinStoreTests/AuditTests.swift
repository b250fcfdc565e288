import Foundation
import GRDB
import Testing
import TocsinCore
import TocsinCrypto
import TocsinStore

/// `tocsin verify` in-process: tampering with the database file must be found.
@Suite struct AuditTests {
    /// Two feeds, checkpoints every 50 entries, with cosignatures.
    func populatedFixture() throws -> StoreFixture {
        let fixture = try StoreFixture()
        for (group, author) in [("nro", "XA"), ("all", "XB")] {
            var feed = try fixture.author(group: group, author: author)
            for start in stride(from: 0, to: 300, by: 50) {
                let batch = try feed.append(StoreFixture.entries(start..<start + 50))
                try fixture.store.append(batch, now: StoreFixture.now)
                let name = WitnessName.of(node: "RN", network: fixture.network.networkID)
                let cosignature = try Cosignature.sign(
                    batch.checkpoint.checkpoint, witnessName: name, key: fixture.network.member("RN")!.key,
                    timestamp: 1_800_000_000)
                try fixture.store.addCosignature(cosignature, to: batch.checkpoint.checkpoint, now: StoreFixture.now)
            }
        }
        return fixture
    }

    /// Runs SQL with the append-only triggers dropped, as someone editing the file would.
    func tamper(_ fixture: StoreFixture, _ sql: String) throws {
        try fixture.rawDatabase().write { db in
            for table in ["entries", "checkpoints", "subtrees", "cosignatures"] {
                try db.execute(
                    sql: "DROP TRIGGER IF EXISTS \(table)_no_update; DROP TRIGGER IF EXISTS \(table)_no_delete")
            }
            try db.execute(sql: sql)
        }
    }

    @Test func anIntactStoreHolds() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        let report = try fixture.store.audit()
        #expect(report.holds, "\(report.findings)")
        #expect(report.feeds == 2)
        #expect(report.entries == 600)
        #expect(report.checkpoints == 12)
        #expect(report.cosignatures == 12)
    }

    @Test(arguments: [0, 1, 77, 149, 150, 299])
    func aByteChangedInAnEntryIsFoundAtItsIndex(index: Int) throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        try fixture.rawDatabase().write { db in
            try db.execute(sql: "DROP TRIGGER entries_no_update")
            let feedID = try Int64.fetchOne(db, sql: "SELECT id FROM feeds WHERE group_id = 'nro'")!
            let condition = "feed_id = \(feedID) AND entry_index = \(index)"
            var bytes = try Data.fetchOne(db, sql: "SELECT bytes FROM entries WHERE \(condition)")!
            bytes[40] ^= 0x01
            try db.execute(sql: "UPDATE entries SET bytes = ? WHERE \(condition)", arguments: [bytes])
        }
        let report = try fixture.store.audit()
        #expect(!report.holds)
        let findings = report.findings.filter { $0.subject == (try? fixture.origin().description) }
        #expect(findings.contains { $0.index == UInt64(index) }, "\(report.findings)")
        #expect(report.findings.allSatisfy { $0.subject == (try? fixture.origin().description) })
    }

    @Test func anEntryWhoseBytesAndLeafHashWereBothRewrittenIsFoundByItsCheckpoint() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        let forged = StoreFixture.entries(9999..<10000)[0]
        try fixture.rawDatabase().write { db in
            try db.execute(sql: "DROP TRIGGER entries_no_update")
            try db.execute(
                sql:
                    "UPDATE entries SET bytes = ?, leaf_hash = ? WHERE entry_index = 120 AND feed_id = (SELECT id FROM feeds WHERE group_id = 'nro')",
                arguments: [Data(forged), Data(MerkleHash.leaf(forged).bytes)])
        }
        let report = try fixture.store.audit()
        // Checkpoints every 50 entries: the altered one lies in 100..<150.
        #expect(report.findings.contains { $0.index == 100 && $0.message.contains("100..<150") }, "\(report.findings)")
    }

    @Test func aByteChangedInACheckpointIsFound() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        try tamper(fixture, "UPDATE checkpoints SET note = replace(note, '\n100\n', '\n101\n') WHERE size = 100")
        let report = try fixture.store.audit()
        #expect(!report.holds)
        #expect(
            report.findings.contains { $0.message.contains("size 101") || $0.message.contains("size 100") },
            "\(report.findings)")
    }

    @Test func aTamperedCosignatureIsFound() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        try tamper(
            fixture, "UPDATE cosignatures SET timestamp = timestamp + 1, line = replace(line, 'A', 'B') WHERE id = 3")
        let report = try fixture.store.audit()
        #expect(!report.holds)
        #expect(
            report.findings.contains { $0.message.contains("cosignature") || $0.message.contains("signature") },
            "\(report.findings)")
    }

    @Test func entriesRemovedFromTheEndOfAFeedAreFound() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        try tamper(
            fixture,
            "DELETE FROM entries WHERE entry_index >= 297 AND feed_id = (SELECT id FROM feeds WHERE group_id = 'nro')")
        let report = try fixture.store.audit()
        #expect(report.findings.contains { $0.index == 297 && $0.message.contains("removed") }, "\(report.findings)")
    }

    @Test func anEntryRemovedFromTheMiddleIsFound() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        try tamper(
            fixture,
            "DELETE FROM entries WHERE entry_index = 42 AND feed_id = (SELECT id FROM feeds WHERE group_id = 'nro')")
        let report = try fixture.store.audit()
        #expect(report.findings.contains { $0.index == 42 && $0.message.contains("missing") }, "\(report.findings)")
    }

    @Test func aTamperedSubtreeHashIsFound() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        try tamper(fixture, "UPDATE subtrees SET hash = zeroblob(32) WHERE level = 8 AND subtree_index = 0")
        let report = try fixture.store.audit()
        #expect(report.findings.contains { $0.message.contains("level 8") }, "\(report.findings)")
    }

    @Test func auditingWithAnotherAuthorityFailsTheCharter() throws {
        let fixture = try populatedFixture()
        defer { fixture.remove() }
        let stranger = try CertificateIssuer.authority(
            name: "Another authority", key: Ed25519PrivateKey.generate(), notBefore: StoreFixture.now,
            notAfter: StoreFixture.now + 86_400, serial: 1)
        let report = try fixture.store.audit(authority: stranger.certificate)
        #expect(report.findings.contains { $0.subject == "charter" })
    }
}
