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

    /// Parses a signed note, checking every rule of the C2SP format. It works on the bytes:
    /// notes are parsed for every checkpoint a peer sends, and string searches cost more than
    /// the signature checks.
    public init(parsing input: some Collection<UInt8>) throws(NoteError) {
        guard input.count <= Self.maximumByteCount else {
            throw NoteError.tooLarge(byteCount: input.count, limit: Self.maximumByteCount)
        }
        let bytes = Array(input)
        guard String(validating: bytes, as: UTF8.self) != nil else { throw NoteError.notUTF8 }
        if let control = bytes.first(where: { $0 < 0x20 && $0 != 0x0a }) {
            throw NoteError.controlCharacter(control)
        }
        guard bytes.last == 0x0a else { throw NoteError.missingFinalNewline }
        // The text ends at the last blank line; what follows are the signature lines.
        var separator = bytes.count - 2
        while separator >= 0, !(bytes[separator] == 0x0a && bytes[separator + 1] == 0x0a) { separator -= 1 }
        guard separator >= 0 else { throw NoteError.missingSignatureBlock }
        // Both halves are whole UTF-8 sequences: they are cut at newlines of valid UTF-8.
        let text = String(decoding: bytes[...separator], as: UTF8.self)
        var signatures: [NoteSignature] = []
        var lineStart = separator + 2
        while lineStart < bytes.count {
            guard signatures.count < Self.maximumSignatureCount else {
                throw NoteError.tooManySignatures(limit: Self.maximumSignatureCount)
            }
            var lineEnd = lineStart
            while bytes[lineEnd] != 0x0a { lineEnd += 1 }
            signatures.append(try NoteSignature(line: bytes[lineStart..<lineEnd]))
            lineStart = lineEnd + 1
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

    /// `— ` in UTF-8: an em dash and a space.
    static let linePrefix: [UInt8] = [0xE2, 0x80, 0x94, 0x20]

    init(line: ArraySlice<UInt8>) throws(NoteError) {
        func malformed() -> NoteError { .malformedSignatureLine(String(decoding: line, as: UTF8.self)) }
        guard line.starts(with: Self.linePrefix) else { throw malformed() }
        let rest = line.dropFirst(Self.linePrefix.count)
        guard let space = rest.firstIndex(of: 0x20) else { throw malformed() }
        let name = rest[..<space]
        let encoded = rest[(space + 1)...]
        guard !encoded.contains(0x20), Self.isValidKeyName(name),
            let bytes = Base64.decode(encoded), bytes.count > 4
        else { throw malformed() }
        self.keyName = String(decoding: name, as: UTF8.self)
        self.keyID = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.signature = Array(bytes[4...])
    }

    /// A key name's bytes (valid UTF-8): non-empty, no `+`, no white space.
    static func isValidKeyName(_ name: ArraySlice<UInt8>) -> Bool {
        guard !name.isEmpty else { return false }
        if name.allSatisfy({ $0 < 0x80 }) {
            // ASCII white space: tab to carriage return, and the space.
            return !name.contains { $0 == UInt8(ascii: "+") || $0 == 0x20 || (0x09...0x0D).contains($0) }
        }
        return isValidKeyName(String(decoding: name, as: UTF8.self))
    }

    /// Key names are non-empty and contain no spaces or `+`.
    public static func isValidKeyName(_ name: String) -> Bool {
        // `+` as a byte: `contains("+")` compares characters, and `+` followed by a combining
        // mark is another character.
        !name.isEmpty && !name.utf8.contains(UInt8(ascii: "+"))
            && !name.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// The line as it appears in a note, with its newline.
    public var line: String {
        let id = withUnsafeBytes(of: keyID.bigEndian) { Array($0) }
        return "— \(keyName) \(Data(id + signature).base64EncodedString())\n"
    }
}
