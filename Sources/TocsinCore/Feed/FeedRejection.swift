import TocsinCrypto

/// Why a feed refused a batch or a checkpoint. Nothing is stored when a batch is rejected.
public enum FeedRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyBatch
    case batchTooLarge(count: Int, limit: Int)
    case batchTooManyBytes(bytes: Int, limit: Int)
    case malformedEntry(index: UInt64, EntryError)
    case malformedCheckpoint(NoteError)
    case wrongOrigin(expected: String, found: String)
    case notSignedByAuthor(NoteError)
    case gap(expectedFirstIndex: UInt64, found: UInt64)
    case sizeMismatch(checkpointSize: UInt64, entriesEndAt: UInt64)
    case rootMismatch(computed: SHA256Digest, signed: SHA256Digest)
    case frozen(origin: String)
    case fork(ForkProof)

    public var description: String {
        switch self {
        case .emptyBatch:
            return "the batch has no entries"
        case .batchTooLarge(let count, let limit):
            return "the batch has \(count) entries, more than the limit of \(limit)"
        case .batchTooManyBytes(let bytes, let limit):
            return
                "the batch's entries total \(bytes) bytes, more than the limit of \(limit): append them in several batches"
        case .malformedEntry(let index, let error):
            return "entry \(index): \(error)"
        case .malformedCheckpoint(let error):
            return "the checkpoint is malformed: \(error)"
        case .wrongOrigin(let expected, let found):
            return "the checkpoint is for \(found), not for \(expected)"
        case .notSignedByAuthor(let error):
            return "the checkpoint is not validly signed by the feed's author: \(error)"
        case .gap(let expected, let found):
            return "the batch starts at entry \(found), but the feed holds \(expected) entries: send from \(expected)"
        case .sizeMismatch(let checkpointSize, let end):
            return "the checkpoint covers \(checkpointSize) entries, but the entries end at \(end)"
        case .rootMismatch(let computed, let signed):
            return
                "the entries hash to root \(computed.hex), the author signed \(signed.hex): entries altered or from another branch"
        case .frozen(let origin):
            return "\(origin) is frozen: its author forked it, and a fork proof is held"
        case .fork:
            return "the checkpoint contradicts one the author signed before: fork proof recorded"
        }
    }
}
