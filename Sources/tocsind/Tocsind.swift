import ArgumentParser
import TocsinNode

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Tocsind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsind",
        abstract: "Run a Tocsin node.",
        discussion: """
            Stops gracefully on SIGTERM or SIGINT. The configuration format is in node.example.toml \
            (Docs/ in the source, /usr/share/doc/tocsin/ in the package). Under systemd \
            (Type=notify) it reports readiness and feeds the watchdog.
            """,
        version: TocsinVersion.current)

    @Option(help: "The node's configuration file (node.toml).")
    var config: String

    func run() async throws {
        #if canImport(Glibc)
            // glibc gives each thread that allocates an arena of its own, up to eight per core.
            // Eight in all: fewer (two, before) made the write path's threads wait for each
            // other's arena locks (a tenth of the replicated writes, Docs/BENCHMARKS.md), and an
            // idle node hands its freed memory back anyway (IdleMemoryRelease). MALLOC_ARENA_MAX
            // overrides. (mallopt is not in Swift's Glibc module: looked up by name; M_ARENA_MAX
            // is -8.)
            if getenv("MALLOC_ARENA_MAX") == nil, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
            {
                typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
                _ = unsafeBitCast(symbol, to: Mallopt.self)(-8, 8)
            }
        #endif
        try await NodeDaemon.run(configPath: config)
    }
}
