import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCAP
import TocsinCore
import TocsinCrypto

struct CAPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cap", abstract: "Exchange bulletins as OASIS CAP 1.2 alerts.",
        subcommands: [ExportCAP.self, ImportCAP.self, DraftCAP.self])
}

struct ExportCAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a bulletin as a CAP 1.2 alert (valid against the OASIS schema).",
        discussion: """
            Risk factors, the country, sources and the Tocsin reference travel as parameters \
            named urn:tocsin:risk-factor, urn:tocsin:country, urn:tocsin:source and \
            urn:tocsin:reference; scope is Restricted to the bulletin's group.
            """)

    @Argument(help: "The bulletin (or an update or cancel of it), <group>/<author>/<index>.")
    var reference: String

    @Option(help: "Write the alert to this file instead of standard output.")
    var out: String?

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let export = try admin.client().capExport(reference)
        if admin.json { return try printJSON(export) }
        if let out {
            try Data(export.xml.utf8).write(to: URL(fileURLWithPath: out))
        } else {
            print(export.xml, terminator: "")
        }
    }
}

struct ImportCAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Issue a bulletin from a CAP 1.2 alert made by any software; prints its reference.",
        discussion: """
            One info block becomes the bulletin (the first, or --language); areas keep their \
            polygons, circles and geocodes. What a bulletin has no field for is listed on \
            standard error; what Tocsin cannot carry (Draft or System status, Ack or Error, \
            updates of alerts that are not bulletins of this network) is refused with the reason.
            """)

    @Argument(help: "The CAP 1.2 XML file.")
    var file: String

    @Option(help: "The sharing group the bulletin is for.")
    var group: String

    @Option(help: "Which info block to import, by language (e.g. fr).")
    var language: String?

    @Option(help: "The state concerned, when the alert names none (ISO 3166-1 alpha-2).")
    var country: String?

    @OptionGroup var admin: AdminOptions

    func run() throws {
        // Measured before it is read: an alert larger than any CAP alert is never loaded.
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        guard size <= CAPReader.maximumByteCount else {
            throw CommandFailure(
                "\(file) is not a CAP 1.2 alert: \(size) bytes, more than the limit of \(CAPReader.maximumByteCount)")
        }
        let read = try CAPReader.read(Data(readFile(file, what: "CAP alert")))
        let client = try admin.client()
        guard let digest = SHA256Digest(hex: try client.status().networkID) else {
            throw CommandFailure("the node did not say which network it is in")
        }
        let imported = try read.alert.bulletinDraft(
            network: NetworkID(digest: digest), language: language, country: country)
        for note in read.notes + imported.notes {
            FileHandle.standardError.write(Data("note: \(Printable.escaped(note))\n".utf8))
        }
        try printCreated(try client.issue(BulletinRequest(group: group, draft: imported.draft)), json: admin.json)
    }
}

/// The console's CAP import: the alert on standard input, the bulletin it makes (or why it
/// makes none) as JSON on standard output. The daemon runs it so that it never parses XML.
struct DraftCAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draft",
        abstract: "Read a CAP 1.2 alert on standard input; print the bulletin it makes as JSON (used by tocsind).",
        shouldDisplay: false)

    @Option(help: "The network's identifier (hex), which updates and cancels must refer to.")
    var network: String

    @Option(help: "Which info block to import, by language (e.g. fr).")
    var language: String?

    @Option(help: "The state concerned, when the alert names none (ISO 3166-1 alpha-2).")
    var country: String?

    func run() throws {
        guard let digest = SHA256Digest(hex: network) else {
            throw CommandFailure("--network must be the network's identifier, 64 hexadecimal digits")
        }
        // One byte past the limit is enough to refuse an alert too large.
        var input = Data()
        while input.count <= CAPReader.maximumByteCount,
            let chunk = try FileHandle.standardInput.read(upToCount: CAPReader.maximumByteCount + 1 - input.count),
            !chunk.isEmpty
        {
            input.append(chunk)
        }
        let answer: CAPDraft
        do {
            let read = try CAPReader.read(input)
            let imported = try read.alert.bulletinDraft(
                network: NetworkID(digest: digest), language: language, country: country)
            answer = CAPDraft(
                draft: imported.draft, notes: read.notes + imported.notes, refusal: nil, stateNotNamed: false)
        } catch {
            answer = CAPDraft(draft: nil, notes: [], refusal: error.description, stateNotNamed: error == .stateNotNamed)
        }
        print(String(decoding: try AdminJSON.encode(answer), as: UTF8.self))
    }
}
