import Foundation

/// A condition that did not come about in time.
public struct TimedOut: Error, Sendable, CustomStringConvertible {
    public let what: String
    public let seconds: TimeInterval
    public let lastError: String?

    public var description: String {
        "timed out after \(Int(seconds)) s waiting for \(what)\(lastError.map { " (last error: \($0))" } ?? "")"
    }
}
