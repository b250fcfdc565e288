import Dispatch
import Foundation
import TocsinStore

#if canImport(Glibc)
    import Glibc
#endif

/// Hands memory back to the system when the node goes quiet after a burst of work.
///
/// Start-up (reading the whole log) and what follows it (TLS handshakes with every peer, the
/// heads exchanged) touch code and buffers an idle node does not use again. Once the log is
/// read, the node releases SQLite's caches, glibc's free memory (`malloc_trim`) and the
/// read-only file pages it mapped (`StartupPages`); again, without SQLite's caches, each time
/// the process has mapped a megabyte more and then gone quiet. Whether to release is decided by
/// `Policy` from the process's page faults and resident file pages, read twice a second on a
/// utility queue: an idle node faults (almost) no pages.
final class IdleMemoryRelease: @unchecked Sendable {
    /// When to release, from samples of the process's page faults and of its resident file
    /// pages. Pure.
    struct Policy: Equatable {
        /// File pages the process must have mapped since the last release (1 MiB): a fault
        /// maps up to 16 pages at once, so faults alone undercount them.
        static let grownPages = 256
        /// At most this many faults in each of the last `quietSamples` samples: quiet.
        static let quietFaults = 8
        static let quietSamples = 2
        /// After the release that follows start-up, samples between two releases (a minute).
        static let spacingSamples = 120

        /// A reading of the process.
        struct Sample: Equatable {
            var faults: Int
            var filePages: Int
        }

        var filePagesAtRelease: Int
        var lastFaults: Int
        var quiet = 0
        var samplesSinceRelease = 0
        var releases = 0

        init(_ sample: Sample) {
            filePagesAtRelease = sample.filePages
            lastFaults = sample.faults
        }

        /// Takes a sample; true when memory should be released now (the caller then gives
        /// `released(_:)` the reading after releasing).
        mutating func take(_ sample: Sample) -> Bool {
            let delta = sample.faults &- lastFaults
            lastFaults = sample.faults
            samplesSinceRelease += 1
            quiet = (0...Self.quietFaults).contains(delta) ? quiet + 1 : 0
            return quiet >= Self.quietSamples && sample.filePages &- filePagesAtRelease >= Self.grownPages
                && (releases < 2 || samplesSinceRelease >= Self.spacingSamples)
        }

        mutating func released(_ sample: Sample) {
            filePagesAtRelease = sample.filePages
            lastFaults = sample.faults
            quiet = 0
            samplesSinceRelease = 0
            releases += 1
        }
    }

    let store: FeedStore
    let queue = DispatchQueue(label: "tocsin.node.memory-release", qos: .utility)
    /// Confined to `queue`.
    var policy: Policy?
    var timer: DispatchSourceTimer?
    /// Set by `stop`: a `start` still queued does nothing.
    var stopped = false

    init(store: FeedStore) {
        self.store = store
    }

    /// Releases now (the log has been read), then watches for the node going quiet.
    func start() {
        queue.async { [self] in
            guard !stopped else { return }
            release(afterStart: true)
            var policy = Policy(Self.reading())
            policy.released(Self.reading())
            self.policy = policy
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
            timer.setEventHandler { [weak self] in self?.check() }
            timer.resume()
            self.timer = timer
        }
    }

    /// Stops watching; never waits (it is called from async code): a release under way ends
    /// on its own queue.
    func stop() {
        queue.async { [self] in
            stopped = true
            timer?.cancel()
            timer = nil
            policy = nil
        }
    }

    func check() {
        guard var policy else { return }
        if policy.take(Self.reading()) {
            release(afterStart: false)
            policy.released(Self.reading())
        }
        self.policy = policy
    }

    /// After start-up, SQLite's caches are emptied and the pages that only this process maps
    /// leave memory too; later, when the node has gone quiet, only what it maps is dropped
    /// (kept in the page cache: what it does every minute comes back without reading the disk).
    func release(afterStart: Bool) {
        if afterStart { store.releaseMemory() }
        Self.releaseFreedMemory()
        StartupPages.release(pageOut: afterStart)
    }

    /// The page faults this process has taken (minor and major) and its resident file pages
    /// (`/proc/self/statm`'s third field); zeros where they cannot be read.
    static func reading() -> Policy.Sample {
        var usage = rusage()
        let faults = getrusage(RUSAGE_SELF.rawValue, &usage) == 0 ? usage.ru_minflt + usage.ru_majflt : 0
        var filePages = 0
        if let statm = StartupPages.procText("/proc/self/statm") {
            let fields = statm.split(separator: " ")
            if fields.count >= 3, let shared = Int(fields[2]) { filePages = shared }
        }
        return Policy.Sample(faults: faults, filePages: filePages)
    }

    /// glibc's `malloc_trim(0)` (not in Swift's Glibc module, so looked up by name).
    static func releaseFreedMemory() {
        #if canImport(Glibc)
            typealias Trim = @convention(c) (Int) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(symbol, to: Trim.self)(0)
            }
        #endif
    }
}
