import COpenSSL
import COpenSSLShims

/// An Ed25519 private key held by OpenSSL; stored as unencrypted PEM PKCS#8 (as `openssl genpkey` writes it).
///
/// The key never leaves OpenSSL except through `pemRepresentation`, and no description or
/// error ever contains it.
public final class Ed25519PrivateKey: @unchecked Sendable {
    // Immutable after init; OpenSSL allows concurrent signing with one EVP_PKEY.
    let key: OpaquePointer

    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    private init(key: OpaquePointer) throws(KeyError) {
        self.key = key
        do {
            self.publicKey = try Ed25519PublicKey(evpKey: key)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
    }

    deinit { EVP_PKEY_free(key) }

    /// Generates a new key from OpenSSL's random generator.
    public static func generate() throws(KeyError) -> Ed25519PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "ED25519", nil) else {
            throw KeyError.openSSL(.drain(operation: "Preparing Ed25519 key generation"))
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_generate(context, &key) == 1, let key else {
            throw KeyError.openSSL(.drain(operation: "Generating an Ed25519 key"))
        }
        return try Ed25519PrivateKey(key: key)
    }

    /// Creates a key from its 32-byte seed (RFC 8032), for deterministic tests and benchmarks.
    public convenience init(seed: [UInt8]) throws(KeyError) {
        guard seed.count == 32 else { throw KeyError.wrongLength(expected: 32, actual: seed.count) }
        let key = seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(tocsin_evp_pkey_ed25519(), nil, $0.baseAddress, 32)
        }
        guard let key else { throw KeyError.openSSL(.drain(operation: "Reading an Ed25519 seed")) }
        try self.init(key: key)
    }

    /// Reads a PEM private key (PKCS#8, as `openssl genpkey -algorithm ed25519` writes it).
    public convenience init(pem: String) throws(KeyError) {
        guard pem.contains("-----BEGIN") else { throw KeyError.noKeyInPEM }
        if pem.contains("ENCRYPTED") { throw KeyError.encrypted }
        // An empty passphrase instead of a callback: OpenSSL must never prompt on a terminal.
        let key: OpaquePointer? = MemoryBIO.withReadable(Array(pem.utf8)) { bio in
            var empty: CChar = 0
            return PEM_read_bio_PrivateKey(bio, nil, nil, &empty)
        }
        guard let key else { throw KeyError.openSSL(.drain(operation: "Reading a PEM private key")) }
        guard EVP_PKEY_get_id(key) == tocsin_evp_pkey_ed25519() else {
            let algorithm = Ed25519PublicKey.algorithmName(of: key)
            EVP_PKEY_free(key)
            throw KeyError.notEd25519(algorithm: algorithm)
        }
        try self.init(key: key)
    }

    /// The key as unencrypted PEM PKCS#8, the form `openssl genpkey -algorithm ed25519` writes.
    public var pemRepresentation: String {
        let bytes = MemoryBIO.written { bio in
            PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1
        }
        guard let bytes else {
            fatalError("OpenSSL could not encode a private key: \(OpenSSLError.drain(operation: "PEM"))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Signs `message` (pure Ed25519, as `openssl pkeyutl -sign -rawin`).
    public func signature(for message: some Collection<UInt8>) -> [UInt8] {
        let messageBytes = Array(message)
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a signing context") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: Ed25519PublicKey.signatureByteCount)
        var length = signature.count
        // Ed25519 signing cannot fail for a valid key and buffer; a failure is a broken library.
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1,
            EVP_DigestSign(context, &signature, &length, messageBytes, messageBytes.count) == 1,
            length == Ed25519PublicKey.signatureByteCount
        else {
            fatalError("Ed25519 signing failed: \(OpenSSLError.drain(operation: "Signing"))")
        }
        return signature
    }
}
