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
/// Only the read-only segments of the loaded objects (the daemon and its shared libraries) are
/// touched, and only while the loader's lock is held (`dl_iterate_phdr`), so no object can be
/// unloaded, and its addresses reused, meanwhile. Two steps, because the kernel reclaims only
/// pages no other process maps:
/// 1. `MADV_PAGEOUT` (on start-up's release only): pages this process alone maps leave memory
///    altogether;
/// 2. `MADV_DONTNEED` where smaps shows the mapping holds no page of its own (`Anonymous:
///    0 kB`): pages shared with other processes (the Swift runtime, Foundation, OpenSSL, used
///    by every Swift program on the machine) stay in the page cache for those processes and
///    leave this process's resident set. Every page there is the file's own, so dropping it
///    loses nothing. Relocated data made read-only after (RELRO) lies in writable segments and
///    is never touched.
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

    /// An ELF program header (`Elf64_Phdr`, not in Swift's Glibc module).
    struct ProgramHeader {
        var type: UInt32
        var flags: UInt32
        var offset: UInt64
        var virtualAddress: UInt64
        var physicalAddress: UInt64
        var fileSize: UInt64
        var memorySize: UInt64
        var alignment: UInt64

        static let loadable: UInt32 = 1
        static let writable: UInt32 = 2
    }

    /// The head of `struct dl_phdr_info`.
    struct LoadedObject {
        var address: UInt
        var name: UnsafePointer<CChar>?
        var headers: UnsafePointer<ProgramHeader>?
        var headerCount: UInt16
    }

    /// What the loader's callback works with.
    final class Release {
        let droppable: [Mapping]
        let pageSize: UInt
        let pageOut: Bool
        var dropped = 0

        init(droppable: [Mapping], pageSize: UInt, pageOut: Bool) {
            self.droppable = droppable
            self.pageSize = pageSize
            self.pageOut = pageOut
        }

        /// The whole pages of each read-only segment of `object` that lie in a droppable mapping.
        func advise(_ object: LoadedObject) {
            guard let headers = object.headers else { return }
            for index in 0..<Int(object.headerCount) {
                let header = headers[index]
                guard header.type == ProgramHeader.loadable, header.flags & ProgramHeader.writable == 0 else {
                    continue
                }
                let (first, firstOverflow) = object.address.addingReportingOverflow(UInt(header.virtualAddress))
                let (last, lastOverflow) = first.addingReportingOverflow(UInt(header.fileSize))
                guard !firstOverflow, !lastOverflow else { continue }
                let start = (first + pageSize - 1) / pageSize * pageSize
                let end = last / pageSize * pageSize
                guard end > start,
                    droppable.contains(where: { $0.droppable && $0.start <= start && end <= $0.end }),
                    let address = UnsafeMutableRawPointer(bitPattern: start)
                else { continue }
                if pageOut { _ = madvise(address, Int(end - start), StartupPages.pageOut) }
                if madvise(address, Int(end - start), MADV_DONTNEED) == 0 { dropped += 1 }
            }
        }
    }

    /// Hands back the read-only pages of the loaded objects (paging them out too when
    /// `pageOut`). Returns how many segments were dropped from the resident set; never fails
    /// (it is advice).
    @discardableResult
    static func release(pageOut: Bool = true) -> Int {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
            typealias Visit = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32
            typealias Iterate = @convention(c) (Visit, UnsafeMutableRawPointer?) -> Int32
            guard let smaps = procText("/proc/self/smaps"),
                let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "dl_iterate_phdr")
            else { return 0 }
            let release = Release(
                droppable: mappings(inSmaps: smaps).filter(\.droppable), pageSize: UInt(sysconf(Int32(_SC_PAGESIZE))),
                pageOut: pageOut)
            let visit: Visit = { info, size, context in
                guard let info, let context, size >= MemoryLayout<LoadedObject>.size else { return 0 }
                let release = Unmanaged<Release>.fromOpaque(context).takeUnretainedValue()
                release.advise(info.load(as: LoadedObject.self))
                return 0
            }
            _ = withExtendedLifetime(release) {
                unsafeBitCast(symbol, to: Iterate.self)(visit, Unmanaged.passUnretained(release).toOpaque())
            }
            return release.dropped
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
