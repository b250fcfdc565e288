import TocsinCrypto

/// The network id: SHA-256 of the genesis charter's bytes.
public struct NetworkID: Hashable, Sendable, CustomStringConvertible {
    public let digest: SHA256Digest

    public init(digest: SHA256Digest) { self.digest = digest }

    /// The id of the network founded by this charter file.
    public init(genesisCharter bytes: [UInt8]) { digest = SHA256.hash(bytes) }

    /// The first 16 hex digits, as written in origins.
    public var shortHex: String { String(digest.hex.prefix(16)) }

    public var description: String { digest.hex }
}

/// Node and group identifiers: 1–64 of `A–Z a–z 0–9 . _ -`, starting with a letter or digit.
public enum Identifier {
    public static func isValid(_ value: String) -> Bool {
        guard let first = value.utf8.first, value.utf8.count <= 64, isAlphanumeric(first) else { return false }
        return value.utf8.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
    }
}

/// A feed's name: `tocsin/<network-id-hex-16>/<group>/<author>`.
public struct FeedOrigin: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let networkShortHex: String
    public let group: String
    public let author: String

    public init(network: NetworkID, group: String, author: String) throws(FeedOriginError) {
        try self.init(networkShortHex: network.shortHex, group: group, author: author)
    }

    init(networkShortHex: String, group: String, author: String) throws(FeedOriginError) {
        guard networkShortHex.utf8.count == 16, networkShortHex.utf8.allSatisfy({ Self.isLowerHex($0) }) else {
            throw FeedOriginError.malformed("the network id must be 16 lower-case hex digits")
        }
        guard Identifier.isValid(group) else {
            throw FeedOriginError.malformed("\(group.debugDescription) is not a valid group id")
        }
        guard Identifier.isValid(author) else {
            throw FeedOriginError.malformed("\(author.debugDescription) is not a valid node id")
        }
        self.networkShortHex = networkShortHex
        self.group = group
        self.author = author
    }

    /// Parses `tocsin/<hex16>/<group>/<author>`.
    public init(parsing origin: String) throws(FeedOriginError) {
        let parts = origin.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "tocsin" else {
            throw FeedOriginError.malformed(
                "\(origin.prefix(100).debugDescription) is not tocsin/<network>/<group>/<author>")
        }
        try self.init(networkShortHex: parts[1], group: parts[2], author: parts[3])
    }

    public var description: String { "tocsin/\(networkShortHex)/\(group)/\(author)" }

    /// `<group>/<author>`, the short form used on the command line.
    public var shortName: String { "\(group)/\(author)" }

    public static func < (lhs: FeedOrigin, rhs: FeedOrigin) -> Bool { lhs.description < rhs.description }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }
}

/// Why an origin or entry reference could not be read.
public enum FeedOriginError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let reason): return reason
        }
    }
}

/// `<group>/<author>/<index>`: an entry of this network, as operators write it.
public struct EntryReference: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let group: String
    public let author: String
    public let index: UInt64

    public init(group: String, author: String, index: UInt64) {
        self.group = group
        self.author = author
        self.index = index
    }

    public init(parsing text: String) throws(FeedOriginError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, Identifier.isValid(parts[0]), Identifier.isValid(parts[1]),
            parts[2].utf8.allSatisfy({ (0x30...0x39).contains($0) }), let index = UInt64(parts[2])
        else {
            throw FeedOriginError.malformed(
                "\(text.prefix(100).debugDescription) is not <group>/<author>/<index>, e.g. nro/XA/12")
        }
        guard index < Checkpoint.maximumSize else {
            throw FeedOriginError.malformed("\(text.prefix(100).debugDescription): an index is below 2^40")
        }
        self.init(group: parts[0], author: parts[1], index: index)
    }

    public var description: String { "\(group)/\(author)/\(index)" }

    /// By group, then author, then index: the order of listings and of the consultation's work.
    public static func < (left: EntryReference, right: EntryReference) -> Bool {
        (left.group, left.author, left.index) < (right.group, right.author, right.index)
    }
}
