import TocsinCrypto

/// RFC 6962 hashing: leaves and interior nodes are domain-separated by a prefix byte.
public enum MerkleHash {
    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot = SHA256.hash([UInt8]())

    /// `SHA-256(0x00 || entry)`.
    public static func leaf(_ entry: some Collection<UInt8>) -> SHA256Digest {
        if let digest = entry.withContiguousStorageIfAvailable({
            SHA256.hash(prefix: 0x00, UnsafeRawBufferPointer($0))
        }) {
            return digest
        }
        return Array(entry).withUnsafeBytes { SHA256.hash(prefix: 0x00, $0) }
    }

    /// `SHA-256(0x00 || entry)` with `context`, which is left ready for the next: hashing many
    /// entries with one context allocates nothing per entry.
    public static func leaf(_ entry: [UInt8], using context: SHA256.Context) -> SHA256Digest {
        context.update(byte: 0x00)
        entry.withUnsafeBytes { context.update($0) }
        return context.finish()
    }

    /// `SHA-256(0x01 || left || right)`.
    public static func interior(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        return withUnsafeTemporaryAllocation(byteCount: 65, alignment: 1) { output in
            output[0] = 0x01
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: output[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: output[33..<65]).copyMemory(from: $0) }
            return SHA256.hash(UnsafeRawBufferPointer(output))
        }
    }
}
