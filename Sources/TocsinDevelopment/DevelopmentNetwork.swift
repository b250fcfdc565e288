import Foundation
import NIOConcurrencyHelpers
import TocsinCore
import TocsinCrypto
import TocsinNode
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a complete local network without starting it: the layout a newcomer, a test or a
/// benchmark starts from.
///
/// ```
/// DIR/ca.crt  DIR/ca.key  DIR/charter.toml  DIR/charter.sig
/// DIR/<node-id>/node.toml  node.key  node.crt  data/
/// ```
/// Every node listens on loopback (`basePort` + its position in the charter); national
/// nodes and observers dial the conveners of their groups, relays dial the relays before
/// them in the charter.
public enum DevelopmentNetwork {
    public struct Node: Sendable {
        public let id: String
        public let role: Charter.Role
        public let port: Int
        public let configuration: URL
        public let dataDirectory: URL
    }

    public static func write(
        _ network: FictionalNetwork, to directory: URL, basePort: Int, host: String = "127.0.0.1",
        antiEntropySeconds: Int = 5, now: Date = Date()
    ) throws -> [Node] {
        let files = FileManager.default
        if let existing = try? files.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw DevelopmentError.notEmpty(directory.path)
        }
        try files.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try KeyFile.write(network.authority.key, to: directory.appendingPathComponent("ca.key").path)
        try Data(network.authority.certificate.pem.utf8).write(to: directory.appendingPathComponent("ca.crt"))
        try Data(network.signedCharter.bytes).write(to: directory.appendingPathComponent("charter.toml"))
        try Data(network.signedCharter.signature).write(to: directory.appendingPathComponent("charter.sig"))

        let charter = network.charter
        let ports = Dictionary(uniqueKeysWithValues: network.members.enumerated().map { ($1.node.id, basePort + $0) })
        let relays = network.members.filter { $0.node.role == .relay }.map(\.node.id)
        var nodes: [Node] = []
        for member in network.members {
            let id = member.node.id
            let folder = directory.appendingPathComponent(id)
            try files.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try KeyFile.write(member.key, to: folder.appendingPathComponent("node.key").path)
            try Data(member.certificate.pem.utf8).write(to: folder.appendingPathComponent("node.crt"))
            let dials: [String]
            switch member.node.role {
            case .relay:
                dials = Array(relays.prefix { $0 != id })
            case .national, .observer:
                var conveners: [String] = []
                for group in charter.groups(of: id) where group.convener != id && !conveners.contains(group.convener) {
                    conveners.append(group.convener)
                }
                dials = conveners
            }
            var toml = """
                # Tocsin node \(id) (\(member.node.role.rawValue)) of a local development network.
                node-id = "\(id)"
                data-dir = "data"
                key = "node.key"
                certificate = "node.crt"
                ca = "../ca.crt"
                charter = "../charter.toml"
                charter-signature = "../charter.sig"
                listen = "\(host):\(ports[id]!)"
                log-level = "info"
                anti-entropy-seconds = \(antiEntropySeconds)

                """
            for peer in dials {
                toml += """

                    [[peers]]
                    id = "\(peer)"
                    address = "\(host):\(ports[peer]!)"

                    """
            }
            try Data(toml.utf8).write(to: folder.appendingPathComponent("node.toml"))
            let data = folder.appendingPathComponent("data")
            _ = try FeedStore.create(
                at: data, genesis: network.signedCharter, authorityCertificatePEM: network.authority.certificate.pem,
                now: now)
            nodes.append(
                Node(
                    id: id, role: member.node.role, port: ports[id]!,
                    configuration: folder.appendingPathComponent("node.toml"),
                    dataDirectory: data))
        }
        return nodes
    }
}

extension DevelopmentNetwork {
    /// A base port with `count` free consecutive ports after it on 127.0.0.1 (for `write`).
    ///
    /// The ports are taken outside the kernel's ephemeral range
    /// (`/proc/sys/net/ipv4/ip_local_port_range`): a port inside it that is free now can be
    /// handed to any outgoing connection a moment later, and a daemon restarted on it would
    /// find it taken. Ranges handed out earlier in this process are not handed out again, so
    /// networks written side by side (tests run in parallel) never share a port.
    public static func freeBasePort(count: Int) throws -> Int {
        guard count > 0, count < 5_000 else { throw DevelopmentError.noFreePorts(count) }
        let candidates = portsOutsideEphemeralRange(count: count)
        guard !candidates.isEmpty else { throw DevelopmentError.noFreePorts(count) }
        for _ in 0..<100 {
            let base = candidates.randomElement()!
            let range = base..<base + count
            let reserved = handedOut.withLockedValue { handed in
                guard !handed.contains(where: { $0.overlaps(range) }) else { return false }
                handed.append(range)
                return true
            }
            guard reserved else { continue }
            if range.allSatisfy(isFree) { return base }
        }
        throw DevelopmentError.noFreePorts(count)
    }

    private static let handedOut = NIOLockedValueBox<[Range<Int>]>([])

    /// Base ports whose `count` ports all lie in 10000...65535 and outside the ephemeral range.
    static func portsOutsideEphemeralRange(count: Int) -> [Int] {
        var ephemeral = 32_768...60_999
        if let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) {
            let bounds = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
            if bounds.count == 2, (1...65_535).contains(bounds[0]), bounds[0] <= bounds[1], bounds[1] <= 65_535 {
                ephemeral = bounds[0]...bounds[1]
            }
        }
        let below = Array(stride(from: 10_000, through: ephemeral.lowerBound - count, by: count))
        let above = Array(stride(from: ephemeral.upperBound + 1, through: 65_536 - count, by: count))
        return below + above
    }

    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
