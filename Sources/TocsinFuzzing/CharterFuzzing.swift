import TocsinCore

/// The charter's TOML, as a file an operator or a peer's amendment would give.
enum CharterFuzzing {
    static func run(_ bytes: [UInt8]) {
        guard let charter = try? Charter(toml: bytes) else { return }
        let permissions = Permissions(charter: charter)
        for group in charter.groups {
            _ = permissions.votingMembers(of: group.id)
            for node in charter.nodes {
                _ = permissions.permits(node.id, .see(group: group.id))
                _ = permissions.permits(node.id, .decide(group: group.id))
            }
        }
        // What a node writes back must read again.
        _ = try? Charter(toml: Array(charter.renderTOML().utf8))
    }
}
