import Foundation
import Testing

/// The consultation machine, driven by readable transcripts in `testdata/consultation/`: the
/// entries a node stores, the cosignatures it receives and the passing of time, with the
/// actions it takes written out beside them. `TOCSIN_REWRITE=1 swift test --filter
/// ConsultationTranscriptTests` rewrites the expected outputs from the code (review the diff).
struct ConsultationTranscriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("testdata/consultation")

    static let files: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".txt") }
        .sorted()

    @Test func everyTranscriptIsFound() {
        #expect(
            Set(Self.files).isSuperset(
                of: [
                    "acknowledgement.txt", "convener-deadline.txt", "convener-early.txt", "audit-flags.txt",
                    "changed-vote.txt", "referral.txt",
                ]),
            "\(Self.files)")
    }

    @Test(arguments: files) func theMachineActsAsTheTranscriptSays(file: String) throws {
        let transcript = try DataDriven(file: Self.folder.appendingPathComponent(file))
        let runner = ConsultationTranscript()
        var outputs: [String] = []
        for test in transcript.cases {
            let output: String
            do {
                output = try runner.run(test)
            } catch {
                output = "error: \(error)"
            }
            outputs.append(output)
            if !DataDriven.rewriting {
                #expect(
                    output == test.expected,
                    "\(file):\(test.line): \(test.command)\n--- expected\n\(test.expected)\n--- got\n\(output)")
            }
        }
        if DataDriven.rewriting { try transcript.rewrite(outputs: outputs) }
    }
}
