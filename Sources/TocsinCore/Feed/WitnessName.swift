/// The key name a node uses for its witness cosignatures: `tocsin/<network-id-hex-16>/<node>`.
public enum WitnessName {
    public static func of(node: String, network: NetworkID) -> String {
        "tocsin/\(network.shortHex)/\(node)"
    }

    /// The node id in a witness name of this network, or nil.
    public static func node(in name: String, network: NetworkID) -> String? {
        let prefix = "tocsin/\(network.shortHex)/"
        guard name.hasPrefix(prefix) else { return nil }
        let node = String(name.dropFirst(prefix.count))
        return Identifier.isValid(node) ? node : nil
    }
}
