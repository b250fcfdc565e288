import Foundation
import TocsinCore
import TocsinCrypto

/// A complete fictional network — authority, node keys and certificates, signed charter —
/// for development networks, tests and benchmarks.
///
/// States are fictional, with user-assigned ISO 3166 codes (XA, XB, …); regional
/// organisations are fictional too.
public struct FictionalNetwork: Sendable {
    public struct Member: Sendable {
        public let node: Charter.Node
        public let key: Ed25519PrivateKey
        public let certificate: Certificate
    }

    public let authority: CertificateIssuer
    public let members: [Member]
    public let signedCharter: SignedCharter

    public var charter: Charter { signedCharter.charter }
    public var networkID: NetworkID { signedCharter.networkID }

    /// Node ids for national focal points: user-assigned codes only — ISO 3166-1 alpha-2
    /// (XA–XZ, QM–QZ, AA, ZZ), then alpha-3 (XAA–XZZ) for large benchmark networks.
    public static let nationalIDs: [String] = {
        let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }
        return letters.map { "X" + $0 } + letters.dropFirst(12).map { "Q" + $0 } + ["AA", "ZZ"]
            + letters.flatMap { second in letters.map { "X" + second + $0 } }
    }()

    static let regions: [(relay: String, group: String, name: String)] = [
        ("RN", "nro", "Northern Regional Organisation"), ("RS", "sro", "Southern Regional Organisation"),
        ("RE", "ero", "Eastern Regional Organisation"), ("RW", "wro", "Western Regional Organisation"),
        ("RC", "cro", "Central Regional Organisation"), ("RI", "iro", "Island Regional Organisation"),
        ("RP", "pro", "Plateau Regional Organisation"), ("RV", "vro", "Valley Regional Organisation"),
        ("RK", "kro", "Coastal Regional Organisation"), ("RM", "mro", "Mountain Regional Organisation"),
    ]

    /// The network-wide group every node belongs to.
    public static let networkWideGroup = "all"

    public func member(_ id: String) -> Member? { members.first { $0.node.id == id } }

    /// Makes a network: `relays` regional organisations (each a group convened by its relay),
    /// `nationals` states spread over them in turn, `observers` that join only the
    /// network-wide group (convened by the first relay), valid from `now` for `validity`.
    /// `deliberationMinutes` is every group's minimum time from a proposal to its deadline:
    /// none by default, so that a development network decides in seconds.
    public static func make(
        nationals: Int, relays: Int, observers: Int = 0, now: Date, validity: TimeInterval = 365 * 86_400,
        name: String = "Fictional Regional Early Warning Network", policy: Charter.Policy = .majority,
        deliberationMinutes: Int = 0
    ) throws -> FictionalNetwork {
        guard (1...nationalIDs.count).contains(nationals) else {
            throw DevelopmentError.tooMany("nationals", limit: nationalIDs.count)
        }
        guard (1...regions.count).contains(relays) else {
            throw DevelopmentError.tooMany("relays", limit: regions.count)
        }
        let notAfter = now.addingTimeInterval(validity)
        let notBefore = now.addingTimeInterval(-3600)
        let authority = try CertificateIssuer.authority(
            name: "\(name) authority", key: Ed25519PrivateKey.generate(), notBefore: notBefore, notAfter: notAfter,
            serial: 1)

        var specifications: [(id: String, name: String, role: Charter.Role)] = []
        for region in regions.prefix(relays) {
            specifications.append((region.relay, "\(region.name) relay", .relay))
        }
        for id in nationalIDs.prefix(nationals) {
            specifications.append((id, "National focal point of \(id) (fictional state)", .national))
        }
        for number in 0..<observers {
            specifications.append(("OBS\(number + 1)", "Observer office \(number + 1) (fictional)", .observer))
        }
        var members: [Member] = []
        for (offset, specification) in specifications.enumerated() {
            let key = try Ed25519PrivateKey.generate()
            let certificate = try authority.issue(
                nodeID: specification.id, publicKey: key.publicKey, notBefore: notBefore, notAfter: notAfter,
                serial: UInt64(offset + 2))
            members.append(
                Member(
                    node: Charter.Node(
                        id: specification.id, name: specification.name, role: specification.role,
                        publicKey: key.publicKey),
                    key: key, certificate: certificate))
        }

        let nationalMembers = members.filter { $0.node.role == .national }.map(\.node.id)
        // Referrals to the UN go to the observers, in the network-wide group where they are members.
        let observerIDs = members.filter { $0.node.role == .observer }.map(\.node.id)
        let referralGroup = observerIDs.isEmpty ? nil : networkWideGroup
        var groups: [Charter.Group] = []
        for (position, region) in regions.prefix(relays).enumerated() {
            let states = nationalMembers.enumerated().filter { $0.offset % relays == position }.map(\.element)
            groups.append(
                Charter.Group(
                    id: region.group, name: region.name, members: [region.relay] + states, convener: region.relay,
                    policy: policy, quorumPercent: policy == .consensus ? 50 : nil,
                    deliberationMinutes: deliberationMinutes, referralObservers: observerIDs,
                    referralGroup: referralGroup))
        }
        groups.append(
            Charter.Group(
                id: networkWideGroup, name: "Whole network", members: members.map(\.node.id),
                convener: regions[0].relay,
                policy: policy, quorumPercent: policy == .consensus ? 50 : nil,
                deliberationMinutes: deliberationMinutes,
                referralObservers: observerIDs, referralGroup: referralGroup))
        let charter = Charter(network: name, version: 1, nodes: members.map(\.node), groups: groups)
        let toml = Array(charter.renderTOML().utf8)
        let signature = authority.key.signature(for: toml)
        let signed = try SignedCharter(toml: toml, signatureFile: signature, authority: authority.key.publicKey)
        return FictionalNetwork(authority: authority, members: members, signedCharter: signed)
    }

    /// Writes the network's files: `ca.crt`, `ca.key`, `charter.toml`, `charter.sig`, and
    /// `nodes/<id>.key` and `nodes/<id>.crt` for each node. Keys are mode 0600.
    public func write(to directory: URL) throws {
        let files = FileManager.default
        try files.createDirectory(
            at: directory.appendingPathComponent("nodes"), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try KeyFile.write(authority.key, to: directory.appendingPathComponent("ca.key").path)
        try Data(authority.certificate.pem.utf8).write(to: directory.appendingPathComponent("ca.crt"))
        try Data(signedCharter.bytes).write(to: directory.appendingPathComponent("charter.toml"))
        try Data(signedCharter.signature).write(to: directory.appendingPathComponent("charter.sig"))
        for member in members {
            let base = directory.appendingPathComponent("nodes").appendingPathComponent(member.node.id)
            try KeyFile.write(member.key, to: base.appendingPathExtension("key").path)
            try Data(member.certificate.pem.utf8).write(to: base.appendingPathExtension("crt"))
        }
    }
}

/// Why a development network could not be made.
public enum DevelopmentError: Error, Sendable, CustomStringConvertible {
    case tooMany(String, limit: Int)
    case notEmpty(String)
    case noFreePorts(Int)

    public var description: String {
        switch self {
        case .tooMany(let what, let limit): return "\(what) must be between 1 and \(limit)"
        case .notEmpty(let path): return "\(path) is not empty; choose a new folder"
        case .noFreePorts(let count):
            return "found no \(count) free consecutive ports on 127.0.0.1; free some or give a base port"
        }
    }
}
