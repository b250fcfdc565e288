import NIOCore
import TocsinCore

/// An `Entries` message written straight into the frame that carries it, byte for byte as
/// SwiftProtobuf writes `Message { entries: … }` after its 4-byte length (`MessageFramerTests`
/// holds the two equal).
///
/// A node serving a catch-up sends hundreds of thousands of entries. Built as a
/// `Tocsin_V1_Message`, each entry was a `Data` of its own, copied out of the store, then
/// copied again into the frame; here each is copied once, from the store's row into the frame.
public struct EntriesFrame {
    /// The frame: 4-byte length, then the `Message`. Whole once `finish` returned.
    public private(set) var buffer: ByteBuffer
    /// Where `Entries`' fields begin: the bytes before it are kept for the headers, which
    /// need the length of what follows.
    private let bodyStart: Int
    /// Where the first entry's field begins, and where each entry appended ends: to cut the
    /// message back (`keepEntries`).
    private var entriesStart = 0
    private var entryEnds: [Int] = []

    /// The most header bytes an `Entries` field can need: the frame's length, the field's tag,
    /// and its length as a varint (5 bytes reach 2^35).
    private static let headerSpace = 4 + 1 + 5

    /// A frame for `origin`'s entries from `firstIndex`, `capacity` bytes of entries expected.
    public init(origin: String, firstIndex: UInt64, capacity: Int, allocator: ByteBufferAllocator) {
        buffer = allocator.buffer(capacity: Self.headerSpace + 32 + origin.utf8.count + max(0, capacity))
        buffer.moveWriterIndex(forwardBy: Self.headerSpace)
        buffer.moveReaderIndex(forwardBy: Self.headerSpace)
        bodyStart = buffer.writerIndex
        // Fields in number order, defaults left out: as SwiftProtobuf writes them.
        if !origin.isEmpty {
            buffer.writeInteger(UInt8(1 << 3 | 2))
            Self.writeVarint(UInt64(origin.utf8.count), to: &buffer)
            buffer.writeString(origin)
        }
        if firstIndex != 0 {
            buffer.writeInteger(UInt8(2 << 3 | 0))
            Self.writeVarint(firstIndex, to: &buffer)
        }
        entriesStart = buffer.writerIndex
    }

    /// Entries appended so far.
    public var entryCount: Int { entryEnds.count }

    /// Appends one entry's bytes.
    public mutating func append(entry: UnsafeRawBufferPointer) {
        buffer.writeInteger(UInt8(3 << 3 | 2))
        Self.writeVarint(UInt64(entry.count), to: &buffer)
        buffer.writeBytes(entry)
        entryEnds.append(buffer.writerIndex)
    }

    /// Drops the entries after the first `count`.
    public mutating func keepEntries(_ count: Int) {
        guard count >= 0, count < entryEnds.count else { return }
        buffer.moveWriterIndex(to: count <= 0 ? entriesStart : entryEnds[count - 1])
        entryEnds.removeLast(entryEnds.count - count)
    }

    /// Ends the message with the checkpoint and the base, and writes the headers: the frame
    /// is then `buffer`, from its reader index.
    public mutating func finish(checkpoint: some Collection<UInt8>, base: [[UInt8]]) {
        if !checkpoint.isEmpty {
            buffer.writeInteger(UInt8(4 << 3 | 2))
            Self.writeVarint(UInt64(checkpoint.count), to: &buffer)
            buffer.writeBytes(checkpoint)
        }
        for hash in base {
            buffer.writeInteger(UInt8(5 << 3 | 2))
            Self.writeVarint(UInt64(hash.count), to: &buffer)
            buffer.writeBytes(hash)
        }
        let bodyLength = buffer.writerIndex - bodyStart
        // The `entries` field of `Message`, right before the body, and the frame's length.
        var field: [UInt8] = [4 << 3 | 2]
        var length = UInt64(bodyLength)
        while length >= 0x80 {
            field.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        field.append(UInt8(length))
        let start = bodyStart - 4 - field.count
        // A length past 4 GiB cannot be framed: left 0, and refused by `MessageFramer`.
        buffer.setInteger(UInt32(exactly: field.count + bodyLength) ?? 0, at: start)
        buffer.setBytes(field, at: start + 4)
        buffer.moveReaderIndex(to: start)
    }

    /// The `Message`'s size (the frame without its 4-byte length), once finished.
    public var payloadCount: Int { buffer.readableBytes - 4 }

    private static func writeVarint(_ value: UInt64, to buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }
}
