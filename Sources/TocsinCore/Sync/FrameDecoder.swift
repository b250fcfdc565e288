import SwiftProtobuf

/// Length-prefixed frames: a 4-byte big-endian length, then that many bytes.
///
/// The length is checked against the maximum before any byte of the frame is buffered, so a
/// peer cannot make a node allocate more than one maximum frame.
public struct FrameDecoder: Sendable {
    /// The default maximum frame size: 16 MiB (an `Entries` batch of at most 8 MiB fits).
    public static let defaultMaximumFrameSize = 16 * 1024 * 1024

    public let maximumFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maximumFrameSize: Int = FrameDecoder.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Adds bytes read from the connection.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's payload, nil if more bytes are needed. The payload shares
    /// the decoder's buffer: decode it before the next `append` (which would copy the buffer
    /// while it is held).
    public mutating func nextFrame() throws(FrameError) -> FramePayload? {
        guard buffer.count - readIndex >= 4 else { return nil }
        let length = buffer[readIndex..<readIndex + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= maximumFrameSize else {
            throw FrameError.tooLarge(length: length, limit: maximumFrameSize)
        }
        guard buffer.count - readIndex - 4 >= length else { return nil }
        let payload = FramePayload(buffer[readIndex + 4..<readIndex + 4 + length])
        readIndex += 4 + length
        return payload
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Frames `payload` for the wire.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            + payload
    }
}

/// A frame's payload, read in place from the decoder's buffer: SwiftProtobuf decodes it
/// without a copy of the frame (a catch-up frame is up to 8 MiB).
public struct FramePayload: SwiftProtobufContiguousBytes, Sendable {
    /// The payload's bytes.
    public private(set) var bytes: ArraySlice<UInt8>

    public init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    public init(repeating: UInt8, count: Int) { bytes = ArraySlice(repeating: repeating, count: count) }

    public init<S: Sequence>(_ sequence: S) where S.Element == UInt8 { bytes = ArraySlice(sequence) }

    public var count: Int { bytes.count }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeMutableBytes(body)
    }
}

/// Why a frame was refused.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(length: Int, limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let length, let limit):
            return "a frame of \(length) bytes announced, more than the limit of \(limit); closing the session"
        }
    }
}
