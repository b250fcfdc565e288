import Foundation
import TocsinNode

#if canImport(Glibc)
    import Glibc
#endif

/// A Unix datagram socket that stands in for systemd's `NOTIFY_SOCKET` in tests: bound to a
/// path or an `@name` in the abstract namespace, it receives what `sd_notify` sends.
public final class DatagramReceiver: @unchecked Sendable {
    private let descriptor: Int32

    public init(name: String) throws {
        var (address, length) = try SystemdNotifier.socketAddress(name)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            Glibc.close(descriptor)
            throw POSIXError(code)
        }
    }

    /// The next datagram, or nil after `timeout` seconds.
    public func receive(timeout: Int) -> String? {
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    public func close() { _ = Glibc.close(descriptor) }
}
