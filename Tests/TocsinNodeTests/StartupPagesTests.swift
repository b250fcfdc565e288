import Foundation
import Testing

@testable import TocsinNode

@Suite struct StartupPagesTests {
    static let smaps = """
        55d0a0000000-55d0a0400000 r--p 00000000 08:01 1001                       /usr/bin/tocsind
        Size:               4096 kB
        Rss:                1200 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me sd
        55d0a0400000-55d0a0800000 r-xp 00400000 08:01 1001                       /usr/bin/tocsind
        Size:               4096 kB
        Anonymous:             0 kB
        55d0a0800000-55d0a0900000 r--p 00800000 08:01 1001                       /usr/bin/tocsind
        Size:               1024 kB
        Anonymous:           120 kB
        55d0a0900000-55d0a0910000 rw-p 00900000 08:01 1001                       /usr/bin/tocsind
        Anonymous:            64 kB
        7f0000000000-7f0000100000 r--s 00000000 08:01 2002                       /var/lib/tocsin/shared
        Anonymous:             0 kB
        7f0000100000-7f0000200000 r--p 00000000 00:00 0                          [vvar]
        Anonymous:             0 kB
        7f0000200000-7f0000300000 r--p 00000000 00:00 0
        Anonymous:             0 kB
        7f0000300000-7f0000400000 r-xp 00000000 08:01 3003                       /usr/lib/libswiftCore.so
        Size:               1024 kB
        """

    @Test func onlyReadOnlyPrivateFileMappingsWithoutPagesOfTheirOwnAreDropped() {
        let mappings = StartupPages.mappings(inSmaps: Self.smaps)
        #expect(
            mappings == [
                .init(start: 0x55d0_a000_0000, end: 0x55d0_a040_0000, droppable: true),
                .init(start: 0x55d0_a040_0000, end: 0x55d0_a080_0000, droppable: true),
                // Relocated before it was made read-only: its anonymous pages would be lost.
                .init(start: 0x55d0_a080_0000, end: 0x55d0_a090_0000, droppable: false),
                // Shared with the file: paged out, never dropped.
                .init(start: 0x7f00_0000_0000, end: 0x7f00_0010_0000, droppable: false),
                // No Anonymous line could be read: kept.
                .init(start: 0x7f00_0030_0000, end: 0x7f00_0040_0000, droppable: false),
            ])
    }

    @Test func releasingShrinksTheResidentSetAndTheProcessRunsOn() throws {
        #if os(Linux)
            func residentKilobytes() throws -> Int {
                let status = try #require(StartupPages.procText("/proc/self/status"))
                let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
                return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
            }
            // Most of a test process's file pages are its libraries' code, mapped and dropped.
            // Tests running beside this one map pages back at once (12–16 MB of them in a full
            // run), so a try must shed a quarter, not half: a few tries, each judged alone.
            var readings: [(before: Int, after: Int, dropped: Int)] = []
            for _ in 0..<5 {
                let before = try residentKilobytes()
                let dropped = StartupPages.release()
                readings.append((before, try residentKilobytes(), dropped))
                if readings.last!.after * 4 < before * 3 { break }
            }
            #expect(readings.allSatisfy { $0.dropped > 10 })
            #expect(readings.contains { $0.after * 4 < $0.before * 3 }, "file pages resident (kB): \(readings)")
            // Code dropped is mapped back on use: the runtime, Foundation and this test run on.
            let text = String(decoding: try JSONEncoder().encode(["still": "running"]), as: UTF8.self)
            #expect(text == #"{"still":"running"}"#)
        #endif
    }
}

@Suite struct IdleMemoryReleasePolicyTests {
    typealias Policy = IdleMemoryRelease.Policy

    /// Takes the readings `(faults, file pages)` one by one; the indices at which the policy
    /// released (the file pages then fall back to `resident`).
    static func releases(_ readings: [(Int, Int)], resident: Int = 1000, policy: inout Policy) -> [Int] {
        var released: [Int] = []
        var dropped = 0
        for (index, reading) in readings.enumerated() {
            let sample = Policy.Sample(faults: reading.0, filePages: reading.1 - dropped)
            if policy.take(sample) {
                released.append(index)
                dropped = reading.1 - resident
                policy.released(.init(faults: reading.0, filePages: resident))
            }
        }
        return released
    }

    static func started() -> Policy {
        var policy = Policy(.init(faults: 0, filePages: 1000))
        policy.released(.init(faults: 0, filePages: 1000))
        return policy
    }

    @Test func aNodeThatMappedPagesAndWentQuietReleasesOnce() {
        var policy = Self.started()
        // Peers connect (few faults, each mapping many pages), then nothing.
        let readings = [(20, 1400), (40, 1800), (50, 2000), (51, 2000), (52, 2000), (53, 2000), (54, 2000)]
        #expect(Self.releases(readings, policy: &policy) == [4])
    }

    @Test func aBusyNodeOrOneThatMappedLittleKeepsItsPages() {
        var busy = Self.started()
        let working = (1...50).map { ($0 * 100, 1000 + $0 * 100) }
        #expect(Self.releases(working, policy: &busy).isEmpty)
        var small = Self.started()
        #expect(Self.releases([(10, 1100), (11, 1100), (12, 1100), (13, 1100)], policy: &small).isEmpty)
    }

    @Test func afterTheFirstReleasesTheyAreAMinuteApart() {
        var policy = Self.started()
        // Work, quiet, work, quiet, …: after start-up's release, the one that follows it comes
        // at once, then one a minute.
        var readings: [(Int, Int)] = []
        var faults = 0
        var pages = 1000
        for _ in 0..<100 {
            faults += 300
            pages += 300
            readings += [(faults, pages), (faults, pages), (faults, pages)]
        }
        let released = Self.releases(readings, policy: &policy)
        #expect(released.count >= 2)
        #expect(released.first ?? .max < 10)
        for (earlier, later) in zip(released, released.dropFirst()) {
            #expect(later - earlier >= Policy.spacingSamples)
        }
    }
}
