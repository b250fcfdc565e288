import Dispatch
import Foundation
import TocsinCrypto

/// The per-entry work of a batch — structural checks and leaf hashes — shared by the author
/// and the receiver. In a small batch (live traffic) the entries it decodes for the checks go
/// on with the batch, so that what interprets them (the consultation) does not decode them
/// again; a large one (catch-up) is checked by `EntryScanner`, which applies the same checks
/// without building the messages.
///
/// Entries are independent, so large batches may be split over the cores; the result and
/// the error reported (the lowest failing index) are the same as sequentially.
enum EntryDigests {
    /// Entries per parallel chunk; smaller batches are done on the calling thread.
    static let chunkSize = 128
    /// The largest batch whose decoded entries go on with it (`FeedBatch.decoded`).
    static let keptDecodedLimit = 64
    /// Whether batches received from peers are hashed on several cores: only where there are
    /// more than two. A received batch is verified while the one before is written, and the
    /// store's writer is what bounds catch-up (one thread verifies faster than SQLite writes);
    /// on two cores, hashing on both takes the writer's core and slows catch-up down
    /// (BENCHMARKS.md, "Catch-up: where the time goes"). An author's batch is hashed before
    /// anything can be written, so it always uses every core.
    static let receivedInParallel = ProcessInfo.processInfo.activeProcessorCount > 2

    /// Checks and hashes `entries`, the first at `firstIndex`; `inParallel` lets a large batch
    /// use every core.
    static func compute(
        _ entries: [[UInt8]], firstIndex: UInt64, inParallel: Bool
    ) throws(FeedRejection) -> (
        leafHashes: [SHA256Digest], headers: [EntryHeader], decoded: [Tocsin_V1_Entry]
    ) {
        var leafHashes = [SHA256Digest](repeating: .zero, count: entries.count)
        var headers = [EntryHeader](repeating: EntryHeader(kind: 0, authorTimeMs: 0), count: entries.count)
        // Kept for live traffic only: a catch-up's batches of a thousand would hold every
        // entry decoded in memory until written, slower than decoding them again.
        let keepsDecoded = entries.count <= keptDecodedLimit
        var decodedEntries = [Tocsin_V1_Entry](repeating: Tocsin_V1_Entry(), count: keepsDecoded ? entries.count : 0)
        let chunks = (entries.count + chunkSize - 1) / chunkSize
        var failures = [(index: Int, error: EntryError)?](repeating: nil, count: chunks)
        leafHashes.withUnsafeMutableBufferPointer { leafBuffer in
            headers.withUnsafeMutableBufferPointer { headerBuffer in
                decodedEntries.withUnsafeMutableBufferPointer { entryBuffer in
                    failures.withUnsafeMutableBufferPointer { failureBuffer in
                        // Each chunk writes only its own slots of the four buffers.
                        nonisolated(unsafe) let leaves = leafBuffer
                        nonisolated(unsafe) let decodedHeaders = headerBuffer
                        nonisolated(unsafe) let decoded = entryBuffer
                        nonisolated(unsafe) let failed = failureBuffer
                        let work: @Sendable (Int) -> Void = { chunk in
                            let range = chunk * chunkSize..<min(entries.count, (chunk + 1) * chunkSize)
                            let hashing = SHA256.Context()
                            for index in range {
                                do throws(EntryError) {
                                    if keepsDecoded {
                                        let entry = try EntryDecoder.decode(entries[index])
                                        decodedHeaders[index] = EntryHeader(entry)
                                        decoded[index] = entry
                                    } else {
                                        // The same checks, without building what nobody reads.
                                        decodedHeaders[index] = try EntryDecoder.header(of: entries[index])
                                    }
                                } catch {
                                    failed[chunk] = (index, error)
                                    return
                                }
                                leaves[index] = MerkleHash.leaf(entries[index], using: hashing)
                            }
                        }
                        if chunks <= 1 || !inParallel {
                            for chunk in 0..<chunks { work(chunk) }
                        } else {
                            DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
                        }
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first {
            throw FeedRejection.malformedEntry(index: firstIndex + UInt64(failure.index), failure.error)
        }
        return (leafHashes, headers, decodedEntries)
    }
}
