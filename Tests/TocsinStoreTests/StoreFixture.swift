import Foundation
import GRDB
import TocsinCore
import TocsinCrypto
import TocsinDevelopment
import TocsinStore

/// A fresh data directory of a small fictional network, removed by `remove()`.
struct StoreFixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    let network: FictionalNetwork
    let directory: URL
    let store: FeedStore

    init() throws {
        network = try FictionalNetwork.make(nationals: 3, relays: 1, observers: 1, now: Self.now)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-store-\(UUID().uuidString)")
        store = try FeedStore.create(
            at: directory, genesis: network.signedCharter, authorityCertificatePEM: network.authority.certificate.pem,
            now: Self.now)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func origin(group: String = "nro", author: String = "XA") throws -> FeedOrigin {
        try FeedOrigin(network: network.networkID, group: group, author: author)
    }

    func author(group: String = "nro", author: String = "XA") throws -> FeedAuthor {
        FeedAuthor(origin: try origin(group: group, author: author), key: network.member(author)!.key)
    }

    static func entries(_ range: Range<Int>, byteCount: Int = 120) -> [[UInt8]] {
        range.map {
            SampleEntries.bulletin(
                number: $0, country: "XA", byteCount: byteCount, authorTimeMs: 1_800_000_000_000 + Int64($0))
        }
    }

    /// A second connection to the database file, bypassing the store's API (as an attacker
    /// or a careless operator with the sqlite3 shell would).
    func rawDatabase() throws -> DatabaseQueue {
        try DatabaseQueue(path: directory.appendingPathComponent(FeedStore.databaseFileName).path)
    }

    /// Every row of every table, to compare the whole store before and after an operation.
    func snapshot() throws -> [String: [String]] {
        try rawDatabase().read { db in
            var tables: [String: [String]] = [:]
            for table in [
                "meta", "charters", "feeds", "entries", "subtrees", "checkpoints", "cosignatures", "fork_proofs",
            ] {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map(\.description).sorted()
            }
            return tables
        }
    }
}
