import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why the admin socket could not be set up.
public enum AdminSocketError: Error, Sendable, CustomStringConvertible {
    case notASocket(path: String)
    case cannotRemove(path: String, reason: String)

    public var description: String {
        switch self {
        case .notASocket(let path):
            return
                "admin-socket: \(path) exists and is not a socket; the node removes only a stale socket there, never a file or a folder: choose another path"
        case .cannotRemove(let path, let reason):
            return "admin-socket: cannot remove the stale socket \(path): \(reason)"
        }
    }

    /// Removes a socket a crashed daemon left behind; refuses anything else.
    static func clearStaleSocket(at path: String) throws(AdminSocketError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path) }
        guard unlink(path) == 0 else { throw .cannotRemove(path: path, reason: String(cString: strerror(errno))) }
    }
}
