import Foundation
import SwiftProtobuf

/// An `Entries` message as a node verifies it: the entries as the byte arrays a `FeedBatch`
/// holds.
///
/// SwiftProtobuf gives the entries as one `Data` each, which the verifier must copy again; a
/// catch-up receives hundreds of thousands of them. `init?(messageBytes:)` reads the common
/// case straight from a frame, and `PeerMessage` falls back to SwiftProtobuf for anything else.
public struct EntriesMessage: Sendable, Equatable {
    /// The feed, as `FeedOrigin` writes it (not yet parsed: the receiver judges it).
    public var origin: String
    /// The index of the first entry.
    public var firstIndex: UInt64
    /// The entries' bytes, in order.
    public var entries: [[UInt8]]
    /// The signed checkpoint for the tree ending with the entries.
    public var checkpoint: [UInt8]
    /// For a feed served from a member's admission: the hashes of the subtrees before
    /// `firstIndex` (see `Docs/protocol/tocsin.proto`). Otherwise empty.
    public var base: [[UInt8]]

    public init(
        origin: String, firstIndex: UInt64, entries: [[UInt8]], checkpoint: [UInt8], base: [[UInt8]] = []
    ) {
        self.origin = origin
        self.firstIndex = firstIndex
        self.entries = entries
        self.checkpoint = checkpoint
        self.base = base
    }

    /// The message SwiftProtobuf decoded.
    public init(_ message: Tocsin_V1_Entries) {
        self.init(
            origin: message.origin, firstIndex: message.firstIndex, entries: message.entries.map(Self.bytes),
            checkpoint: Self.bytes(message.checkpoint), base: message.base.map(Self.bytes))
    }

    /// The message to serialize.
    public var message: Tocsin_V1_Entries {
        .with {
            $0.origin = origin
            $0.firstIndex = firstIndex
            $0.entries = entries.map { Data($0) }
            $0.checkpoint = Data(checkpoint)
            $0.base = base.map { Data($0) }
        }
    }

    private static func bytes(_ data: Data) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: data.count) { buffer, count in
            count = data.copyBytes(to: buffer)
        }
    }

    /// One copy, straight from the frame (`Array.init` of a sequence would go byte by byte).
    fileprivate static func bytes(_ field: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: field.count) { buffer, count in
            if let base = field.baseAddress, !field.isEmpty {
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: field.count)
            }
            count = field.count
        }
    }
}

extension EntriesMessage {
    /// Reads the wire bytes of a `Message` whose body is `Entries`, when they are in the form
    /// every node writes: one `entries` field at the top, and in it only the fields of
    /// `Entries`, each with its own wire type. Anything else (another body, an unknown or
    /// repeated top-level field, a malformed byte) gives nil, and SwiftProtobuf decides.
    ///
    /// What this accepts, SwiftProtobuf decodes to the same message: the fields are read with
    /// `EntryScanner.WireReader`, which follows its binary decoder, a repeated singular field
    /// keeps its last value as there, and text is checked as UTF-8 as there.
    /// `EntriesMessageTests` checks both on random and damaged frames.
    public init?(messageBytes bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return nil }
        var top = EntryScanner.WireReader(start: start, count: bytes.count, budget: EntryScanner.depthLimit)
        guard let (number, wireType) = try? top.tag(), number == 4, wireType == 2,
            let (body, length) = try? top.lengthDelimited(), top.available == 0
        else { return nil }
        self.init(origin: "", firstIndex: 0, entries: [], checkpoint: [])
        var reader = EntryScanner.WireReader(start: body, count: length, budget: EntryScanner.depthLimit)
        while reader.available > 0 {
            guard let (number, wireType) = try? reader.tag() else { return nil }
            if number == 2 {
                guard wireType == 0, let value = try? reader.varint() else { return nil }
                firstIndex = value
                continue
            }
            guard (1...5).contains(number), wireType == 2,
                let (start, count) = try? reader.lengthDelimited()
            else { return nil }
            let field = UnsafeRawBufferPointer(start: start, count: count)
            switch number {
            case 1:
                guard EntryScanner.isValidUTF8(field) else { return nil }
                origin = String(decoding: field, as: UTF8.self)
            case 3: entries.append(Self.bytes(field))
            case 4: checkpoint = Self.bytes(field)
            default: base.append(Self.bytes(field))
            }
        }
    }
}
