import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The read-only file pages start-up touched: the code and constant data of the daemon and its
/// libraries that ran once (loading the charter, reading the whole log, setting up TLS and the
/// listeners) and stay mapped until the kernel needs the memory. Once the node is idle they are
/// handed back at once: what runs again is mapped back from the page cache (or read from the
/// disk) on first use.
///
/// Two steps, because the kernel reclaims only pages no other process maps:
/// 1. `MADV_PAGEOUT` on every read-only file mapping: pages this process alone maps leave
///    memory altogether;
/// 2. `MADV_DONTNEED` on the read-only private file mappings that hold no page of their own
///    (`Anonymous: 0 kB` in smaps): pages shared with other processes (the Swift runtime,
///    Foundation, OpenSSL, used by every Swift program on the machine) stay in the page cache
///    for those processes, and leave this process's resident set. Every page of such a mapping
///    is the file's own, so dropping it loses nothing; a mapping written before it was made
///    read-only (relocations) holds anonymous pages and is left alone.
enum StartupPages {
    /// Linux's `MADV_PAGEOUT` (5.4 and later); older kernels answer EINVAL and nothing changes.
    static let pageOut: Int32 = 21

    /// A mapping of `/proc/self/smaps` that may be handed back.
    struct Mapping: Equatable {
        let start: UInt
        let end: UInt
        /// Read-only, private, backed by a file, without a page of its own.
        let droppable: Bool
    }

    /// Hands back this process's read-only file pages. Returns how many mappings were dropped
    /// from the resident set; never fails (it is advice).
    @discardableResult
    static func release() -> Int {
        #if os(Linux)
            guard let smaps = procText("/proc/self/smaps") else { return 0 }
            var dropped = 0
            for mapping in mappings(inSmaps: smaps) {
                guard let address = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
                let length = Int(mapping.end - mapping.start)
                _ = madvise(address, length, pageOut)
                if mapping.droppable, madvise(address, length, MADV_DONTNEED) == 0 { dropped += 1 }
            }
            return dropped
        #else
            return 0
        #endif
    }

    /// A file of `/proc` read to its end (its size says 0, and Foundation's reader stops short).
    static func procText(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The read-only file mappings of a `/proc/<pid>/smaps` text; a line that cannot be read
    /// makes its mapping not droppable.
    static func mappings(inSmaps smaps: String) -> [Mapping] {
        var found: [Mapping] = []
        var current: (start: UInt, end: UInt, isPrivate: Bool)?
        var anonymousKilobytes: Int?
        func finish() {
            if let current {
                found.append(
                    Mapping(
                        start: current.start, end: current.end,
                        droppable: current.isPrivate && anonymousKilobytes == 0))
            }
            current = nil
            anonymousKilobytes = nil
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-"), !first.hasSuffix(":") {
                finish()
                // start-end perms offset device inode [path]
                guard fields.count >= 6, fields[1].count == 4, !fields[1].contains("w"), fields[4] != "0",
                    fields[5].hasPrefix("/")
                else { continue }
                let bounds = first.split(separator: "-")
                guard bounds.count == 2, let start = UInt(bounds[0], radix: 16),
                    let end = UInt(bounds[1], radix: 16), end > start
                else { continue }
                current = (start, end, fields[1].hasSuffix("p"))
            } else if first == "Anonymous:", current != nil {
                anonymousKilobytes = fields.count >= 2 ? Int(fields[1]) : nil
            }
        }
        finish()
        return found
    }
}
