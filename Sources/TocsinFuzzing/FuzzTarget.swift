/// A libFuzzer target: one parser or interpreter of what comes from peers, the log, files or
/// the admin API, driven by arbitrary bytes. A target returns normally whatever the bytes
/// are; a trap, a crash or a hang is a finding.
///
/// The targets live in this library so that `tocsin-fuzz` runs them under libFuzzer and
/// `swift test` replays every committed corpus file and crash reproducer through them.
public struct FuzzTarget: Sendable {
    /// The name: `tocsin-fuzz` runs the target named by `TOCSIN_FUZZ_TARGET`, and its corpus
    /// is `Fuzz/corpus/<name>`.
    public let name: String
    /// What it feeds the bytes to.
    public let summary: String
    public let run: @Sendable ([UInt8]) -> Void

    /// Every target, in the order `Scripts/fuzz` runs them.
    public static let all: [FuzzTarget] = [
        FuzzTarget(
            name: "sync-session",
            summary: "frames, then the sync machine's received() as a stateful session (genuine and mutated messages)",
            run: SyncSessionFuzzing.run),
        FuzzTarget(
            name: "consultation-entries",
            summary: "the entry decoder and the consultation book's interpretation, ticks and standings",
            run: ConsultationFuzzing.run),
        FuzzTarget(
            name: "signed-notes",
            summary: "signed notes, checkpoints and cosignatures, parsed and verified",
            run: NoteFuzzing.run),
        FuzzTarget(name: "fork-proofs", summary: "fork proofs, parsed and verified", run: ForkProofFuzzing.run),
        FuzzTarget(name: "charter-toml", summary: "the charter's TOML", run: CharterFuzzing.run),
        FuzzTarget(
            name: "charter-amendments",
            summary: "amendment files, verified and published; authority-signed amendments checked against the chain",
            run: AmendmentFuzzing.run),
        FuzzTarget(name: "cap-xml", summary: "the CAP 1.2 XML reader and the import into a draft", run: CAPFuzzing.run),
        FuzzTarget(
            name: "admin-requests",
            summary: "the admin API's request decoding and the drafts it builds entries from",
            run: AdminRequestFuzzing.run),
        FuzzTarget(
            name: "dossiers",
            summary: "dossier archives, verified offline (genuine and mutated), and their report",
            run: DossierFuzzing.run),
    ]

    /// The target named `name`.
    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Reads fuzz input as a sequence of small fields; past the end every read gives zeros, so
/// any input is a complete program.
struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint16() -> Int { Int(byte()) << 8 | Int(byte()) }

    mutating func uint64() -> UInt64 { (0..<8).reduce(0) { value, _ in value << 8 | UInt64(byte()) } }

    /// Up to `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + max(0, count))
        defer { position = end }
        return position < end ? Array(bytes[position..<end]) : []
    }

    /// Everything left.
    mutating func rest() -> [UInt8] { take(bytes.count - position) }
}
