import Foundation

/// Where a node keeps its data and listens for its operator, found from what an operator
/// points at: the node's folder (holding `node.toml`), its `node.toml`, or its data directory.
public struct NodeLocation: Sendable, Equatable {
    /// The data directory (holding `tocsin.sqlite`).
    public let dataDirectory: URL
    /// The admin API's socket.
    public let adminSocket: URL
    /// The configuration file, when the location was found through one.
    public let configuration: URL?

    public init(dataDirectory: URL, adminSocket: URL, configuration: URL?) {
        self.dataDirectory = dataDirectory
        self.adminSocket = adminSocket
        self.configuration = configuration
    }

    /// The data directory's own admin socket name.
    public static let adminSocketName = "admin.sock"
    public static let configurationName = "node.toml"

    /// Resolves `path`: a `node.toml` file, a folder holding one, or else a data directory
    /// (whatever is, or is not, there: opening it says what is wrong).
    public init(resolving path: String) throws(NodeLocationError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let configuration =
            isDirectory.boolValue ? url.appendingPathComponent(Self.configurationName) : url
        if exists && (!isDirectory.boolValue || FileManager.default.fileExists(atPath: configuration.path)) {
            let node: NodeConfiguration
            do {
                node = try NodeConfiguration(contentsOf: configuration)
            } catch {
                throw NodeLocationError.unreadableConfiguration(path: configuration.path, reason: error.description)
            }
            self.init(dataDirectory: node.dataDirectory, adminSocket: node.adminSocket, configuration: configuration)
            return
        }
        self.init(
            dataDirectory: url, adminSocket: url.appendingPathComponent(Self.adminSocketName), configuration: nil)
    }
}
