import Foundation
import Testing
import TocsinNode

@Suite struct NodeConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theAnnotatedExampleParses() throws {
        let example = Self.repository.appendingPathComponent("Docs/node.example.toml")
        let configuration = try NodeConfiguration(contentsOf: example)
        #expect(configuration.nodeID == "XA")
        #expect(configuration.listenHost == "127.0.0.1" && configuration.listenPort == 7402)
        #expect(configuration.peers == [.init(nodeID: "RN", host: "127.0.0.1", port: 7400)])
        #expect(configuration.dataDirectory.path == Self.repository.appendingPathComponent("Docs/data").path)
        #expect(configuration.adminSocket.lastPathComponent == "admin.sock")
        #expect(configuration.antiEntropySeconds == 30)
    }

    static let minimal = """
        node-id = "XA"
        data-dir = "data"
        key = "node.key"
        certificate = "node.crt"
        ca = "ca.crt"
        charter = "charter.toml"
        charter-signature = "charter.sig"
        listen = "[::1]:7402"
        """

    @Test func addressesMayBeIPv6() throws {
        let configuration = try NodeConfiguration(toml: Self.minimal, relativeTo: URL(fileURLWithPath: "/srv/tocsin"))
        #expect(configuration.listenHost == "::1")
        #expect(configuration.key.path == "/srv/tocsin/node.key")
    }

    @Test(arguments: [
        ("listen = \"[::1]:7402\"", "listen = \"nowhere\"", "an address without a port"),
        ("listen = \"[::1]:7402\"", "listen = \"127.0.0.1:99999\"", "a port out of range"),
        ("node-id = \"XA\"", "node-id = \"X A\"", "an invalid node id"),
        ("node-id = \"XA\"", "nodeid = \"XA\"", "a misspelt key"),
        ("key = \"node.key\"", "", "a missing key"),
        ("data-dir = \"data\"", "data-dir = \"data\"\nlog-level = \"loud\"", "an unknown log level"),
        ("data-dir = \"data\"", "data-dir = \"data\"\n[[peers]]\nid = \"RN\"", "a peer without an address"),
        ("data-dir = \"data\"", "data-dir = = \"data\"", "a syntax error"),
    ])
    func mistakesAreNamed(target: String, replacement: String, what: String) {
        let text = Self.minimal.replacingOccurrences(of: target, with: replacement)
        #expect(throws: ConfigurationError.self, "\(what)") {
            try NodeConfiguration(toml: text, relativeTo: URL(fileURLWithPath: "/srv/tocsin"))
        }
    }
}
