import Foundation
import Testing
import TocsinDevelopment
import TocsinNode

/// Where `tocsin --node`, `--data-dir` and `TOCSIN_NODE` find a node's data and socket.
struct NodeLocationTests {
    @Test func aNodesFolderItsConfigurationAndItsDataDirectoryAllLeadToTheSameNode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-location-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let network = try FictionalNetwork.make(nationals: 1, relays: 1, now: Date())
        _ = try DevelopmentNetwork.write(network, to: directory, basePort: 40_000)
        let folder = directory.appendingPathComponent("XA")
        let data = folder.appendingPathComponent("data").standardizedFileURL
        let expected = NodeLocation(
            dataDirectory: data, adminSocket: data.appendingPathComponent("admin.sock"),
            configuration: folder.appendingPathComponent("node.toml").standardizedFileURL)
        #expect(try NodeLocation(resolving: folder.path) == expected)
        #expect(try NodeLocation(resolving: folder.appendingPathComponent("node.toml").path) == expected)
        let fromData = try NodeLocation(resolving: data.path)
        #expect(fromData.dataDirectory == data)
        #expect(fromData.adminSocket == expected.adminSocket)
        #expect(fromData.configuration == nil)

        // A socket placed elsewhere by the configuration is found through it.
        let configuration = folder.appendingPathComponent("node.toml")
        // A root key, so before the [[peers]] tables.
        let toml = "admin-socket = \"/tmp/xa-admin.sock\"\n" + (try String(contentsOf: configuration, encoding: .utf8))
        try toml.write(to: configuration, atomically: true, encoding: .utf8)
        #expect(try NodeLocation(resolving: folder.path).adminSocket.path == "/tmp/xa-admin.sock")

        // A configuration that does not read is reported, naming the file.
        try "node-id = ".write(to: configuration, atomically: true, encoding: .utf8)
        #expect(throws: NodeLocationError.self) { try NodeLocation(resolving: folder.path) }
        // A path that does not exist is taken as a data directory (opening it says what is wrong).
        let absent = directory.appendingPathComponent("absent").path
        #expect(try NodeLocation(resolving: absent).dataDirectory.path == absent)
    }
}
