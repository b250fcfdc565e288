import Foundation

/// Why a node could not be found where the operator pointed.
public enum NodeLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableConfiguration(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableConfiguration(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
