import ArgumentParser
import Foundation
import TocsinCore
import TocsinStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one entry, decoded, with its inclusion proof to the feed's latest checkpoint.",
        discussion: """
            ORIGIN is a full origin (tocsin/<network>/<group>/<author>) or its short form \
            <group>/<author>; a reference <group>/<author>/<index> may stand for both arguments.
            """)

    @Argument(
        help: "The feed: tocsin/<network>/<group>/<author>, <group>/<author>, or a reference <group>/<author>/<index>.")
    var origin: String

    @Argument(help: "The entry index (omit when ORIGIN is a reference).")
    var index: UInt64?

    @Flag(help: "Print the inclusion proof and the checkpoint it leads to.")
    var proof = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @OptionGroup var dataDirectory: DataDirectoryOption

    func run() throws {
        let store = try FeedStore.open(directory: dataDirectory.url)
        let (feed, entryIndex) = try resolve(network: store.networkID)
        guard let result = try store.inclusionProof(origin: feed, index: entryIndex) else {
            throw CommandFailure("\(feed.shortName)/\(entryIndex) is not held in \(dataDirectory.dataDir)")
        }
        let entry = result.entry
        let summary = EntrySummary(bytes: entry.bytes)
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
            var fields: [String: Any] = [
                "reference": entry.reference.description, "origin": entry.origin.description, "index": entry.index,
                "kind": summary.kind, "summary": summary.text, "author_time": isoTime(milliseconds: entry.authorTimeMs),
                "leaf_hash": entry.leafHash.hex, "bytes_base64": Data(entry.bytes).base64EncodedString(),
            ]
            if let decoded = EntrySummary.json(bytes: entry.bytes),
                let object = try? JSONSerialization.jsonObject(with: Data(decoded.utf8))
            {
                fields["entry"] = object
            }
            if proof {
                fields["proof"] =
                    [
                        "tree_size": result.checkpoint.checkpoint.size, "root": result.checkpoint.checkpoint.root.hex,
                        "hashes": result.proof.map(\.hex), "checkpoint": result.checkpoint.note.formatted,
                        "verified": verified,
                    ] as [String: Any]
            }
            try printJSON(fields)
        } else {
            print("\(entry.reference)  \(summary.kind)")
            print("origin       \(entry.origin)")
            print("author time  \(isoTime(milliseconds: entry.authorTimeMs))")
            print("leaf hash    \(entry.leafHash.hex)")
            print("summary      \(summary.text)")
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
