/// Why a signed note, checkpoint or cosignature was refused.
public enum NoteError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(byteCount: Int, limit: Int)
    case notUTF8
    case controlCharacter(UInt8)
    case missingFinalNewline
    case missingSignatureBlock
    case malformedSignatureLine(String)
    case tooManySignatures(limit: Int)
    case malformedCheckpoint(line: Int, reason: String)
    case invalidKeyName(String)
    case notSignedBy(keyName: String)
    case badSignature(keyName: String)
    case malformedCosignature(keyName: String, reason: String)
    /// Signed only by a key the charter revoked, beyond the last size it may sign.
    case revokedKey(keyName: String, size: UInt64)
    /// Two signature lines by one key.
    case duplicateSignature(keyName: String)

    public var description: String {
        switch self {
        case .tooLarge(let byteCount, let limit):
            return "the note has \(byteCount) bytes, more than the limit of \(limit)"
        case .notUTF8:
            return "the note is not valid UTF-8"
        case .controlCharacter(let byte):
            return "the note contains control character 0x\(String(byte, radix: 16)); only newlines are allowed"
        case .missingFinalNewline:
            return "the note does not end with a newline"
        case .missingSignatureBlock:
            return "the note has no signature lines after a blank line"
        case .malformedSignatureLine(let line):
            return "malformed signature line \(line.prefix(80).debugDescription) (expected `— <key name> <base64>`)"
        case .tooManySignatures(let limit):
            return "the note has more than \(limit) signatures"
        case .malformedCheckpoint(let line, let reason):
            return "checkpoint line \(line): \(reason)"
        case .invalidKeyName(let name):
            return "\(name.debugDescription) is not a valid key name (non-empty, no spaces, no `+`)"
        case .notSignedBy(let keyName):
            return "the note carries no signature by \(keyName)"
        case .badSignature(let keyName):
            return "the signature by \(keyName) does not verify: the note was altered or signed with another key"
        case .malformedCosignature(let keyName, let reason):
            return "the cosignature by \(keyName) is malformed: \(reason)"
        case .duplicateSignature(let keyName):
            return "the note carries two signatures by the same key of \(keyName): a key signs a note once"
        case .revokedKey(let keyName, let size):
            return
                "the checkpoint of size \(size) is signed for \(keyName) only by a key the charter revoked below that size: it is not the author's"
        }
    }
}
