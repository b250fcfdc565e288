import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Tells systemd how the service is doing (`sd_notify(3)`): `READY=1` once the node listens,
/// `WATCHDOG=1` while its core answers, `STOPPING=1` on the way out. A datagram to the Unix
/// socket named by `NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
public struct SystemdNotifier: Sendable {
    public let socketPath: String

    /// The notifier systemd asked for, or nil when the daemon does not run under
    /// `Type=notify` (no `NOTIFY_SOCKET`).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        self.init(socketPath: path)
    }

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// How often systemd expects `WATCHDOG=1`: half of `WATCHDOG_USEC`, as `sd_watchdog_enabled`
    /// advises; nil when the watchdog is off or meant for another process (`WATCHDOG_PID`).
    public static func watchdogInterval(
        environment: [String: String] = ProcessInfo.processInfo.environment, processID: Int32 = getpid()
    ) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
            microseconds <= 86_400_000_000
        else { return nil }
        if let pid = environment["WATCHDOG_PID"], Int32(pid) != processID { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    /// Sends `state` (`READY=1`, `STATUS=…`, lines separated by newlines). Never waits: when the
    /// socket's queue is full (its reader stopped reading) it fails at once, so a watchdog ping
    /// cannot hold a thread of the daemon, nor its shutdown, for ever.
    public func notify(_ state: String) throws(SystemdNotifyError) {
        var (address, length) = try Self.socketAddress(socketPath)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw SystemdNotifyError(socketPath: socketPath, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { buffer in
                    sendto(
                        descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT),
                        address, length)
                }
            }
        }
        guard sent == bytes.count else {
            throw SystemdNotifyError(socketPath: socketPath, reason: String(cString: strerror(errno)))
        }
    }

    /// The Unix socket address of `name`, a path or `@name` in the abstract namespace, and its
    /// length (an abstract name is exactly its bytes; a path is NUL-terminated).
    public static func socketAddress(_ name: String) throws(SystemdNotifyError) -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(name.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity, path.count > 0, abstract || path[0] == UInt8(ascii: "/") else {
            throw SystemdNotifyError(socketPath: name, reason: "not an absolute path or @name that fits sun_path")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.enumerated() { bytes[index] = byte }
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count + (abstract ? 0 : 1)
        return (address, socklen_t(length))
    }
}

/// A notification systemd could not be sent.
public struct SystemdNotifyError: Error, CustomStringConvertible, Sendable {
    public let socketPath: String
    public let reason: String

    public var description: String {
        "cannot notify systemd at NOTIFY_SOCKET=\(socketPath): \(reason) (is the unit Type=notify, and the socket reachable from the daemon's namespace?)"
    }
}
