import Foundation
import GRDB
import Synchronization
import Testing

@testable import TocsinStore

/// Bulk writes run with their thread's nice value lowered by `WriterPriority.raise` (or as far
/// as RLIMIT_NICE allows), set back afterwards, and not asked for again once the system refused
/// any raise; work handed to other threads waits until the priority is back.
@Suite struct WriterPriorityTests {
    /// A nice value held in memory, with the calls made to set it. Without CAP_SYS_NICE, the
    /// system refuses any value below `floor` (nil: every change refused).
    final class FakeNice: Sendable {
        let value: Mutex<Int32>
        let calls = Mutex<[Int32]>([])
        let capable: Bool
        let floor: Int32?

        init(_ value: Int32, capable: Bool = true, floor: Int32? = 20) {
            self.value = Mutex(value)
            self.capable = capable
            self.floor = floor
        }

        var control: WriterPriority.Control {
            WriterPriority.Control(
                current: { self.value.withLock { $0 } },
                set: { wanted in
                    self.calls.withLock { $0.append(wanted) }
                    // Raising a nice value (less priority) is always allowed.
                    let current = self.value.withLock { $0 }
                    guard self.capable || wanted >= current || (self.floor.map { wanted >= $0 } ?? false) else {
                        return false
                    }
                    self.value.withLock { $0 = wanted }
                    return true
                },
                floor: { self.floor })
        }

        var now: Int32 { value.withLock { $0 } }
        var setCalls: [Int32] { calls.withLock { $0 } }
    }

    struct Failure: Error {}

    @Test(arguments: [Int32(0), 10, 19, -17])
    func aBulkWriteRunsRaisedByFiveAndIsSetBackAfter(start: Int32) throws {
        let nice = FakeNice(start)
        let refused = Atomic<Bool>(false)
        let inside = WriterPriority.run(raising: true, with: nice.control, refused: refused) { nice.now }
        #expect(inside == max(-20, start - WriterPriority.raise))
        #expect(nice.now == start)
        #expect(nice.setCalls == [max(-20, start - 5), start])
        let wasRefused = refused.load(ordering: .relaxed)
        #expect(!wasRefused)
    }

    @Test func aThreadAtTheLowestValueIsLeftAlone() {
        let nice = FakeNice(-20)
        let refused = Atomic<Bool>(false)
        #expect(WriterPriority.run(raising: true, with: nice.control, refused: refused) { nice.now } == -20)
        #expect(nice.setCalls.isEmpty)
    }

    @Test func aWriteThatIsNotBulkLeavesTheThreadAlone() {
        let nice = FakeNice(0)
        let refused = Atomic<Bool>(false)
        #expect(WriterPriority.run(raising: false, with: nice.control, refused: refused) { nice.now } == 0)
        #expect(nice.setCalls.isEmpty)
    }

    @Test func aWriteIsBulkFromAThousandEntriesOrAMegabyte() {
        #expect(!WriterPriority.isBulk(entries: 999, bytes: (1 << 20) - 1))
        #expect(WriterPriority.isBulk(entries: 1_000, bytes: 0))
        #expect(WriterPriority.isBulk(entries: 1, bytes: 1 << 20))
        #expect(!WriterPriority.isBulk(entries: 0, bytes: 0))
    }

    @Test func aFailingWriteIsSetBackToo() {
        let nice = FakeNice(3)
        let refused = Atomic<Bool>(false)
        var caught: Failure?
        do {
            try WriterPriority.run(raising: true, with: nice.control, refused: refused) { () throws(Failure) in
                throw Failure()
            }
        } catch {
            caught = error
        }
        #expect(caught != nil)
        #expect(nice.now == 3)
        #expect(nice.setCalls == [-2, 3])
    }

    @Test func withoutTheCapabilityTheRaiseGoesAsFarAsTheLimitAllows() {
        // LimitNICE=-3: from 0, -5 is refused and -3 taken.
        let nice = FakeNice(0, capable: false, floor: -3)
        let refused = Atomic<Bool>(false)
        let inside = WriterPriority.run(raising: true, with: nice.control, refused: refused) { nice.now }
        #expect(inside == -3)
        #expect(nice.setCalls == [-5, -3, 0])
        #expect(nice.now == 0)
        let wasRefused = refused.load(ordering: .relaxed)
        #expect(!wasRefused)
    }

    @Test func aThreadAlreadyAtTheLimitIsLeftAloneAndOthersStillAsk() {
        // A unit with Nice=-5 and LimitNICE=-5: nothing lower, but not a refusal for good.
        let atLimit = FakeNice(-5, capable: false, floor: -5)
        let refused = Atomic<Bool>(false)
        #expect(WriterPriority.run(raising: true, with: atLimit.control, refused: refused) { atLimit.now } == -5)
        #expect(atLimit.setCalls == [-10])
        let wasRefused = refused.load(ordering: .relaxed)
        #expect(!wasRefused)
        let other = FakeNice(0, capable: false, floor: -5)
        #expect(WriterPriority.run(raising: true, with: other.control, refused: refused) { other.now } == -5)
    }

    @Test func aRefusalOfAnyRaiseIsRememberedAndWritesRunAsBefore() {
        for floor in [Int32?.none, 20] {
            let nice = FakeNice(0, capable: false, floor: floor)
            let refused = Atomic<Bool>(false)
            var ran = 0
            for _ in 0..<3 {
                let inside = WriterPriority.run(raising: true, with: nice.control, refused: refused) { () -> Int32 in
                    ran += 1
                    return nice.now
                }
                #expect(inside == 0)
            }
            #expect(ran == 3)
            // Asked once, never set back (nothing was changed), never asked again.
            #expect(nice.setCalls == [-5])
            let wasRefused = refused.load(ordering: .relaxed)
            #expect(wasRefused)
        }
    }

    @Test func aThreadWhoseNiceCannotBeReadRunsUntouched() {
        let calls = Mutex(0)
        let control = WriterPriority.Control(
            current: { nil },
            set: { _ in
                calls.withLock { $0 += 1 }
                return true
            },
            floor: { -20 })
        let refused = Atomic<Bool>(false)
        let result = WriterPriority.run(raising: true, with: control, refused: refused) { 42 }
        #expect(result == 42)
        #expect(calls.withLock { $0 } == 0)
    }

    @Test func workHandedOverDuringARaisedWriteWaitsUntilThePriorityIsBack() {
        let nice = FakeNice(0)
        let refused = Atomic<Bool>(false)
        var seen: [Int32] = []
        WriterPriority.run(raising: true, with: nice.control, refused: refused) {
            WriterPriority.whenNotRaised { seen.append(nice.now) }
            // Nested: still deferred to the end of the outer write.
            WriterPriority.run(raising: false, with: nice.control, refused: refused) {
                WriterPriority.whenNotRaised { seen.append(nice.now) }
            }
            #expect(seen.isEmpty)
        }
        #expect(seen == [0, 0])
        // Outside a raised write: at once.
        WriterPriority.whenNotRaised { seen.append(nice.now) }
        #expect(seen == [0, 0, 0])
    }

    #if canImport(Glibc)
        /// Whether this process holds CAP_SYS_NICE (bit 23 of `CapEff`).
        static var holdsSysNice: Bool {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
                let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
            else { return false }
            return mask & (1 << 23) != 0
        }

        /// On this system, as this process may: the thread itself, on a thread of its own so
        /// that no other test shares it.
        @Test func theCallingThreadIsRaisedWhileItWritesWhereAllowed() async throws {
            let (before, inside, after, available) = await withCheckedContinuation { continuation in
                let thread = Thread {
                    let available = WriterPriority.isAvailable
                    let before = WriterPriority.currentNice()
                    let inside = WriterPriority.run(raising: true) { WriterPriority.currentNice() }
                    continuation.resume(returning: (before, inside, WriterPriority.currentNice(), available))
                }
                thread.start()
            }
            let start = try #require(before)
            #expect(after == start)
            #expect(inside == (available ? max(-20, start - WriterPriority.raise) : start))
            if Self.holdsSysNice && start > -20 { #expect(available) }
        }

        @Test func storeWritesOfEntriesRunRaisedWhereAllowed() throws {
            let fixture = try StoreFixture()
            defer { fixture.remove() }
            // A trigger on the writer's connection reads the nice value of the thread that runs
            // the transaction, from inside it.
            let observed = Mutex<[Int32?]>([])
            try fixture.store.database.writeWithoutTransaction { db in
                db.add(
                    function: DatabaseFunction("observe_nice", argumentCount: 0) { _ in
                        observed.withLock { $0.append(WriterPriority.currentNice()) }
                        return nil
                    })
                try db.execute(
                    sql: "CREATE TEMP TRIGGER observe AFTER INSERT ON entries BEGIN SELECT observe_nice(); END")
            }
            var author = try fixture.author()
            let before = try #require(WriterPriority.currentNice())
            let raised = WriterPriority.isAvailable ? max(-20, before - WriterPriority.raise) : before
            // Live traffic's small writes keep the thread's priority.
            try fixture.store.append(author.append(StoreFixture.entries(0..<2)), now: StoreFixture.now)
            #expect(observed.withLock { $0 } == [before, before])
            // A catch-up's: a batch of a thousand, or batches that make a thousand together.
            observed.withLock { $0 = [] }
            try fixture.store.append(
                author.append(StoreFixture.entries(2..<1_002, byteCount: 60)), now: StoreFixture.now)
            #expect(observed.withLock { $0.count } == 1_000)
            #expect(observed.withLock { Set($0) } == [raised])
            observed.withLock { $0 = [] }
            let first = try author.append(StoreFixture.entries(1_002..<1_602, byteCount: 60))
            let second = try author.append(StoreFixture.entries(1_602..<2_002, byteCount: 60))
            try fixture.store.append([first, second], now: StoreFixture.now)
            #expect(observed.withLock { $0.count } == 1_000)
            #expect(observed.withLock { Set($0) } == [raised])
            #expect(WriterPriority.currentNice() == before)
        }
    #endif
}
