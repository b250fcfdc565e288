import COpenSSL
import COpenSSLShims
import Foundation

/// An Ed25519 public key: 32 bytes; exchanged as SPKI DER (base64 in charters).
public struct Ed25519PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The raw 32-byte key (RFC 8032 encoding).
    public let rawRepresentation: [UInt8]

    /// The length of an Ed25519 signature in bytes.
    public static let signatureByteCount = 64

    /// Creates a key from its raw 32 bytes; OpenSSL checks that they encode a key.
    public init(rawRepresentation: [UInt8]) throws(KeyError) {
        guard rawRepresentation.count == 32 else {
            throw KeyError.wrongLength(expected: 32, actual: rawRepresentation.count)
        }
        // Decoding once here rejects bytes that OpenSSL cannot use as a key.
        let key = rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(tocsin_evp_pkey_ed25519(), nil, $0.baseAddress, 32)
        }
        guard let key else { throw KeyError.openSSL(.drain(operation: "Reading an Ed25519 public key")) }
        EVP_PKEY_free(key)
        self.rawRepresentation = rawRepresentation
    }

    /// Creates a key from a DER SubjectPublicKeyInfo (what `openssl pkey -pubout -outform DER` writes).
    public init(spkiDER: [UInt8]) throws(KeyError) {
        let key: OpaquePointer? = spkiDER.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            throw KeyError.openSSL(.drain(operation: "Reading a DER SubjectPublicKeyInfo"))
        }
        defer { EVP_PKEY_free(key) }
        try self.init(evpKey: key)
    }

    /// Creates a key from base64 SPKI DER, the form charters use.
    public init(spkiBase64: String) throws(KeyError) {
        guard let der = Data(base64Encoded: spkiBase64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw KeyError.notBase64
        }
        try self.init(spkiDER: Array(der))
    }

    /// Creates a key from a PEM `PUBLIC KEY` block.
    public init(pem: String) throws(KeyError) {
        let key: OpaquePointer? = MemoryBIO.withReadable(Array(pem.utf8)) { bio in
            PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else { throw KeyError.openSSL(.drain(operation: "Reading a PEM public key")) }
        defer { EVP_PKEY_free(key) }
        try self.init(evpKey: key)
    }

    /// Reads the public half of an OpenSSL key, which must be Ed25519.
    init(evpKey key: OpaquePointer) throws(KeyError) {
        guard EVP_PKEY_get_id(key) == tocsin_evp_pkey_ed25519() else {
            throw KeyError.notEd25519(algorithm: Self.algorithmName(of: key))
        }
        var raw = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1, length == 32 else {
            throw KeyError.openSSL(.drain(operation: "Extracting an Ed25519 public key"))
        }
        self.rawRepresentation = raw
    }

    static func algorithmName(of key: OpaquePointer) -> String {
        guard let name = EVP_PKEY_get0_type_name(key) else { return "an unknown algorithm" }
        return String(cString: name)
    }

    /// The DER SubjectPublicKeyInfo.
    public var spkiDER: [UInt8] {
        // RFC 8410: SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING key }.
        [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00] + rawRepresentation
    }

    /// Base64 of the DER SubjectPublicKeyInfo: the form written in charters.
    public var spkiBase64: String { Data(spkiDER).base64EncodedString() }

    /// PEM `PUBLIC KEY` block.
    public var pem: String {
        let body = Data(spkiDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----\n"
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        guard signature.count == Self.signatureByteCount else { return false }
        let signatureBytes = Array(signature)
        let messageBytes = Array(message)
        let key = rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(tocsin_evp_pkey_ed25519(), nil, $0.baseAddress, 32)
        }
        guard let key else {
            _ = OpenSSLError.drainQueue()
            return false
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else {
            _ = OpenSSLError.drainQueue()
            return false
        }
        let result = EVP_DigestVerify(context, signatureBytes, signatureBytes.count, messageBytes, messageBytes.count)
        if result != 1 { _ = OpenSSLError.drainQueue() }
        return result == 1
    }

    public var description: String { "Ed25519 key \(spkiBase64)" }
}
