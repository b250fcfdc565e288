import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Private key files: PEM PKCS#8, mode 0600, never overwritten.
public enum KeyFile {
    /// Writes `key` to a new file with mode 0600; refuses to replace an existing file.
    public static func write(_ key: Ed25519PrivateKey, to path: String) throws(KeyFileError) {
        let bytes = Array(key.pemRepresentation.utf8)
        // O_EXCL: the check for an existing file and the creation are one atomic step.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw KeyFileError.exists(path: path) }
            throw KeyFileError.io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        // The umask may have narrowed the mode, never widened it; make it exactly 0600.
        fchmod(descriptor, 0o600)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard result > 0 else { throw KeyFileError.io(path: path, reason: String(cString: strerror(errno))) }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            throw KeyFileError.io(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads a private key file, refusing one that group or others may read.
    public static func read(from path: String) throws(KeyFileError) -> Ed25519PrivateKey {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw errno == ENOENT
                ? KeyFileError.missing(path: path)
                : KeyFileError.io(path: path, reason: String(cString: strerror(errno)))
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 == 0 else { throw KeyFileError.insecurePermissions(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyFileError.io(path: path, reason: "unreadable")
        }
        do {
            return try Ed25519PrivateKey(pem: String(decoding: data, as: UTF8.self))
        } catch {
            throw KeyFileError.invalid(path: path, error)
        }
    }
}

/// Why a key file could not be written or read.
public enum KeyFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case exists(path: String)
    case missing(path: String)
    case insecurePermissions(path: String, mode: mode_t)
    case invalid(path: String, KeyError)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .exists(let path):
            return "\(path) already exists; Tocsin never overwrites a key (move it away first)"
        case .missing(let path):
            return "no key file at \(path)"
        case .insecurePermissions(let path, let mode):
            return
                "\(path) has mode \(String(mode, radix: 8)); a private key must be readable by its owner only (chmod 600 \(path))"
        case .invalid(let path, let error):
            return "\(path): \(error)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
