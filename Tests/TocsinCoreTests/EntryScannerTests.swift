import Foundation
import SwiftProtobuf
import Testing
import TocsinDevelopment

@testable import TocsinCore

/// The scanner that checks received entries without decoding them must judge every byte
/// string as SwiftProtobuf's decoder (with `EntryDecoder.check`) does: the same entries
/// accepted with the same header, the same refused with the same reason. Otherwise what a
/// node stores would depend on how large the batch was that brought it.
@Suite struct EntryScannerTests {
    typealias Outcome = Result<EntryHeader, EntryError>

    static func decoded(_ bytes: [UInt8]) -> Outcome {
        Result { () throws(EntryError) in EntryHeader(try EntryDecoder.decode(bytes)) }
    }

    static func scanned(_ bytes: [UInt8]) -> Outcome {
        Result { () throws(EntryError) in try EntryDecoder.header(of: bytes) }
    }

    /// One entry of every kind the project writes.
    static var entriesOfEveryKind: [[UInt8]] {
        let reference = EntryReference(group: "ecowatch", author: "XA", index: 3)
        let referenced = ConsultationBook.message(reference, leafHash: MerkleHash.leaf([7]))
        var proposal = Tocsin_V1_Proposal()
        proposal.title = "Fact-finding mission to XB — ünïcode"
        proposal.action = .factFindingMission
        proposal.bulletins = [referenced]
        proposal.deadlineMs = 9_000
        var decision = Tocsin_V1_Decision()
        decision.proposal = referenced
        decision.outcome = .adopted
        var counted = Tocsin_V1_CountedVote()
        counted.vote = referenced
        counted.position = .endorse
        counted.witnessedCheckpoint = "checkpoint\n"
        decision.votes = [counted]
        var charter = Tocsin_V1_Entry()
        charter.kind = .charter
        charter.authorTimeMs = 5
        charter.charter.version = 2
        charter.charter.charterToml = Data("network = \"x\"".utf8)
        var referral = Tocsin_V1_Entry()
        referral.kind = .referral
        referral.referral.decision = referenced
        referral.referral.observers = ["OB"]
        referral.referral.dossier = Data([0xFF, 0x00, 0x80])
        return [
            SampleEntries.bulletin(number: 1, country: "XA", byteCount: 1024, authorTimeMs: 1),
            SampleEntries.bulletin(number: 2, country: "XB", byteCount: 64, authorTimeMs: 0),
            ConsultationEntries.acknowledgement(
                of: reference, leafHash: MerkleHash.leaf([1]), level: .received, authorTimeMs: 2),
            ConsultationEntries.proposal(proposal, authorTimeMs: 3),
            try! ConsultationEntries.vote(
                on: reference, leafHash: MerkleHash.leaf([2]), position: .object, statement: "Nein — 否",
                authorTimeMs: 4),
            ConsultationEntries.decision(decision, authorTimeMs: 6),
            try! charter.serializedBytes(),
            try! referral.serializedBytes(),
        ]
    }

    @Test func everyKindOfEntryIsAcceptedWithTheDecodersHeader() throws {
        for bytes in Self.entriesOfEveryKind {
            let header = try EntryDecoder.header(of: bytes)
            #expect(header == EntryHeader(try EntryDecoder.decode(bytes)))
        }
    }

    @Test func emptyAndOversizedEntriesAreRefusedAsTheDecoderRefusesThem() {
        let oversized = [UInt8](repeating: 0x20, count: EntryDecoder.maximumByteCount + 1)
        for bytes in [[], oversized] {
            #expect(Self.scanned(bytes) == Self.decoded(bytes))
            #expect(throws: EntryError.self) { try EntryDecoder.header(of: bytes) }
        }
    }

    /// The generated message types, in the order of `EntryScanner.schemas`.
    static let messageTypes: [any SwiftProtobuf.Message.Type] = [
        Tocsin_V1_Entry.self, Tocsin_V1_EntryReference.self, Tocsin_V1_Bulletin.self, Tocsin_V1_Situation.self,
        Tocsin_V1_Area.self, Tocsin_V1_Geocode.self, Tocsin_V1_RiskFactor.self, Tocsin_V1_Source.self,
        Tocsin_V1_Acknowledgement.self, Tocsin_V1_Proposal.self, Tocsin_V1_Vote.self, Tocsin_V1_CountedVote.self,
        Tocsin_V1_Decision.self, Tocsin_V1_CharterUpdate.self, Tocsin_V1_Referral.self,
    ]

    /// What SwiftProtobuf makes of field `number` of `type`, found by feeding it probes: a
    /// varint it keeps as a field, one byte 0xFF it refuses as text or as a message, or keeps.
    static func probe<M: SwiftProtobuf.Message>(
        _ type: M.Type, field number: UInt64, within path: [UInt64] = []
    )
        -> EntryScanner.Field?
    {
        func wrapped(_ bytes: [UInt8]) -> [UInt8] {
            path.reversed().reduce(bytes) { inner, outer in
                RandomWire.tag(outer, 2) + RandomWire.varint(UInt64(inner.count)) + inner
            }
        }
        func decoded(_ bytes: [UInt8]) -> Result<String, BinaryDecodingError> {
            Result { () throws(BinaryDecodingError) in
                do { return try M(serializedBytes: wrapped(bytes)).textFormatString() } catch let error
                    as BinaryDecodingError
                { throw error } catch { throw .internalExtensionError }
            }
        }
        // Unknown fields are written by number in the text format, known ones by name.
        guard case .success(let text) = decoded(RandomWire.tag(number, 0) + [0x05]) else { return nil }
        if !text.contains("\(number): 5") { return .varint }
        switch decoded(RandomWire.tag(number, 2) + [0x01, 0xFF]) {
        case .failure(.invalidUTF8): return .string
        case .failure(.malformedProtobuf): return .message(-1)
        case .success(let text) where text.contains("\(number): \"\\377\""): return .unknown
        case .success: return .bytes
        case .failure: return nil
        }
    }

    /// The scanner's schema is the generated code's, field by field and message by message:
    /// each table is compared with what SwiftProtobuf does with probes of fields 1 to 20, at
    /// the top of its type and at the end of the path that leads to it from an entry.
    @Test func theScannersSchemaIsTheGeneratedMessagesSchema() {
        // The path of fields from an entry to each schema, found by walking the tables.
        var paths: [Int: [UInt64]] = [0: []]
        var queue = [0]
        while !queue.isEmpty {
            let schema = queue.removeFirst()
            for (number, field) in EntryScanner.schemas[schema].enumerated() {
                if case .message(let nested) = field, paths[nested] == nil {
                    paths[nested] = paths[schema]! + [UInt64(number)]
                    queue.append(nested)
                }
            }
        }
        #expect(paths.count == EntryScanner.schemas.count, "every schema is reachable from an entry")
        for (index, type) in Self.messageTypes.enumerated() {
            let table = EntryScanner.schemas[index]
            for number in 1...20 {
                let listed = number < table.count ? table[number] : .unknown
                let expected: EntryScanner.Field? = {
                    if case .message = listed { return .message(-1) }
                    return listed
                }()
                #expect(Self.probe(type, field: UInt64(number)) == expected, "\(type) field \(number)")
                // Reached from an entry, the same field is read as the same table says.
                #expect(
                    Self.probe(Tocsin_V1_Entry.self, field: UInt64(number), within: paths[index] ?? [])
                        == expected, "\(type) field \(number) under \(paths[index] ?? [])")
            }
        }
    }

    /// Groups nested in unknown fields count against the decoder's nesting limit, as
    /// messages do: both must stop at the same depth.
    @Test(arguments: [29, 30, 31, 32, 33])
    func nestedGroupsMeetTheNestingLimitAtTheDecodersDepth(depth: Int) {
        let opening = [UInt8](repeating: 0x1B, count: depth)  // field 3, start group
        let closing = [UInt8](repeating: 0x1C, count: depth)  // field 3, end group
        let atTop: [UInt8] = [0x08, 0x01, 0x52, 0x00] + opening + closing
        // The same depth inside a bulletin (field 19 unknown there), one level further down.
        let bulletinBody: [UInt8] =
            [0x2A, 0x01, 0x41, 0x9B, 0x01] + opening.dropFirst() + closing.dropFirst() + [0x9C, 0x01]
        let inBulletin: [UInt8] = [0x08, 0x01, 0x52, UInt8(bulletinBody.count)] + bulletinBody
        for bytes in [atTop, inBulletin] {
            #expect(Self.scanned(bytes) == Self.decoded(bytes), "depth \(depth): \(bytes)")
        }
        // The entry is one level, the bulletin a second: 32 in all.
        #expect(((try? EntryDecoder.header(of: atTop)) != nil) == (depth <= 31))
        #expect(((try? EntryDecoder.header(of: inBulletin)) != nil) == (depth <= 30))
    }

    /// Random wire data of every shape, at every depth, and real entries with bytes changed:
    /// the scanner and the decoder agree on each, and the data reaches every kind of
    /// acceptance and refusal (so agreement is not only on easy cases).
    @Test(arguments: 0..<4)
    func scannerAndDecoderAgreeOnRandomWireData(seed: UInt64) {
        var random = SeededGenerator(seed: 0xE27 &+ seed)
        var wire = RandomWire()
        var seen: Set<String> = []
        let entries = Self.entriesOfEveryKind
        for round in 0..<6_000 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = entries.randomElement(using: &random)!
                RandomWire.mutate(&bytes, using: &random)
            } else {
                bytes = wire.entry(using: &random)
            }
            let scanned = Self.scanned(bytes)
            let decoded = Self.decoded(bytes)
            #expect(scanned == decoded, "seed \(seed) round \(round): \(bytes)")
            if scanned != decoded { return }
            switch scanned {
            case .success: seen.insert("accepted")
            case .failure(.notProtobuf(let reason)): seen.insert(reason)
            case .failure(let error):
                seen.insert("\(error)".components(separatedBy: " ").prefix(4).joined(separator: " "))
            }
        }
        for expected in [
            "accepted", "truncated", "malformedProtobuf", "invalidUTF8", "the entry has no",
            "the entry says it",
        ] {
            #expect(seen.contains(expected), "seed \(seed) never produced \(expected): \(seen.sorted())")
        }
    }
}

/// Random protobuf wire data, shaped like an entry often enough to reach deep fields.
struct RandomWire {
    /// An entry's top level: a kind, a time, a payload, and fields of any other shape.
    mutating func entry(using random: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        if Int.random(in: 0..<10, using: &random) < 9 {
            bytes += Self.tag(1, 0) + Self.varint(UInt64.random(in: 0...9, using: &random))
        }
        if Bool.random(using: &random) {
            let time: Int64 =
                Int.random(in: 0..<8, using: &random) == 0 ? -5 : Int64.random(in: 0...1 << 40, using: &random)
            bytes += Self.tag(2, 0) + Self.varint(UInt64(bitPattern: time))
        }
        if Int.random(in: 0..<10, using: &random) < 9 {
            let body = message(depth: 1, using: &random)
            bytes += Self.tag(UInt64.random(in: 10...16, using: &random), 2) + Self.varint(UInt64(body.count)) + body
        }
        for _ in 0..<Int.random(in: 0...2, using: &random) { bytes += field(depth: 1, using: &random) }
        return bytes
    }

    func message(depth: Int, using random: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0...5, using: &random) { bytes += field(depth: depth, using: &random) }
        return bytes
    }

    func field(depth: Int, using random: inout SeededGenerator) -> [UInt8] {
        let numbers: [UInt64] = [0, 17, 100, (1 << 29) - 1, 1 << 29, 1 << 32]
        let number =
            Int.random(in: 0..<20, using: &random) == 0
            ? numbers.randomElement(using: &random)! : UInt64.random(in: 1...16, using: &random)
        let wireTypes: [UInt64] = [0, 0, 0, 2, 2, 2, 2, 2, 1, 5, 3, 4, 6, 7]
        let wireType =
            Int.random(in: 0..<4, using: &random) == 0
            ? wireTypes.randomElement(using: &random)! : [0, 2].randomElement(using: &random)!
        var bytes = Self.tag(number, wireType)
        if Int.random(in: 0..<40, using: &random) == 0 {
            // A tag written with a redundant continuation byte.
            bytes[bytes.count - 1] |= 0x80
            bytes.append(0)
        }
        switch wireType {
        case 0:
            switch Int.random(in: 0..<30, using: &random) {
            case 0: bytes += [UInt8](repeating: 0xFF, count: Int.random(in: 9...12, using: &random)) + [0x01]
            case 1: bytes += [0x80]  // cut short
            default:
                bytes += Self.varint(
                    UInt64.random(in: 0...UInt64.max, using: &random) >> UInt64.random(in: 0...63, using: &random))
            }
        case 1:
            bytes += (0..<Int.random(in: 6...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 5:
            bytes += (0..<Int.random(in: 3...4, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 2:
            let body: [UInt8]
            switch Int.random(in: 0..<6, using: &random) {
            case 0,
                1 where depth < 7:
                body = message(depth: depth + 1, using: &random)
            case 2: body = Array("Plain text of a field".utf8.prefix(Int.random(in: 0...21, using: &random)))
            case 3: body = Array("Ünïcödé — 中文 — 🛑".utf8)
            case 4:
                // Mostly ASCII with one byte that may break UTF-8, at any offset.
                var text = Array("A headline long enough to pass the eight-byte fast path".utf8)
                text[Int.random(in: 0..<text.count, using: &random)] = [0xC3, 0xFF, 0x80, 0xED, 0xF4].randomElement(
                    using: &random)!
                body = text
            default:
                body = (0..<Int.random(in: 0...12, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random)
                }
            }
            let declared = Int.random(in: 0..<25, using: &random) == 0 ? body.count + 3 : body.count
            bytes += Self.varint(UInt64(declared)) + body
        case 3:
            if depth < 7 { bytes += message(depth: depth + 1, using: &random) }
            let closing = Int.random(in: 0..<8, using: &random) == 0 ? number + 1 : number
            if Int.random(in: 0..<12, using: &random) != 0 { bytes += Self.tag(closing, 4) }
        default: break
        }
        return bytes
    }

    static func tag(_ number: UInt64, _ wireType: UInt64) -> [UInt8] { varint(number << 3 | wireType) }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    /// Changes, inserts, deletes or cuts off a few bytes of `bytes`.
    static func mutate(_ bytes: inout [UInt8], using random: inout SeededGenerator) {
        for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 2: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
            case 3: bytes.remove(at: at)
            default: bytes.removeLast(Int.random(in: 1...min(8, bytes.count), using: &random))
            }
        }
    }
}
