import SwiftProtobuf

/// Structural checks on entry bytes: size, protobuf well-formedness, kind matching payload.
///
/// Semantic rules of each kind (a bulletin's fields, a vote's proposal) are checked where
/// those kinds are interpreted; this is what every node requires before it stores bytes.
public enum EntryDecoder {
    /// The largest entry a node stores. Bulletins with long descriptions fit many times over.
    public static let maximumByteCount = 256 * 1024

    /// Decodes and checks one entry.
    public static func decode(_ bytes: some Collection<UInt8>) throws(EntryError) -> Tocsin_V1_Entry {
        guard bytes.count <= maximumByteCount else {
            throw EntryError.tooLarge(byteCount: bytes.count, limit: maximumByteCount)
        }
        let entry: Tocsin_V1_Entry
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 32
            entry = try Tocsin_V1_Entry(serializedBytes: Array(bytes), options: options)
        } catch {
            throw EntryError.notProtobuf(String(describing: error))
        }
        try check(entry)
        return entry
    }

    /// Checks entry bytes exactly as `decode` does and returns their header, without building
    /// the message (`EntryScanner`): for bytes that are checked and stored, not interpreted.
    public static func header(of bytes: [UInt8]) throws(EntryError) -> EntryHeader {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(EntryError) in try EntryScanner.header(of: buffer) }
        }.get()
    }

    /// Checks that an entry's kind and payload agree.
    public static func check(_ entry: Tocsin_V1_Entry) throws(EntryError) {
        let payload: Tocsin_V1_EntryKind?
        switch entry.payload {
        case .bulletin: payload = .bulletin
        case .acknowledgement: payload = .acknowledgement
        case .proposal: payload = .proposal
        case .vote: payload = .vote
        case .decision: payload = .decision
        case .charter: payload = .charter
        case .referral: payload = .referral
        case nil: payload = nil
        }
        try check(kind: entry.kind, authorTimeMs: entry.authorTimeMs, payload: payload)
    }

    /// The checks of `check(_:)` on an entry's kind, author time and the kind of its payload.
    static func check(
        kind: Tocsin_V1_EntryKind, authorTimeMs: Int64, payload expected: Tocsin_V1_EntryKind?
    ) throws(EntryError) {
        guard authorTimeMs >= 0 else { throw EntryError.negativeTime }
        switch (kind, expected) {
        case (.unspecified, _):
            throw EntryError.missingKind
        case (.UNRECOGNIZED, nil):
            // A kind from a later protocol version: stored and replicated, not interpreted.
            return
        case (let kind, nil):
            throw EntryError.kindWithoutPayload(kind: String(describing: kind))
        case (let kind, let payload?) where kind != payload:
            throw EntryError.kindMismatch(kind: String(describing: kind), payload: String(describing: payload))
        default:
            return
        }
    }
}

/// Why entry bytes were refused.
public enum EntryError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(byteCount: Int, limit: Int)
    case notProtobuf(String)
    case missingKind
    case negativeTime
    case kindWithoutPayload(kind: String)
    case kindMismatch(kind: String, payload: String)

    public var description: String {
        switch self {
        case .tooLarge(let byteCount, let limit):
            return "the entry has \(byteCount) bytes, more than the limit of \(limit)"
        case .notProtobuf(let reason):
            return "the entry is not a valid protobuf Entry message (\(reason))"
        case .missingKind:
            return "the entry has no kind"
        case .negativeTime:
            return "the entry's author time is negative"
        case .kindWithoutPayload(let kind):
            return "the entry says it is a \(kind) but carries no payload"
        case .kindMismatch(let kind, let payload):
            return "the entry says it is a \(kind) but carries a \(payload)"
        }
    }
}
