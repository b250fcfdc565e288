import Foundation
import TocsinFuzzing

// Built with `-DFUZZING --sanitize=fuzzer` (Scripts/fuzz), libFuzzer drives the target named
// by TOCSIN_FUZZ_TARGET through this entry point. Built plainly, the same executable replays
// files through a target: `tocsin-fuzz <target> FILE|DIR…` (what `swift test` does too),
// and writes the seed corpus: `tocsin-fuzz --write-seeds Fuzz/corpus`. With `--repeat N`
// first, each input is replayed N times and the resident memory before and after is printed:
// a leak shows as growth proportional to N.

#if FUZZING
    private let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["TOCSIN_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget.named(name) else {
            let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("set TOCSIN_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(2)
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        selected.run(bytes)
        return 0
    }
#else
    @main
    enum FuzzReplay {
        static func main() {
            var arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "--write-seeds", arguments.count == 2 {
                let root = URL(fileURLWithPath: arguments[1])
                for (name, seeds) in FuzzSeeds.all().sorted(by: { $0.key < $1.key }) {
                    let folder = root.appendingPathComponent(name)
                    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    for (number, seed) in seeds.enumerated() {
                        try? Data(seed).write(to: folder.appendingPathComponent("seed-\(number)"))
                    }
                    print("\(name): \(seeds.count) seeds")
                }
                return
            }
            var repetitions = 1
            if arguments.first == "--repeat", arguments.count > 1, let count = Int(arguments[1]), count > 0 {
                repetitions = count
                arguments.removeFirst(2)
            }
            guard let name = arguments.first, let target = FuzzTarget.named(name), arguments.count > 1 else {
                let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
                print("usage: tocsin-fuzz [--repeat N] <target> FILE|DIR…  (targets: \(names))")
                exit(2)
            }
            let residentBefore = residentBytes()
            var count = 0
            for path in arguments.dropFirst() {
                for file in FuzzCorpus.files(at: URL(fileURLWithPath: path)) {
                    let input = Array((try? Data(contentsOf: file)) ?? Data())
                    for _ in 0..<repetitions { target.run(input) }
                    count += 1
                }
            }
            print("\(target.name): replayed \(count) inputs", terminator: "")
            if repetitions > 1, let before = residentBefore, let after = residentBytes() {
                print(
                    " \(repetitions) times each; resident memory \(before / 1024) KiB before, \(after / 1024) KiB after"
                )
            } else {
                print()
            }
        }

        /// The resident set, from /proc/self/statm (Linux), in bytes.
        static func residentBytes() -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
            let fields = text.split(separator: " ")
            guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
    }
#endif
