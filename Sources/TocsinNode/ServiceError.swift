import TocsinCore
import TocsinStore

/// Why the node refused or failed an operator's request, classified so that each layer above
/// can answer in its own terms (the admin API: an HTTP status).
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request cannot be read (not JSON, a malformed reference or query): HTTP 400.
        case malformed
        /// The charter does not permit it: HTTP 403.
        case refused
        /// Nothing of that name is held here: HTTP 404.
        case notFound
        /// It contradicts what the log holds (a cancelled bulletin, a frozen feed): HTTP 409.
        case conflict
        /// A field's value is not allowed: HTTP 422, naming the field.
        case invalid(field: String)
        /// Not now: the node is catching up its own feed or stopping. HTTP 503, retry later.
        case notReady(retryAfterSeconds: Int)
        /// The store failed: HTTP 500.
        case storeFailure
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The field an invalid request names.
    public var field: String? {
        if case .invalid(let field) = kind { return field }
        return nil
    }

    /// Classifies an error from the layers below.
    public init(_ error: any Error) {
        switch error {
        case let error as ServiceError:
            self = error
        case BulletinError.invalid(let field, _):
            self.init(.invalid(field: field), "\(error)")
        case ConsultationError.invalid(let field, _):
            self.init(.invalid(field: field), "\(error)")
        case ConsultationError.refused(let reason):
            self.init(.refused, reason)
        case let error as FeedOriginError:
            self.init(.malformed, error.description)
        case NodeError.notAMember(_, _, let reason):
            self.init(.refused, reason)
        case let error as NodeError:
            switch error {
            case .ownFeedUnconfirmed: self.init(.notReady(retryAfterSeconds: 5), error.description)
            case .stopped: self.init(.notReady(retryAfterSeconds: 10), error.description)
            case .storeCannotWrite: self.init(.notReady(retryAfterSeconds: 5), error.description)
            default: self.init(.storeFailure, error.description)
            }
        case StoreError.frozen:
            self.init(.conflict, "\(error): this node's own feed is frozen by a fork proof")
        case let error as StoreError:
            self.init(.storeFailure, error.description)
        default:
            self.init(.storeFailure, String(describing: error))
        }
    }

}
