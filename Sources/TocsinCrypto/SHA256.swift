import COpenSSL

/// SHA-256 through the system OpenSSL.
public enum SHA256 {
    // Fetched once: OpenSSL 3 otherwise looks the algorithm up again on every call.
    nonisolated(unsafe) private static let algorithm: OpaquePointer = {
        guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("OpenSSL has no SHA-256 implementation: \(OpenSSLError.drain(operation: "Loading SHA-256"))")
        }
        return algorithm
    }()

    /// Hashes a buffer.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> SHA256Digest {
        var digest = SHA256Digest.zero
        Swift.withUnsafeMutableBytes(of: &digest.words) { output in
            var length: UInt32 = 0
            let status = EVP_Digest(
                buffer.baseAddress, buffer.count, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                algorithm, nil)
            precondition(status == 1 && length == 32, "SHA-256 failed: \(OpenSSLError.drain(operation: "SHA-256"))")
        }
        return digest
    }

    /// Hashes any contiguous bytes (`[UInt8]`, `Data`, …).
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> SHA256Digest where Bytes.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        let copy = Array(bytes)
        return copy.withUnsafeBytes { hash($0) }
    }

    /// Hashes `prefix` followed by `buffer`, without copying `buffer` (RFC 6962 leaf hashing).
    public static func hash(prefix: UInt8, _ buffer: UnsafeRawBufferPointer) -> SHA256Digest {
        let context = Context()
        context.update(byte: prefix)
        context.update(buffer)
        return context.finish()
    }

    /// An incremental SHA-256 computation; reusable after `finish()`.
    public final class Context {
        private let context: OpaquePointer

        public init() {
            guard let context = EVP_MD_CTX_new() else {
                fatalError("OpenSSL could not allocate a digest context")
            }
            self.context = context
            reset()
        }

        deinit { EVP_MD_CTX_free(context) }

        /// Starts a new digest.
        public func reset() {
            precondition(EVP_DigestInit_ex2(context, SHA256.algorithm, nil) == 1, "SHA-256 initialisation failed")
        }

        public func update(_ buffer: UnsafeRawBufferPointer) {
            guard buffer.count > 0 else { return }
            precondition(EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1, "SHA-256 update failed")
        }

        public func update(byte: UInt8) {
            var byte = byte
            precondition(EVP_DigestUpdate(context, &byte, 1) == 1, "SHA-256 update failed")
        }

        public func update(_ digest: SHA256Digest) {
            digest.withUnsafeBytes { update($0) }
        }

        /// Returns the digest of everything added since the last reset and starts anew.
        public func finish() -> SHA256Digest {
            var digest = SHA256Digest.zero
            Swift.withUnsafeMutableBytes(of: &digest.words) { output in
                var length: UInt32 = 0
                precondition(
                    EVP_DigestFinal_ex(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length) == 1,
                    "SHA-256 finalisation failed")
            }
            reset()
            return digest
        }
    }
}
