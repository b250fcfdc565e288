import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore
import TocsinCrypto

/// The genesis charter and the authority's certificate, as files.
struct GenesisOptions: ParsableArguments {
    @Option(help: "The genesis charter (the network's first charter.toml).")
    var genesis: String?

    @Option(name: .customLong("genesis-signature"), help: "The genesis charter's detached signature.")
    var genesisSignature: String?

    @Option(help: "The network authority's certificate (PEM).")
    var ca: String?

    /// Whether any was given (the command then works from files, not a node).
    var isGiven: Bool { genesis != nil || genesisSignature != nil || ca != nil }

    func load() throws -> (genesis: SignedCharter, authority: Certificate) {
        guard let genesis, let genesisSignature, let ca else {
            throw CommandFailure(
                "name the genesis charter, its signature and the authority: --genesis, --genesis-signature, --ca")
        }
        let authority: Certificate
        do {
            authority = try Certificate(
                pem: String(decoding: readFile(ca, what: "authority certificate"), as: UTF8.self))
        } catch let error as CertificateError {
            throw CommandFailure("\(ca): \(error)")
        }
        do {
            let signed = try SignedCharter(
                toml: readFile(genesis, what: "genesis charter"),
                signatureFile: readFile(genesisSignature, what: "signature"), authority: authority.publicKey())
            return (signed, authority)
        } catch let error as CharterError {
            throw CommandFailure("\(genesis): \(error)")
        }
    }

    /// The chain an amendment file describes (nil file: the genesis charter alone).
    func chain(file: String?) throws -> (CharterChain, AmendmentBundle?) {
        let (genesis, authority) = try load()
        let authorityKey = try authority.publicKey()
        guard let file else { return (CharterChain(genesis: genesis, authority: authorityKey), nil) }
        do {
            let bundle = try AmendmentBundle(serialized: readFile(file, what: "amendment file"))
            return (try bundle.verify(genesis: genesis, authority: authorityKey), bundle)
        } catch let error as AmendmentBundleError {
            throw CommandFailure("\(file): \(error)")
        }
    }
}

/// The history of the charter from a running node, or from an amendment file.
struct CharterSource: ParsableArguments {
    @OptionGroup var admin: AdminOptions
    @OptionGroup var files: GenesisOptions

    @Option(
        help:
            "Read the versions from this amendment file (with --genesis, --genesis-signature and --ca) instead of a node."
    )
    var file: String?

    func history() throws -> CharterHistory {
        guard file != nil || files.isGiven else { return try admin.client().charterHistory() }
        let (chain, _) = try files.chain(file: file)
        let inForce = chain.inForce(atMs: Int64(Date().timeIntervalSince1970 * 1000)).version
        return CharterHistory(chain: chain, inForce: inForce, forked: false)
    }
}

struct AmendCharter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amend",
        abstract: "Draft and sign an amendment of the charter with the authority's key (offline).",
        discussion: """
            DRAFT is the new charter: the current one with its changes and a higher `version`. The \
            command adds `replaces` (the SHA-256 of the version it replaces) and `takes-effect`, \
            signs the file with the authority's key as the genesis charter was signed, appends it to \
            the authority feed of --previous (the last amendment file; none for the first amendment) \
            and signs the feed's checkpoint. Give the file it writes to any node: `tocsin charter \
            publish FILE`. Keep it: the next amendment extends it.
            """)

    @Argument(help: "The new charter's TOML (with a higher version).")
    var draft: String

    @OptionGroup var files: GenesisOptions

    @Option(help: "The authority's private key (PEM), which signs the amendment.")
    var key: String

    @Option(help: "The last amendment file, which this one extends (none for the first amendment).")
    var previous: String?

    @Option(name: .customLong("takes-effect"), help: "When it takes effect: YYYY-MM-DDTHH:MM:SSZ (UTC).")
    var takesEffect: String?

    @Option(name: .customLong("in"), help: "When it takes effect: in this many minutes (default 15).")
    var minutes: Int?

    @Option(help: "Where to write the amendment file.")
    var out: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
        let version: UInt64
        let sha256: String
        let replaces: String
        let takesEffect: String
        let amendments: Int
        let file: String
        let changes: [CharterDiff.Change]
    }

    func run() throws {
        let (chain, previousBundle) = try files.chain(file: previous)
        let authorityKey: Ed25519PrivateKey
        do {
            authorityKey = try KeyFile.read(from: key)
        } catch {
            throw CommandFailure("\(key): \(error)")
        }
        guard authorityKey.publicKey == chain.authority else {
            throw CommandFailure("\(key) is not the key of the authority certificate \(files.ca ?? "")")
        }
        let now = Int64(Date().timeIntervalSince1970) * 1000
        let effective: Int64
        if let takesEffect {
            guard minutes == nil else { throw CommandFailure("give --takes-effect or --in, not both") }
            guard let parsed = UTCTime.milliseconds(parsing: takesEffect) else {
                throw CommandFailure("--takes-effect: write a UTC time as YYYY-MM-DDTHH:MM:SSZ")
            }
            effective = parsed
        } else {
            let minutes = self.minutes ?? 15
            guard (0...527_040).contains(minutes) else { throw CommandFailure("--in: 0 to 527040 minutes") }
            effective = (now / 1000 + Int64(minutes) * 60) * 1000
        }
        let draftText = String(decoding: try readFile(draft, what: "draft"), as: UTF8.self)
        let text: String
        do {
            text = try Charter.amendmentText(draft: draftText, replaces: chain.latest.sha256, takesEffectMs: effective)
        } catch {
            throw CommandFailure("\(draft): \(error)")
        }
        let bytes = Array(text.utf8)
        let signed: SignedCharter
        do {
            signed = try SignedCharter(
                toml: bytes, signatureFile: authorityKey.signature(for: bytes), authority: chain.authority)
        } catch {
            throw CommandFailure("\(draft): \(error)")
        }
        let bundle: AmendmentBundle
        let version: CharterVersion
        do {
            bundle = try AmendmentBundle.extending(
                previousBundle, with: signed, network: chain.network, authorityKey: authorityKey, authorTimeMs: now)
            version = try chain.amendment(entry: bundle.entries[bundle.entries.count - 1], index: chain.amendmentCount)
        } catch let error as AmendmentError {
            throw CommandFailure("\(draft): \(error)")
        }
        guard FileManager.default.createFile(atPath: out, contents: Data(bundle.serialized)) else {
            throw CommandFailure("cannot write \(out)")
        }
        let diff = CharterDiff(from: chain.latest.charter, to: version.charter)
        if json {
            return try printJSON(
                Report(
                    version: version.version, sha256: version.sha256.hex, replaces: chain.latest.sha256.hex,
                    takesEffect: UTCTime.text(milliseconds: version.takesEffectMs), amendments: bundle.entries.count,
                    file: out, changes: diff.changes))
        }
        printLine(
            "amendment: version \(version.version), replacing version \(chain.latest.version), takes effect \(UTCTime.text(milliseconds: version.takesEffectMs))"
        )
        printLine("sha256     \(version.sha256.hex)")
        printLine("wrote      \(out) (the authority feed: \(bundle.entries.count) amendments)")
        for change in diff.changes { printLine("  \(change)") }
        printLine("publish it on any node: tocsin charter publish \(shellWord(out)) --node DIR")
    }
}

struct PublishAmendment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Give a running node an amendment file; it checks it, stores it and spreads it to its peers.")

    @Argument(help: "The file `tocsin charter amend` wrote.")
    var file: String

    @OptionGroup var admin: AdminOptions

    func run() throws {
        let history = try admin.client().publishAmendment(readFile(file, what: "amendment file"))
        if admin.json { return try printJSON(history) }
        guard let latest = history.versions.last else { return }
        printLine(
            "published: the node holds charter versions \(history.versions.map { String($0.version) }.joined(separator: ", "))"
        )
        printLine(
            "version \(latest.version) takes effect \(latest.takesEffect); version \(history.inForce) is in force now")
    }
}

struct CharterHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show every version of the charter, with its hash, signature and effective time.")

    @OptionGroup var source: CharterSource

    func run() throws {
        let history = try source.history()
        if source.admin.json { return try printJSON(history) }
        if history.forked {
            printLine("FORK: the authority signed two histories of the charter; no amendment is adopted")
        }
        for version in history.versions {
            let origin = version.entryIndex.map { "amendment #\($0)" } ?? "genesis"
            printLine(
                "version \(column(String(version.version), 4)) \(column(origin, 13)) takes effect \(version.takesEffect)\(version.inForce ? "  IN FORCE" : "")"
            )
            printLine("    sha256    \(version.sha256)")
            if let replaces = version.replaces { printLine("    replaces  \(replaces)") }
            printLine("    signature \(version.signature)")
        }
    }
}

struct CharterDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two versions of the charter: nodes, keys, groups, roles, policies.")

    @Argument(help: "The earlier version.")
    var from: UInt64

    @Argument(help: "The later version.")
    var to: UInt64

    @OptionGroup var source: CharterSource

    func run() throws {
        let history = try source.history()
        func charter(_ number: UInt64) throws -> Charter {
            guard let version = history.versions.first(where: { $0.version == number }) else {
                throw CommandFailure(
                    "there is no version \(number); held: \(history.versions.map { String($0.version) }.joined(separator: ", "))"
                )
            }
            do {
                return try Charter(toml: Array(version.toml.utf8))
            } catch {
                throw CommandFailure("version \(number): \(error)")
            }
        }
        let diff = CharterDiff(from: try charter(from), to: try charter(to))
        if source.admin.json { return try printJSON(diff.changes) }
        printLine(
            "charter version \(from) → \(to): \(diff.changes.isEmpty ? "no change" : "\(diff.changes.count) changes")")
        for change in diff.changes { printLine("  \(change)") }
    }
}
