import Foundation

/// A C2SP signed note: text ending in a newline, a blank line, then signature lines
/// `— <key name> <base64(key ID || signature)>`.
public struct SignedNote: Hashable, Sendable {
    /// The signed text, including its final newline.
    public var text: String
    public var signatures: [NoteSignature]

    /// The largest note Tocsin reads: a checkpoint with a few hundred cosignatures fits.
    public static let maximumByteCount = 64 * 1024
    /// The most signature lines Tocsin reads (C2SP requires accepting at least 16).
    public static let maximumSignatureCount = 512

    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Parses a signed note, checking every rule of the C2SP format.
    public init(parsing bytes: some Collection<UInt8>) throws(NoteError) {
        guard bytes.count <= Self.maximumByteCount else {
            throw NoteError.tooLarge(byteCount: bytes.count, limit: Self.maximumByteCount)
        }
        let bytes = Array(bytes)
        guard let string = String(validating: bytes, as: UTF8.self) else { throw NoteError.notUTF8 }
        if let control = bytes.first(where: { $0 < 0x20 && $0 != 0x0a }) {
            throw NoteError.controlCharacter(control)
        }
        guard string.hasSuffix("\n") else { throw NoteError.missingFinalNewline }
        // The text ends at the last blank line; what follows are the signature lines.
        guard let separator = string.range(of: "\n\n", options: .backwards) else {
            throw NoteError.missingSignatureBlock
        }
        let text = String(string[..<separator.lowerBound]) + "\n"
        let signatureBlock = string[separator.upperBound...]
        var signatures: [NoteSignature] = []
        for line in signatureBlock.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            guard signatures.count < Self.maximumSignatureCount else {
                throw NoteError.tooManySignatures(limit: Self.maximumSignatureCount)
            }
            signatures.append(try NoteSignature(line: String(line)))
        }
        guard !signatures.isEmpty else { throw NoteError.missingSignatureBlock }
        self.init(text: text, signatures: signatures)
    }

    /// Parses a signed note from a string.
    public init(parsing string: String) throws(NoteError) {
        try self.init(parsing: Array(string.utf8))
    }

    /// The note in its wire form.
    public var formatted: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// The signed text as bytes (what each signature covers).
    public var textBytes: [UInt8] { Array(text.utf8) }
}

/// One signature line of a signed note.
public struct NoteSignature: Hashable, Sendable {
    public var keyName: String
    public var keyID: UInt32
    /// The bytes after the key ID: a plain signature, or a timestamp and signature for a
    /// cosignature.
    public var signature: [UInt8]

    public init(keyName: String, keyID: UInt32, signature: [UInt8]) {
        self.keyName = keyName
        self.keyID = keyID
        self.signature = signature
    }

    init(line: String) throws(NoteError) {
        guard line.hasPrefix("— ") else { throw NoteError.malformedSignatureLine(line) }
        let parts = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, NoteSignature.isValidKeyName(String(parts[0])) else {
            throw NoteError.malformedSignatureLine(line)
        }
        guard let decoded = Data(base64Encoded: String(parts[1])), decoded.count > 4 else {
            throw NoteError.malformedSignatureLine(line)
        }
        let bytes = Array(decoded)
        self.keyName = String(parts[0])
        self.keyID = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.signature = Array(bytes[4...])
    }

    /// Key names are non-empty and contain no spaces or `+`.
    public static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("+") && !name.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// The line as it appears in a note, with its newline.
    public var line: String {
        let id = withUnsafeBytes(of: keyID.bigEndian) { Array($0) }
        return "— \(keyName) \(Data(id + signature).base64EncodedString())\n"
    }
}
