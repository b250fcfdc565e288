import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The read-only file pages start-up touched: the code and constant data of the daemon and its
/// libraries that ran once (loading the charter, reading the whole log, setting up TLS and the
/// listeners) and stay resident until the kernel needs the memory. Once the node is idle they
/// are handed back at once (`MADV_PAGEOUT`): what runs again is read back from the page cache
/// (or the disk) on first use. Pages shared with another process are left alone by the kernel.
enum StartupPages {
    /// Linux's `MADV_PAGEOUT` (5.4 and later); older kernels answer EINVAL and nothing changes.
    static let pageOut: Int32 = 21

    /// Advises the kernel to reclaim this process's read-only, file-backed mappings. Returns how
    /// many mappings it was asked for; never fails (it is advice).
    @discardableResult
    static func release() -> Int {
        #if os(Linux)
            guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return 0 }
            var advised = 0
            for line in maps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // start-end perms offset device inode [path]
                guard fields.count >= 6, fields[1].count == 4, !fields[1].contains("w"), fields[4] != "0",
                    fields[5].hasPrefix("/")
                else { continue }
                let bounds = fields[0].split(separator: "-")
                guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                    end > start, let address = UnsafeMutableRawPointer(bitPattern: start)
                else { continue }
                if madvise(address, Int(end - start), pageOut) == 0 { advised += 1 }
            }
            return advised
        #else
            return 0
        #endif
    }
}
