import Foundation

/// Figures of a process read from its `/proc` directory, as Prometheus client libraries
/// export them. A figure that cannot be read is nil (another system, a restricted `/proc`).
public struct ProcessFigures: Sendable, Equatable {
    public var residentMemoryBytes: UInt64?
    public var openFileDescriptors: Int?
    public var maximumFileDescriptors: UInt64?
    public var startTimeSeconds: Double?
    public var cpuSeconds: Double?

    /// Reads `directory` (`/proc/self`, or `/proc/<pid>`).
    public init(reading directory: String) {
        let status = (try? String(contentsOfFile: directory + "/status", encoding: .utf8)) ?? ""
        residentMemoryBytes = Self.statusKilobytes(status, field: "VmRSS").map { $0 * 1024 }
        // Listing the folder opens one descriptor of its own, which is not counted.
        openFileDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/fd")).map {
            max(0, $0.count - 1)
        }
        let limits = (try? String(contentsOfFile: directory + "/limits", encoding: .utf8)) ?? ""
        maximumFileDescriptors = Self.openFilesLimit(limits)
        let stat = (try? String(contentsOfFile: directory + "/stat", encoding: .utf8)) ?? ""
        let boot = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        (startTimeSeconds, cpuSeconds) = Self.times(stat: stat, procStat: boot, ticksPerSecond: ticks)
    }

    /// `VmRSS:   12345 kB` → 12345.
    static func statusKilobytes(_ status: String, field: String) -> UInt64? {
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let words = line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 2, words[1] == "kB", let value = UInt64(words[0]), value < UInt64.max / 1024 else {
                return nil
            }
            return value
        }
        return nil
    }

    /// The soft limit of `Max open files`.
    static func openFilesLimit(_ limits: String) -> UInt64? {
        for line in limits.split(separator: "\n") where line.hasPrefix("Max open files") {
            let words = line.dropFirst("Max open files".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.first.flatMap { UInt64($0) }
        }
        return nil
    }

    /// Start time (Unix seconds) and CPU seconds from `/proc/self/stat` and `/proc/stat`'s
    /// `btime`. The command name in `stat` may hold spaces and parentheses: fields are counted
    /// after its last `)`.
    static func times(stat: String, procStat: String, ticksPerSecond: Double) -> (Double?, Double?) {
        guard ticksPerSecond > 0, let close = stat.lastIndex(of: ")") else { return (nil, nil) }
        // Fields after the name start at field 3 (state); utime is 14, stime 15, starttime 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Double? {
            let index = number - 3
            guard fields.indices.contains(index) else { return nil }
            return Double(fields[index])
        }
        var cpu: Double?
        if let user = field(14), let system = field(15) { cpu = (user + system) / ticksPerSecond }
        var start: Double?
        if let startTicks = field(22),
            let bootLine = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(bootLine.dropFirst("btime ".count))
        {
            start = boot + startTicks / ticksPerSecond
        }
        return (start, cpu)
    }
}
