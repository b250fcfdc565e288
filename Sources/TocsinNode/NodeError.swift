import TocsinCore

/// Why the node could not start or act.
public enum NodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case keyNotInCharter(nodeID: String)
    case notAMember(nodeID: String, group: String, reason: String)
    case cannotListen(address: String, reason: String)
    case ownFeedUnconfirmed(group: String, SyncNode.AppendReadiness)
    case stopped
    /// The store cannot write (a full disk, most often): nothing is appended until it can.
    case storeCannotWrite(StoreFailure)

    public var description: String {
        switch self {
        case .keyNotInCharter(let nodeID):
            return
                "the node key is not the key the charter pins for \(nodeID); check `node-id` and `key` in the configuration"
        case .notAMember(_, _, let reason):
            return reason
        case .cannotListen(let address, let reason):
            return "cannot listen on \(address): \(reason) (is another process using the port?)"
        case .ownFeedUnconfirmed(let group, let readiness):
            switch readiness {
            case .catchingUp(let held, let known):
                return
                    "this node holds \(held) entries of its own feed in \(group), a peer holds \(known): it is catching up before it appends (retry shortly)"
            default:
                return
                    "no peer sharing \(group) has told this node its own latest checkpoint yet; it appends nothing until then, so that a restored node never forks its own feed (retry once connected, or set trust-local-log = true if no other copy of this node's log exists)"
            }
        case .stopped:
            return "the node is stopping; nothing more is appended"
        case .storeCannotWrite(let failure):
            return
                "the store cannot write (\(failure.reason)): nothing is appended until it can; free space in the data directory, and the node resumes by itself within seconds"
        }
    }
}
