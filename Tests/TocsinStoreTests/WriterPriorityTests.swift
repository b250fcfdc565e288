import Foundation
import GRDB
import Synchronization
import Testing

@testable import TocsinStore

/// The store's writes run with their thread's nice value lowered by `WriterPriority.raise`,
/// set back afterwards, and not asked for again once the system refused.
@Suite struct WriterPriorityTests {
    /// A nice value held in memory, with the calls made to set it.
    final class FakeNice: Sendable {
        let value: Mutex<Int32>
        let calls = Mutex<[Int32]>([])
        let refuses: Bool

        init(_ value: Int32, refuses: Bool = false) {
            self.value = Mutex(value)
            self.refuses = refuses
        }

        var control: WriterPriority.Control {
            WriterPriority.Control(
                current: { self.value.withLock { $0 } },
                set: { wanted in
                    self.calls.withLock { $0.append(wanted) }
                    guard !self.refuses else { return false }
                    self.value.withLock { $0 = wanted }
                    return true
                })
        }
    }

    struct Failure: Error {}

    @Test(arguments: [Int32(0), 10, 19, -17, -20])
    func aWriteRunsRaisedByFiveAndIsSetBackAfter(start: Int32) throws {
        let nice = FakeNice(start)
        let refused = Atomic<Bool>(false)
        let inside = WriterPriority.run(with: nice.control, refused: refused) { nice.value.withLock { $0 } }
        #expect(inside == max(-20, start - WriterPriority.raise))
        #expect(nice.value.withLock { $0 } == start)
        #expect(nice.calls.withLock { $0 } == [max(-20, start - 5), start])
        let wasRefused = refused.load(ordering: .relaxed)
        #expect(!wasRefused)
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
            try WriterPriority.run(with: nice.control, refused: refused) { () throws(Failure) in throw Failure() }
        } catch {
            caught = error
        }
        #expect(caught != nil)
        #expect(nice.value.withLock { $0 } == 3)
        #expect(nice.calls.withLock { $0 } == [-2, 3])
    }

    @Test func aRefusalIsRememberedAndWritesRunAsBefore() {
        let nice = FakeNice(0, refuses: true)
        let refused = Atomic<Bool>(false)
        var ran = 0
        for _ in 0..<3 {
            let inside = WriterPriority.run(with: nice.control, refused: refused) { () -> Int32 in
                ran += 1
                return nice.value.withLock { $0 }
            }
            #expect(inside == 0)
        }
        #expect(ran == 3)
        // Asked once, never set back (nothing was changed), never asked again.
        #expect(nice.calls.withLock { $0 } == [-5])
        let wasRefused = refused.load(ordering: .relaxed)
        #expect(wasRefused)
    }

    @Test func aThreadWhoseNiceCannotBeReadRunsUntouched() {
        let calls = Mutex(0)
        let control = WriterPriority.Control(
            current: { nil },
            set: { _ in
                calls.withLock { $0 += 1 }
                return true
            })
        let refused = Atomic<Bool>(false)
        let result = WriterPriority.run(with: control, refused: refused) { 42 }
        #expect(result == 42)
        #expect(calls.withLock { $0 } == 0)
    }

    #if os(Linux)
        @Test func aWriteThatIsNotBulkLeavesTheThreadAlone() {
            let before = WriterPriority.currentNice()
            let inside = WriterPriority.run(raising: false) { WriterPriority.currentNice() }
            #expect(inside == before)
        }

        /// On this system, as this process may (root in CI): the thread itself, on a thread of
        /// its own so that no other test shares it.
        @Test func theCallingThreadIsRaisedWhileItWritesWhereAllowed() async throws {
            let (before, inside, after, available) = await withCheckedContinuation { continuation in
                let thread = Thread {
                    let available = WriterPriority.isAvailable
                    let before = WriterPriority.currentNice()
                    let inside = WriterPriority.run { WriterPriority.currentNice() }
                    continuation.resume(returning: (before, inside, WriterPriority.currentNice(), available))
                }
                thread.start()
            }
            let start = try #require(before)
            #expect(after == start)
            #expect(inside == (available ? max(-20, start - WriterPriority.raise) : start))
            if geteuid() == 0 { #expect(available) }
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
