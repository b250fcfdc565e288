/// Why the store refused or failed an operation.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case notADataDirectory(path: String)
    case alreadyInitialised(path: String)
    case insecurePermissions(path: String, mode: String)
    case schemaTooNew(found: Int, supported: Int)
    case database(String)
    case unknownFeed(String)
    case notContiguous(origin: String, held: UInt64, batchStartsAt: UInt64)
    case frozen(origin: String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .notADataDirectory(let path):
            return "\(path) is not a Tocsin data directory (no tocsin.sqlite); check --data-dir"
        case .alreadyInitialised(let path):
            return "\(path) already holds a Tocsin database; refusing to overwrite it"
        case .insecurePermissions(let path, let mode):
            return "\(path) has mode \(mode); make it private to the daemon's user (chmod 700)"
        case .schemaTooNew(let found, let supported):
            return "the database has schema version \(found), this build knows up to \(supported): upgrade Tocsin"
        case .database(let reason):
            return "database error: \(reason)"
        case .unknownFeed(let origin):
            return "no feed \(origin) in this data directory"
        case .notContiguous(let origin, let held, let start):
            return "\(origin) holds \(held) entries; a batch starting at \(start) would leave a gap or overlap"
        case .frozen(let origin):
            return "\(origin) is frozen by a fork proof; nothing more is stored for it"
        case .corrupt(let reason):
            return "the database is inconsistent: \(reason); run `tocsin verify`"
        }
    }
}
