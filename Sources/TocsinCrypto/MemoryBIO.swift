import COpenSSL
import COpenSSLShims

/// OpenSSL memory BIOs, for PEM and DER conversions without touching files.
enum MemoryBIO {
    /// Runs `body` with a read-only BIO over `bytes`.
    static func withReadable<Result, Failure: Error>(
        _ bytes: [UInt8], _ body: (OpaquePointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let bio = bytes.withUnsafeBytes { buffer in
            BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
        }
        guard let bio else { fatalError("OpenSSL could not allocate a memory BIO") }
        defer { BIO_free(bio) }
        return try body(bio)
    }

    /// Runs `body` with a writable BIO; returns what it wrote, or nil if `body` returned false.
    static func written(_ body: (OpaquePointer) -> Bool) -> [UInt8]? {
        guard let bio = BIO_new(BIO_s_mem()) else { fatalError("OpenSSL could not allocate a memory BIO") }
        defer { BIO_free(bio) }
        guard body(bio) else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = tocsin_bio_get_mem_data(bio, &data)
        guard let data, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
    }
}
