/// HMAC-SHA-256 (RFC 2104) over the SHA-256 of the system OpenSSL: what signs a webhook's body.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key` (any length).
    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> SHA256Digest {
        let blockSize = 64
        var block = key.count > blockSize ? SHA256.hash(key).bytes : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = SHA256.Context()
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update($0) }
        message.withUnsafeBytes { inner.update($0) }
        let innerDigest = inner.finish()
        let outer = SHA256.Context()
        block.map { $0 ^ 0x5c }.withUnsafeBytes { outer.update($0) }
        outer.update(innerDigest)
        return outer.finish()
    }
}
