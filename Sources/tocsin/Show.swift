import ArgumentParser
import Foundation
import TocsinAdmin
import TocsinCore
import TocsinDossier
import TocsinStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show one entry, decoded, with its inclusion proof to the feed's latest checkpoint; or a consistency proof between two sizes of a feed.",
        discussion: """
            ORIGIN is a full origin (tocsin/<network>/<group>/<author>) or its short form \
            <group>/<author>; a reference <group>/<author>/<index> may stand for both arguments. \
            With --consistency FROM TO, ORIGIN names a feed and no INDEX is given. The JSON \
            documents are specified in Docs/PROTOCOL.md §10.
            """)

    @Argument(
        help: "The feed: tocsin/<network>/<group>/<author>, <group>/<author>, or a reference <group>/<author>/<index>.")
    var origin: String

    @Argument(help: "The entry index (omit when ORIGIN is a reference).")
    var index: UInt64?

    @Flag(help: "Print the inclusion proof and the checkpoint it leads to.")
    var proof = false

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Print the consistency proof of the feed ORIGIN between two sizes, with both roots and the checkpoints held of those sizes.",
            valueName: "FROM TO"))
    var consistency: [UInt64] = []

    @Flag(help: "Print the result as JSON.")
    var json = false

    @OptionGroup var dataDirectory: DataDirectoryOption

    func run() throws {
        let directory = try dataDirectory.url
        let store = try FeedStore.open(directory: directory)
        if !consistency.isEmpty { return try printConsistency(store: store) }
        let (feed, entryIndex) = try resolve(network: store.networkID)
        guard let result = try store.inclusionProof(origin: feed, index: entryIndex) else {
            throw CommandFailure("\(feed.shortName)/\(entryIndex) is not held in \(directory.path)")
        }
        let entry = result.entry
        let summary = EntrySummary(bytes: entry.bytes)
        let charter = try? store.charterChain().latest.charter
        let witnessing = charter.flatMap {
            WitnessStatus(checkpoint: result.checkpoint, origin: entry.origin, charter: $0, network: store.networkID)
        }
        // The proof is checked before it is shown: a store that cannot prove an entry says so.
        let verified: Bool
        do {
            try MerkleVerification.verifyInclusion(
                leafHash: MerkleHash.leaf(entry.bytes), index: entry.index, size: result.checkpoint.checkpoint.size,
                proof: result.proof, root: result.checkpoint.checkpoint.root)
            verified = true
        } catch {
            verified = false
        }
        if json {
            let document = EntryProofDocument(
                origin: entry.origin, index: entry.index, bytes: entry.bytes, authorTimeMs: entry.authorTimeMs,
                checkpoint: proof ? result.checkpoint : nil, proof: result.proof, charter: charter,
                network: store.networkID)
            try printJSON(document)
        } else {
            printLine("\(entry.reference)  \(summary.kind)")
            print("origin       \(entry.origin)")
            print("author time  \(isoTime(milliseconds: entry.authorTimeMs))")
            print("leaf hash    \(entry.leafHash.hex)")
            printLine("summary      \(summary.text)")
            if let decoded = EntrySummary.json(bytes: entry.bytes) {
                print("")
                print(decoded)
            }
            if proof {
                print("")
                print(
                    "inclusion proof to the checkpoint of size \(result.checkpoint.checkpoint.size) (\(verified ? "verified" : "DOES NOT VERIFY")):"
                )
                for (position, hash) in result.proof.enumerated() { print("  \(position)  \(hash.hex)") }
                if let witnessing { print("checkpoint   \(witnessing)") }
                print("")
                print(result.checkpoint.note.formatted, terminator: "")
            }
        }
        if !verified { throw ExitCode(1) }
    }

    private func resolve(network: NetworkID) throws -> (FeedOrigin, UInt64) {
        if origin.hasPrefix("tocsin/") {
            guard let index else { throw CommandFailure("give the entry INDEX after the origin") }
            return (try FeedOrigin(parsing: origin), index)
        }
        let parts = origin.split(separator: "/").map(String.init)
        if parts.count == 3, index == nil {
            let reference = try EntryReference(parsing: origin)
            return (try FeedOrigin(network: network, group: reference.group, author: reference.author), reference.index)
        }
        guard parts.count == 2, let index else {
            throw CommandFailure(
                "\(origin.debugDescription) is not <group>/<author> with an INDEX, nor <group>/<author>/<index>")
        }
        return (try FeedOrigin(network: network, group: parts[0], author: parts[1]), index)
    }
}
