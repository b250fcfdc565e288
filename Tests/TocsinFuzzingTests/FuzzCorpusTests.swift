import Foundation
import Testing
import TocsinDossier
import TocsinFuzzing

/// Every committed fuzz input, replayed through the normal build: the seeds, what fuzzing
/// runs kept, and the reproducer of every finding fixed (a finding that comes back crashes
/// this test).
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    @Test(arguments: FuzzTarget.all.map(\.name))
    func everyCorpusFileAndCrashReproducerRunsThroughItsTarget(name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let corpus = FuzzCorpus.files(at: Self.root.appendingPathComponent("corpus/\(name)"))
        let crashes = FuzzCorpus.files(at: Self.root.appendingPathComponent("crashes/\(name)"))
        #expect(!corpus.isEmpty, "no seed corpus for \(name) in Fuzz/corpus/\(name)")
        for file in corpus + crashes {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    /// The dossier target mutates a genuine dossier, so that its inputs reach the proofs and
    /// the consultation: the genuine one verifies.
    @Test func theDossierTargetStartsFromADossierThatVerifies() throws {
        let seed = try #require(FuzzSeeds.all()["dossiers"]?.last)
        let verification = DossierVerifier.verify(Array(seed.dropFirst()))
        #expect(verification.isVerified, "\(verification.firstFailure.map { "\($0.element): \($0.text)" } ?? "")")
        #expect(verification.checks.count > 8)
    }

    /// A few thousand random and mutated inputs per target, from a fixed seed: a quick check
    /// between fuzzing runs that nothing traps on inputs no run has kept.
    @Test(arguments: FuzzTarget.all.map(\.name))
    func randomAndMutatedInputsDoNotTrap(name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let seeds = FuzzCorpus.files(at: Self.root.appendingPathComponent("corpus/\(name)")).compactMap {
            try? Array(Data(contentsOf: $0))
        }
        var generator = SplitMix(seed: 0x70c5_1a_f022)
        for round in 0..<400 {
            var input: [UInt8]
            if round % 2 == 0, let seed = seeds.randomElement(using: &generator), !seed.isEmpty {
                input = seed
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    input[Int.random(in: 0..<input.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            } else {
                input = (0..<Int.random(in: 0...256, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            }
            target.run(input)
        }
    }
}

/// A small seeded generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
