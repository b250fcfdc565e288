import NIOCore
import SwiftProtobuf

/// A frame being written: the 4-byte big-endian length, then the payload, which SwiftProtobuf
/// serializes straight into the `ByteBuffer` sent (a catch-up frame is up to 8 MiB, and each
/// copy of it was a fresh allocation).
struct OutboundFrame: SwiftProtobufContiguousBytes {
    private static let allocator = ByteBufferAllocator()

    /// The whole frame, header included.
    private(set) var buffer: ByteBuffer

    /// A frame for a payload of `count` bytes, each `repeating`. SwiftProtobuf makes one of
    /// the exact size, then fills it.
    init(repeating: UInt8, count: Int) {
        buffer = Self.allocator.buffer(capacity: 4 + count)
        // A length that does not fit is left 0 here and refused by `MessageFramer` (`count`).
        buffer.writeInteger(UInt32(exactly: count) ?? 0)
        buffer.writeRepeatingByte(repeating, count: count)
    }

    init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
        let bytes = Array(sequence)
        self.init(repeating: 0, count: bytes.count)
        buffer.setBytes(bytes, at: buffer.readerIndex + 4)
    }

    /// The payload's size.
    var count: Int { buffer.readableBytes - 4 }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeReadableBytes { try body(UnsafeRawBufferPointer(rebasing: $0.dropFirst(4))) }
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutableReadableBytes { try body(UnsafeMutableRawBufferPointer(rebasing: $0.dropFirst(4))) }
    }
}
