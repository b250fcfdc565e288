import TocsinCore

/// Why an admin request did not succeed.
public enum AdminClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No node answers at the socket.
    case unreachable(socket: String, reason: String)
    /// The node refused or failed the request (HTTP status and its explanation).
    case refused(status: Int, AdminFailure)
    /// The request could not be written (a malformed reference, say).
    case malformedRequest(String)
    /// The node's answer could not be read.
    case malformedAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let socket, let reason):
            return
                "cannot reach the node at \(socket): \(reason) (is tocsind running? check --node, --data-dir or --socket)"
        case .refused(_, let failure):
            return Printable.escaped(failure.error)
        case .malformedRequest(let reason):
            return reason
        case .malformedAnswer(let reason):
            return "the node's answer could not be read: \(reason)"
        }
    }

    /// The HTTP status of a refusal.
    public var status: Int? {
        if case .refused(let status, _) = self { return status }
        return nil
    }

    /// The field a refusal names.
    public var field: String? {
        if case .refused(_, let failure) = self { return failure.field }
        return nil
    }
}
