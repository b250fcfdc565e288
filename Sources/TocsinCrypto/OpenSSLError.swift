import COpenSSL

/// A failure reported by OpenSSL, with the reasons it left on its error queue.
///
/// OpenSSL reports errors through a thread-local queue; every wrapper in this module drains
/// that queue into one of these values right where a call fails, so no stale reason ever
/// leaks into an unrelated error later.
public struct OpenSSLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What Tocsin was trying to do, in words an operator understands.
    public var operation: String
    /// OpenSSL's own reason strings, oldest first (may be empty).
    public var reasons: [String]

    public init(operation: String, reasons: [String]) {
        self.operation = operation
        self.reasons = reasons
    }

    /// Captures and clears the current thread's OpenSSL error queue.
    public static func drain(operation: String) -> OpenSSLError {
        OpenSSLError(operation: operation, reasons: drainQueue())
    }

    /// Removes every pending error from the queue and returns their texts.
    static func drainQueue() -> [String] {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons
    }

    public var description: String {
        if reasons.isEmpty { return "\(operation) failed (OpenSSL gave no reason)" }
        return "\(operation) failed: \(reasons.joined(separator: "; "))"
    }
}
