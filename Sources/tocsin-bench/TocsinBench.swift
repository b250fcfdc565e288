import ArgumentParser
import Foundation

@main
struct TocsinBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tocsin-bench",
        abstract: "Tocsin benchmarks: one JSON object per scenario on standard output.",
        discussion: "Build with `swift build -c release` and run `.build/release/tocsin-bench <scenario>`.",
        subcommands: [
            Generate.self, Append.self, Ingest.self, CatchUp.self, Propagation.self, IdleMemory.self, Soak.self,
            Replicated.self, EtcdLoad.self,
        ])
}

/// Prints one scenario result as a single JSON line.
func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Seconds since an arbitrary start, monotonic.
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

func rounded(_ value: Double, _ places: Int = 1) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

/// A scratch directory removed when the scenario ends (unless kept).
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tocsin-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
