import Foundation
import Testing
import TocsinDossier

/// The dossier's archive format (PROTOCOL.md §11): what is written reads back, Python's
/// `tarfile` reads it, and every malformed header is refused with the element `archive`.
@Suite struct TarArchiveTests {
    static let sample = TarArchive(files: [
        .init(path: "manifest.json", bytes: Array("{}".utf8)),
        .init(path: "entries/nro/XA/0.json", bytes: [UInt8](repeating: 0x41, count: 513)),
        .init(path: "empty", bytes: []),
    ])

    @Test func whatIsWrittenReadsBackAndPythonReadsItToo() async throws {
        let bytes = Self.sample.serialized(modificationTime: 1_767_225_600)
        #expect(bytes.count % 512 == 0)
        #expect(try TarArchive(reading: bytes) == Self.sample)
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = scratch.url.appendingPathComponent("a.tar")
        try Data(bytes).write(to: file)
        let listed = try await Commands.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                "import sys, tarfile; print(' '.join(f'{m.name}:{m.size}' for m in tarfile.open(sys.argv[1])))",
                file.path,
            ])
        #expect(
            listed.output.trimmingCharacters(in: .whitespacesAndNewlines)
                == "manifest.json:2 entries/nro/XA/0.json:513 empty:0")
    }

    /// Each change of a valid archive that must be refused.
    @Test(arguments: [
        "a header byte changed (checksum)", "GNU magic", "type flag NUL", "a symbolic link", "a prefix",
        "a name with ..", "a space inside the size", "a size beyond the end", "bytes after the end", "no end",
        "not whole blocks",
    ])
    func aMalformedArchiveIsRefused(change: String) {
        var bytes = Self.sample.serialized(modificationTime: 0)
        switch change {
        case "a header byte changed (checksum)": bytes[20] ^= 1
        case "GNU magic": bytes.replaceSubrange(257..<265, with: Array("ustar  \u{0}".utf8))
        case "type flag NUL": bytes[156] = 0
        case "a symbolic link": bytes[156] = 0x32
        case "a prefix": bytes[345] = 0x61
        case "a name with ..": bytes.replaceSubrange(0..<13, with: Array("../secret.txt".utf8))
        case "a space inside the size": bytes[125] = 0x20
        case "a size beyond the end": bytes.replaceSubrange(124..<135, with: Array("77777777777".utf8))
        case "bytes after the end": bytes += [UInt8](repeating: 0, count: 511) + [1]
        case "no end": bytes.removeLast(1024)
        default: bytes.removeLast(7)
        }
        // A changed header byte is caught by the checksum before anything else; the checksum is
        // refreshed for the others, to reach the rule under test.
        if change != "a header byte changed (checksum)" {
            bytes.replaceSubrange(148..<156, with: Array("        ".utf8))
            let digits = String(bytes[0..<512].reduce(0) { $0 + Int($1) }, radix: 8)
            bytes.replaceSubrange(
                148..<154, with: Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8))
            bytes[154] = 0
        }
        #expect(throws: DossierError.self, "\(change)") { try TarArchive(reading: bytes) }
    }

    @Test func moreFilesThanADossierMayHoldAreRefused() {
        let many = TarArchive(files: (0...TarArchive.maximumFileCount).map { .init(path: "f\($0)", bytes: []) })
        #expect(throws: DossierError("archive", "it holds more than \(TarArchive.maximumFileCount) files")) {
            try TarArchive(reading: many.serialized(modificationTime: 0))
        }
        let extra = [UInt8](repeating: 0, count: 1024)
        #expect(throws: DossierError.self) {
            try TarArchive(reading: Self.sample.serialized(modificationTime: 0) + extra + [7])
        }
    }
}
