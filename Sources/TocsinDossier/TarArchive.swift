/// A POSIX ustar archive of regular files, as a dossier is (PROTOCOL.md §11): written and
/// read here in some eighty lines rather than through a library, and read for hostile bytes:
/// every size is bounded, every field checked, nothing traps.
public struct TarArchive: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public let path: String
        public var bytes: [UInt8]

        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    public var files: [File]

    /// The largest archive read (64 MiB) and the most files in one.
    public static let maximumByteCount = 64 << 20
    public static let maximumFileCount = 10_000
    static let block = 512

    public init(files: [File]) {
        self.files = files
    }

    /// The file at `path`, if the archive has one.
    public subscript(path: String) -> [UInt8]? {
        files.first { $0.path == path }?.bytes
    }

    /// Whether `path` may name a file of a dossier: 1–100 bytes of `A–Z a–z 0–9 . _ - /`,
    /// relative, with no empty, `.` or `..` component.
    public static func isValidPath(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        guard (1...100).contains(bytes.count),
            bytes.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D || byte == 0x2F
            })
        else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }

    /// The archive's bytes; every file dated `modificationTime` (POSIX seconds).
    public func serialized(modificationTime: UInt64) -> [UInt8] {
        var output: [UInt8] = []
        for file in files {
            var header = [UInt8](repeating: 0, count: Self.block)
            func put(_ text: String, at offset: Int) {
                for (position, byte) in text.utf8.enumerated() { header[offset + position] = byte }
            }
            func octal(_ value: UInt64, width: Int) -> String {
                let digits = String(value, radix: 8)
                return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            }
            put(file.path, at: 0)
            put(octal(0o644, width: 8), at: 100)
            put(octal(0, width: 8), at: 108)
            put(octal(0, width: 8), at: 116)
            put(octal(UInt64(file.bytes.count), width: 12), at: 124)
            put(octal(modificationTime, width: 12), at: 136)
            put("        ", at: 148)
            header[156] = 0x30
            put("ustar", at: 257)
            put("00", at: 263)
            let checksum = header.reduce(0) { $0 + UInt64($1) }
            put(octal(checksum, width: 7), at: 148)
            header[155] = 0x20
            output += header
            output += file.bytes
            output += [UInt8](repeating: 0, count: (Self.block - file.bytes.count % Self.block) % Self.block)
        }
        output += [UInt8](repeating: 0, count: 2 * Self.block)
        return output
    }

    /// Reads an archive, refusing anything but regular files with valid names (element
    /// `archive` in the error).
    public init(reading bytes: [UInt8]) throws(DossierError) {
        func fail(_ reason: String) -> DossierError { DossierError("archive", reason) }
        guard bytes.count <= Self.maximumByteCount else {
            throw fail("it is larger than \(Self.maximumByteCount) bytes")
        }
        guard bytes.count % Self.block == 0 else { throw fail("its size is not a whole number of 512-byte blocks") }
        var files: [File] = []
        var paths: Set<String> = []
        var offset = 0
        while true {
            guard offset + Self.block <= bytes.count else { throw fail("it does not end with two zero blocks") }
            let header = Array(bytes[offset..<offset + Self.block])
            if header.allSatisfy({ $0 == 0 }) {
                // Two zero blocks end it; tar programs may pad the last record with more zeros.
                guard offset + 2 * Self.block <= bytes.count, bytes[offset...].allSatisfy({ $0 == 0 }) else {
                    throw fail("it does not end with two zero blocks (and nothing but zeros after them)")
                }
                break
            }
            func field(_ start: Int, _ length: Int) -> [UInt8] {
                Array(header[start..<start + length].prefix { $0 != 0 })
            }
            // Octal digits, then only NUL or spaces to the end of the field.
            func octal(_ start: Int, _ length: Int) -> UInt64? {
                let raw = header[start..<start + length]
                let digits = raw.prefix { (0x30...0x37).contains($0) }
                guard !digits.isEmpty, digits.count <= 11,
                    raw.dropFirst(digits.count).allSatisfy({ $0 == 0 || $0 == 0x20 })
                else { return nil }
                return digits.reduce(0) { $0 * 8 + UInt64($1 - 0x30) }
            }
            let checksum = header.enumerated().reduce(UInt64(0)) {
                $0 + UInt64((148..<156).contains($1.offset) ? 0x20 : $1.element)
            }
            guard octal(148, 8) == checksum else { throw fail("a header's checksum is wrong (at byte \(offset))") }
            guard Array(header[257..<265]) == Array("ustar\u{0}00".utf8) else {
                throw fail("it is not a POSIX ustar archive (magic ustar, version 00)")
            }
            guard header[156] == 0x30 else {
                throw fail("it holds something other than a regular file (type \(header[156]))")
            }
            guard field(345, 155).isEmpty, let path = String(validating: field(0, 100), as: UTF8.self),
                Self.isValidPath(path)
            else { throw fail("it holds a file whose name is not allowed (at byte \(offset))") }
            guard paths.insert(path).inserted else { throw fail("it holds \(path) twice") }
            guard files.count < Self.maximumFileCount else {
                throw fail("it holds more than \(Self.maximumFileCount) files")
            }
            guard let size = octal(124, 12), size <= UInt64(bytes.count - offset - Self.block) else {
                throw fail("the size of \(path) is not an octal number within the archive")
            }
            let start = offset + Self.block
            files.append(File(path: path, bytes: Array(bytes[start..<start + Int(size)])))
            offset = start + (Int(size) + Self.block - 1) / Self.block * Self.block
        }
        self.files = files
    }
}
