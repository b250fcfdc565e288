import SwiftProtobuf

/// Checks entry bytes as `EntryDecoder.decode` does, and reads their header, without building
/// the message: no allocation, no string, no generic protobuf machinery.
///
/// A node catching up checks every entry it receives before it stores it and, in batches too
/// large to keep decoded, never looks at the message again; decoding them cost more than their
/// hashing and was the largest part of catch-up's CPU time (BENCHMARKS.md, "Catch-up: entries
/// checked without being decoded"). The scanner walks the protobuf wire format with the
/// schema of `Entry` (`schemas`, from `Docs/protocol/tocsin.proto`) and follows SwiftProtobuf's
/// binary decoder rule for rule: the same tags, lengths, varints, nesting limit, UTF-8 checks
/// and unknown-field skipping, in the same order, so that it accepts exactly the bytes the
/// decoder accepts and names the same error. `EntryScannerTests` checks the two against each
/// other on random wire data.
enum EntryScanner {
    /// What a field of a message in the schema is on the wire, or `unknown` (skipped).
    enum Field: Equatable {
        case unknown
        /// A number or an enum (an open enum in proto3: every value is accepted).
        case varint
        /// UTF-8 text, checked.
        case string
        /// Opaque bytes.
        case bytes
        /// A nested message, by its index in `schemas`.
        case message(Int)
    }

    /// The messages an entry can hold, each as its fields by number (index 0 is never a field).
    /// Repeated fields are listed as their element: none of them is a packed scalar.
    static let schemas: [[Field]] = {
        let entryReference = 1, bulletin = 2, situation = 3, area = 4, geocode = 5, riskFactor = 6
        let source = 7, acknowledgement = 8, proposal = 9, vote = 10, countedVote = 11, decision = 12
        let charterUpdate = 13, referral = 14
        func fields(_ list: [Int: Field]) -> [Field] {
            var table = [Field](repeating: .unknown, count: (list.keys.max() ?? 0) + 1)
            for (number, field) in list { table[number] = field }
            return table
        }
        return [
            // Entry: kind, author_time_ms, then the payload (a oneof).
            fields([
                1: .varint, 2: .varint, 10: .message(bulletin), 11: .message(acknowledgement),
                12: .message(proposal), 13: .message(vote), 14: .message(decision), 15: .message(charterUpdate),
                16: .message(referral),
            ]),
            fields([1: .string, 2: .string, 3: .varint, 4: .bytes]),
            fields([
                1: .varint, 2: .varint, 3: .message(entryReference), 4: .message(situation), 5: .string, 6: .string,
                7: .varint, 8: .varint, 9: .varint, 10: .message(riskFactor), 11: .message(source), 12: .string,
                13: .string, 14: .varint,
            ]),
            fields([1: .string, 2: .message(area)]),
            fields([1: .string, 2: .message(geocode), 3: .string, 4: .string]),
            fields([1: .string, 2: .string]),
            fields([1: .varint, 2: .string, 3: .string]),
            fields([1: .string, 2: .string, 3: .string]),
            fields([1: .message(entryReference), 2: .varint]),
            fields([
                1: .string, 2: .varint, 3: .string, 4: .string, 5: .message(entryReference), 6: .varint, 7: .varint,
                8: .varint, 9: .varint, 10: .varint,
            ]),
            fields([1: .message(entryReference), 2: .varint, 3: .string]),
            fields([1: .message(entryReference), 2: .varint, 3: .string]),
            fields([
                1: .message(entryReference), 2: .varint, 3: .message(countedVote), 4: .string, 5: .varint, 6: .string,
            ]),
            fields([1: .varint, 2: .bytes, 3: .bytes]),
            fields([1: .message(entryReference), 2: .string, 3: .bytes]),
        ]
    }()

    /// The payload kind of each field of the `Entry` oneof, by field number.
    static func payloadKind(field: Int) -> Tocsin_V1_EntryKind? {
        switch field {
        case 10: return .bulletin
        case 11: return .acknowledgement
        case 12: return .proposal
        case 13: return .vote
        case 14: return .decision
        case 15: return .charter
        case 16: return .referral
        default: return nil
        }
    }

    /// The decoder's nesting budget (`BinaryDecodingOptions.messageDepthLimit` as
    /// `EntryDecoder` sets it).
    static let depthLimit = 32

    /// Checks `bytes` as an entry and returns its header.
    static func header(of bytes: UnsafeRawBufferPointer) throws(EntryError) -> EntryHeader {
        guard bytes.count <= EntryDecoder.maximumByteCount else {
            throw EntryError.tooLarge(byteCount: bytes.count, limit: EntryDecoder.maximumByteCount)
        }
        var fields = EntryFields()
        if let base = bytes.baseAddress, bytes.count > 0 {
            var reader = WireReader(start: base, count: bytes.count, budget: depthLimit)
            do {
                try reader.message(schema: 0, entry: &fields)
            } catch {
                throw EntryError.notProtobuf(String(describing: error))
            }
        }
        let kind = Tocsin_V1_EntryKind(rawValue: Int(Int32(truncatingIfNeeded: fields.kind))) ?? .unspecified
        let authorTimeMs = Int64(bitPattern: fields.authorTime)
        try EntryDecoder.check(kind: kind, authorTimeMs: authorTimeMs, payload: fields.payload)
        return EntryHeader(kind: kind.rawValue, authorTimeMs: authorTimeMs)
    }

    /// The fields of the top-level `Entry` that the header and the checks need.
    struct EntryFields {
        var kind: UInt64 = 0
        var authorTime: UInt64 = 0
        var payload: Tocsin_V1_EntryKind?
    }

    /// A cursor over wire bytes, with the decoder's nesting budget.
    struct WireReader {
        var position: UnsafeRawPointer
        var available: Int
        var budget: Int

        init(start: UnsafeRawPointer, count: Int, budget: Int) {
            position = start
            available = count
            self.budget = budget
        }

        /// Reads a whole message of `schema`; at the top level (`schema` 0) it notes the
        /// entry's fields.
        mutating func message(schema: Int, entry: inout EntryFields) throws(BinaryDecodingError) {
            budget -= 1
            if budget < 0 { throw .messageDepthLimit }
            let table = EntryScanner.schemas[schema]
            while available > 0 {
                let fieldStart = position
                let (number, wireType) = try tag()
                let field = number < table.count ? table[number] : .unknown
                switch (field, wireType) {
                case (.varint, 0):
                    let value = try varint()
                    if schema == 0 {
                        if number == 1 { entry.kind = value } else { entry.authorTime = value }
                    }
                case (.string, 2):
                    let (start, count) = try lengthDelimited()
                    guard EntryScanner.isValidUTF8(UnsafeRawBufferPointer(start: start, count: count)) else {
                        throw .invalidUTF8
                    }
                case (.bytes, 2):
                    _ = try lengthDelimited()
                case (.message(let nested), 2):
                    // Even an empty message is a level down (the decoder counts it).
                    let (start, count) = try lengthDelimited()
                    var inner = WireReader(start: start, count: count, budget: budget)
                    var unused = EntryFields()
                    try inner.message(schema: nested, entry: &unused)
                    if schema == 0 { entry.payload = EntryScanner.payloadKind(field: number) }
                default:
                    // Unknown here, or a known field with another wire type: the decoder keeps
                    // it as an unknown field, which it reads again from its tag to skip it.
                    available += position - fieldStart
                    position = fieldStart
                    try skipField()
                }
            }
            budget += 1
        }

        /// A field's tag as the decoder's fast path reads it: at most five bytes, a field
        /// number of at most 2^29 - 1, a wire type of 0 to 5, never an end of group.
        mutating func tag() throws(BinaryDecodingError) -> (number: Int, wireType: UInt8) {
            let first = position.load(as: UInt8.self)
            let wireType = first & 7
            guard wireType <= 5 else { throw .malformedProtobuf }
            var number = Int(first & 0x7f) >> 3
            var length = 1
            if first & 0x80 != 0 {
                var shift = 4
                while true {
                    guard available > length else { throw .malformedProtobuf }
                    let byte = position.load(fromByteOffset: length, as: UInt8.self)
                    if length == 4 && byte > 15 { throw .malformedProtobuf }
                    number |= Int(byte & 0x7f) << shift
                    length += 1
                    if byte & 0x80 == 0 || length == 5 { break }
                    shift += 7
                }
            }
            position += length
            available -= length
            // Field 0 is malformed; an end of group outside a group too.
            guard number != 0, wireType != 4 else { throw .malformedProtobuf }
            return (number, wireType)
        }

        /// A varint of at most ten bytes (bits past the 64th are dropped, as the decoder does).
        mutating func varint() throws(BinaryDecodingError) -> UInt64 {
            guard available > 0 else { throw .truncated }
            var value: UInt64 = 0
            var shift: UInt64 = 0
            var read = 0
            while true {
                if read > 0 && (read >= available || shift > 63) { throw .malformedProtobuf }
                let byte = position.load(fromByteOffset: read, as: UInt8.self)
                read += 1
                value |= UInt64(byte & 0x7f) &<< shift
                if byte & 0x80 == 0 { break }
                shift &+= 7
            }
            position += read
            available -= read
            return value
        }

        /// The body of a length-delimited field (strings, bytes and messages are under 2 GiB).
        mutating func lengthDelimited() throws(BinaryDecodingError) -> (UnsafeRawPointer, Int) {
            let length = try varint()
            guard length < 0x7fff_ffff else { throw .malformedProtobuf }
            guard length <= UInt64(available) else { throw .truncated }
            let body = position
            position += Int(length)
            available -= Int(length)
            return (body, Int(length))
        }

        /// Skips one field from its tag, read as a plain varint (the decoder's skipping path).
        mutating func skipField() throws(BinaryDecodingError) {
            let (number, wireType) = try skippedTag()
            try skipBody(number: number, wireType: wireType)
        }

        private mutating func skippedTag() throws(BinaryDecodingError) -> (number: UInt32, wireType: UInt8) {
            let raw = try varint()
            guard raw < UInt64(UInt32.max) else { throw .malformedProtobuf }
            let value = UInt32(truncatingIfNeeded: raw)
            guard value & ~7 != 0, value & 7 <= 5 else { throw .malformedProtobuf }
            return (value >> 3, UInt8(value & 7))
        }

        private mutating func skipBody(number: UInt32, wireType: UInt8) throws(BinaryDecodingError) {
            switch wireType {
            case 0:
                _ = try varint()
            case 1, 5:
                let size = wireType == 1 ? 8 : 4
                guard available >= size else { throw .truncated }
                position += size
                available -= size
            case 2:
                let length = try varint()
                guard length <= UInt64(available) else { throw .truncated }
                position += Int(length)
                available -= Int(length)
            case 3:
                budget -= 1
                if budget < 0 { throw .messageDepthLimit }
                while true {
                    guard available > 0 else { throw .truncated }
                    let (innerNumber, innerType) = try skippedTag()
                    if innerType == 4 {
                        guard innerNumber == number else { throw .malformedProtobuf }
                        budget += 1
                        break
                    }
                    try skipBody(number: innerNumber, wireType: innerType)
                }
            default:
                // An end of group with no group open.
                throw .truncated
            }
        }
    }

    /// Whether `bytes` are UTF-8 as SwiftProtobuf's decoder judges it (`Unicode.UTF8`'s
    /// parser), with a fast path for ASCII, which most text of a bulletin is.
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        guard index < count else { return true }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = UnsafeRawBufferPointer(rebasing: bytes[index...]).makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .error: return false
            case .emptyInput: return true
            }
        }
    }
}
