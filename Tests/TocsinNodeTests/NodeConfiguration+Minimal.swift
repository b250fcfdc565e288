import TocsinNode

extension NodeConfiguration {
    /// The keys every `node.toml` needs, for tests that add the keys they are about.
    static let minimalTOML = """
        node-id = "XA"
        data-dir = "data"
        key = "k"
        certificate = "c"
        ca = "a"
        charter = "t"
        charter-signature = "s"
        listen = "127.0.0.1:7400"

        """
}
