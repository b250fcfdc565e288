import Foundation
import SwiftProtobuf
import Testing

@testable import TocsinCore

/// `EntriesMessage(messageBytes:)` reads a catch-up's frames without SwiftProtobuf. Whatever it
/// takes must be what SwiftProtobuf decodes from the same bytes, or a node would verify and
/// store something other than what its peer sent.
@Suite struct EntriesMessageTests {
    /// SwiftProtobuf's reading of `bytes`, as a node would use it.
    static func decoded(_ bytes: [UInt8]) -> PeerMessage? {
        (try? Tocsin_V1_Message(serializedBytes: bytes)).map(PeerMessage.init)
    }

    static func read(_ bytes: [UInt8]) -> EntriesMessage? {
        bytes.withUnsafeBytes { EntriesMessage(messageBytes: $0) }
    }

    static func randomBytes(_ count: ClosedRange<Int>, using random: inout SeededGenerator) -> [UInt8] {
        (0..<Int.random(in: count, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    static func randomMessage(using random: inout SeededGenerator) -> EntriesMessage {
        let origins = ["", "tocsin-xa/ecowatch/XA", "Ünïcödé — 中文 — 🛑", "a\u{0}b"]
        let firstIndex: UInt64 =
            Bool.random(using: &random)
            ? UInt64.random(in: 0...2000, using: &random) : UInt64.random(in: 0...UInt64.max, using: &random)
        return EntriesMessage(
            origin: origins.randomElement(using: &random)!, firstIndex: firstIndex,
            entries: (0..<Int.random(in: 0...12, using: &random)).map { _ in
                randomBytes(0...300, using: &random)
            },
            checkpoint: randomBytes(0...200, using: &random),
            base: (0..<Int.random(in: 0...3, using: &random)).map { _ in randomBytes(0...32, using: &random) })
    }

    static func frame(_ message: EntriesMessage) -> [UInt8] {
        try! Tocsin_V1_Message.with { $0.entries = message.message }.serializedBytes()
    }

    @Test(arguments: 0..<4)
    func framesAsSwiftProtobufWritesThemAreReadAsItDecodesThem(seed: UInt64) throws {
        var random = SeededGenerator(seed: 0xE47 &+ seed)
        for round in 0..<500 {
            let message = Self.randomMessage(using: &random)
            let bytes = Self.frame(message)
            let read = try #require(Self.read(bytes), "seed \(seed) round \(round)")
            #expect(read == message)
            guard case .entries(let decoded) = Self.decoded(bytes) else {
                Issue.record("SwiftProtobuf did not decode round \(round)")
                return
            }
            #expect(read == decoded)
        }
    }

    /// Frames changed byte by byte, and `Entries` bodies with fields of every shape added
    /// anywhere: what the reader takes SwiftProtobuf decodes to the same message; the rest
    /// it leaves alone. Both kinds must occur, or the check proves little.
    @Test(arguments: 0..<4)
    func whateverTheReaderTakesSwiftProtobufDecodesToTheSameMessage(seed: UInt64) {
        var random = SeededGenerator(seed: 0xF00 &+ seed)
        var wire = RandomWire()
        var (taken, leftAlone) = (0, 0)
        for round in 0..<3_000 {
            let message = Self.randomMessage(using: &random)
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = Self.frame(message)
                RandomWire.mutate(&bytes, using: &random)
            } else {
                var body: [UInt8] = try! message.message.serializedBytes()
                let boundaries = Self.fieldBoundaries(in: body)
                let positions = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                    boundaries.randomElement(using: &random)!
                }
                for position in positions.sorted(by: >) {
                    body.insert(contentsOf: wire.field(depth: 1, using: &random), at: position)
                }
                bytes = RandomWire.tag(4, 2) + RandomWire.varint(UInt64(body.count)) + body
            }
            guard let read = Self.read(bytes) else {
                leftAlone += 1
                continue
            }
            taken += 1
            guard case .entries(let decoded) = Self.decoded(bytes) else {
                Issue.record(
                    "seed \(seed) round \(round): read, but SwiftProtobuf refuses or reads another body: \(bytes)")
                return
            }
            #expect(read == decoded, "seed \(seed) round \(round): \(bytes)")
        }
        #expect(taken > 300, "the reader took \(taken) frames")
        #expect(leftAlone > 300, "the reader left \(leftAlone) frames to SwiftProtobuf")
    }

    /// The positions between two fields of a serialized `Entries`, and both ends.
    static func fieldBoundaries(in body: [UInt8]) -> [Int] {
        var boundaries = [0]
        var reader = 0
        while reader < body.count {
            let wireType = body[reader] & 7
            reader += 1
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = body[reader]
                reader += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            if wireType == 2 { reader += Int(value) }
            boundaries.append(reader)
        }
        return boundaries
    }

    @Test func aRepeatedSingularFieldKeepsItsLastValueAsInSwiftProtobuf() throws {
        let body: [UInt8] =
            RandomWire.tag(1, 2) + [2] + Array("XA".utf8) + RandomWire.tag(2, 0) + [5] + RandomWire.tag(3, 2) + [1, 9]
            + RandomWire.tag(1, 2) + [2] + Array("XB".utf8) + RandomWire.tag(2, 0) + [7] + RandomWire.tag(4, 2) + [0]
        let bytes = RandomWire.tag(4, 2) + RandomWire.varint(UInt64(body.count)) + body
        let read = try #require(Self.read(bytes))
        #expect(read == EntriesMessage(origin: "XB", firstIndex: 7, entries: [[9]], checkpoint: []))
        guard case .entries(let decoded) = Self.decoded(bytes) else {
            Issue.record("SwiftProtobuf did not decode it")
            return
        }
        #expect(read == decoded)
    }

    @Test func otherFormsAreLeftToSwiftProtobuf() throws {
        let entries = Self.frame(EntriesMessage(origin: "XA", firstIndex: 1, entries: [[1, 2]], checkpoint: [3]))
        let body = Array(entries.dropFirst(2))
        let unknownField = RandomWire.tag(4, 2) + [UInt8(body.count + 2)] + body + RandomWire.tag(6, 0) + [1]
        let invalidText = RandomWire.tag(4, 2) + [4] + RandomWire.tag(1, 2) + [2, 0xC3, 0x28]
        let heads: [UInt8] = try Tocsin_V1_Message.with { $0.heads = .init() }.serializedBytes()
        let cases: [(name: String, bytes: [UInt8], swiftProtobufDecodes: Bool)] = [
            ("an unknown field in Entries", unknownField, true),
            ("two Entries at the top (SwiftProtobuf merges them)", entries + entries, true),
            ("another body", heads, true),
            ("no body", [], true),
            ("an origin that is not UTF-8", invalidText, false),
            ("a frame cut short", Array(entries.dropLast()), false),
        ]
        for (name, bytes, decodes) in cases {
            #expect(Self.read(bytes) == nil, "\(name)")
            #expect((Self.decoded(bytes) != nil) == decodes, "\(name)")
            // The framer's path: SwiftProtobuf decides.
            #expect(((try? PeerMessage(decoding: FramePayload(bytes))) != nil) == decodes, "\(name)")
        }
        if case .entries(let merged) = try PeerMessage(decoding: FramePayload(entries + entries)) {
            #expect(merged.entries == [[1, 2], [1, 2]])
        } else {
            Issue.record("two Entries at the top did not decode as Entries")
        }
    }

    @Test func aPeerMessageOfEntriesIsReadWithoutSwiftProtobufAndRoundTrips() throws {
        let message = EntriesMessage(
            origin: "tocsin-xa/ecowatch/XA", firstIndex: 42, entries: [[1], [], [2, 3]],
            checkpoint: Array("note\n".utf8),
            base: [[UInt8](repeating: 7, count: 32)])
        let decoded = try PeerMessage(decoding: FramePayload(Self.frame(message)))
        guard case .entries(let read) = decoded else {
            Issue.record("not read as Entries: \(decoded)")
            return
        }
        #expect(read == message)
        #expect(decoded.protobuf == Tocsin_V1_Message.with { $0.entries = message.message })
    }
}
