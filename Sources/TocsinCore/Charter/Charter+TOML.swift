import TocsinCrypto

extension Charter {
    /// The largest charter file read (a few hundred nodes need far less).
    public static let maximumByteCount = 1024 * 1024

    /// Parses and validates a charter's TOML text.
    public init(toml bytes: [UInt8]) throws(CharterError) {
        guard bytes.count <= Self.maximumByteCount else {
            throw CharterError.tooLarge(byteCount: bytes.count, limit: Self.maximumByteCount)
        }
        guard let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") else {
            throw CharterError.notUTF8
        }
        let table: TOMLTable
        do throws(TOMLError) {
            table = try TOMLTable(parsing: text)
        } catch {
            throw CharterError.syntax(line: error.line, column: error.column, reason: error.reason)
        }
        let top = TableReader(table: table, place: "charter")
        try top.onlyKeys(["network", "version", "nodes", "groups"])
        let network = try top.string("network")
        let version = try top.integer("version")
        guard version >= 1 else { throw CharterError.invalid(where: "charter", reason: "`version` must be 1 or more") }

        var nodes: [Node] = []
        var nodeIDs: Set<String> = []
        var keys: Set<Ed25519PublicKey> = []
        for (position, nodeTable) in try top.tables("nodes").enumerated() {
            let reader = TableReader(table: nodeTable, place: "node \(position + 1)")
            try reader.onlyKeys(["id", "name", "role", "public-key"])
            let id = try reader.string("id")
            let place = "node \(id)" + (nodeTable.line(of: "id").map { " (line \($0))" } ?? "")
            guard Identifier.isValid(id) else {
                throw CharterError.invalid(
                    where: place, reason: "ids are 1–64 of A–Z a–z 0–9 . _ - starting with a letter or digit")
            }
            guard nodeIDs.insert(id).inserted else {
                throw CharterError.duplicateID(kind: "node", id: id, line: nodeTable.line(of: "id"))
            }
            let roleText = try reader.string("role", place: place)
            guard let role = Role(rawValue: roleText) else {
                throw CharterError.invalid(
                    where: place,
                    reason:
                        "role \(roleText.debugDescription) is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let keyText = try reader.string("public-key", place: place)
            let publicKey: Ed25519PublicKey
            do {
                publicKey = try Ed25519PublicKey(spkiBase64: keyText)
            } catch {
                throw CharterError.invalid(where: place, reason: "public-key: \(error)")
            }
            guard keys.insert(publicKey).inserted else {
                throw CharterError.invalid(
                    where: place, reason: "public-key is already the key of another node; every node has its own key")
            }
            nodes.append(Node(id: id, name: try reader.string("name", place: place), role: role, publicKey: publicKey))
        }

        var groups: [Group] = []
        var groupIDs: Set<String> = []
        for (position, groupTable) in try top.tables("groups").enumerated() {
            let reader = TableReader(table: groupTable, place: "group \(position + 1)")
            try reader.onlyKeys(["id", "name", "members", "convener", "policy", "quorum", "deliberation-minutes"])
            let id = try reader.string("id")
            let place = "group \(id)" + (groupTable.line(of: "id").map { " (line \($0))" } ?? "")
            guard Identifier.isValid(id) else {
                throw CharterError.invalid(
                    where: place, reason: "ids are 1–64 of A–Z a–z 0–9 . _ - starting with a letter or digit")
            }
            guard groupIDs.insert(id).inserted else {
                throw CharterError.duplicateID(kind: "group", id: id, line: groupTable.line(of: "id"))
            }
            let members = try reader.strings("members", place: place)
            guard !members.isEmpty else { throw CharterError.invalid(where: place, reason: "a group needs members") }
            guard Set(members).count == members.count else {
                throw CharterError.invalid(where: place, reason: "a member is listed twice")
            }
            for member in members where !nodeIDs.contains(member) {
                throw CharterError.unknownMember(group: id, member: member)
            }
            let convener = try reader.string("convener", place: place)
            guard members.contains(convener) else {
                throw CharterError.convenerNotMember(group: id, convener: convener)
            }
            let policyText = try reader.string("policy", place: place)
            guard let policy = Policy(rawValue: policyText) else {
                throw CharterError.invalid(
                    where: place,
                    reason:
                        "policy \(policyText.debugDescription) is not one of \(Policy.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let quorum = try reader.optionalInteger("quorum", place: place)
            if let quorum, !(1...100).contains(quorum) {
                throw CharterError.invalid(where: place, reason: "quorum is a percentage from 1 to 100")
            }
            let deliberation =
                try reader.optionalInteger("deliberation-minutes", place: place) ?? Group.defaultDeliberationMinutes
            guard (0...527_040).contains(deliberation) else {
                throw CharterError.invalid(where: place, reason: "deliberation-minutes is from 0 to 527040 (366 days)")
            }
            groups.append(
                Group(
                    id: id, name: try reader.string("name", place: place), members: members, convener: convener,
                    policy: policy, quorumPercent: quorum, deliberationMinutes: deliberation))
        }
        self.init(network: network, version: version, nodes: nodes, groups: groups)
    }
}

/// Typed access to one TOML table, with errors that say where.
private struct TableReader {
    let table: TOMLTable
    let place: String

    func onlyKeys(_ allowed: Set<String>) throws(CharterError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw CharterError.unknownKey(where: place, key: key)
        }
    }

    func string(_ key: String, place: String? = nil) throws(CharterError) -> String {
        guard let value = table[key] else { throw CharterError.missingKey(where: place ?? self.place, key: key) }
        guard let string = value.string else {
            throw CharterError.wrongType(where: place ?? self.place, key: key, expected: "a string")
        }
        guard !string.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CharterError.invalid(where: place ?? self.place, reason: "`\(key)` is empty")
        }
        return string
    }

    func integer(_ key: String) throws(CharterError) -> UInt64 {
        guard let value = table[key] else { throw CharterError.missingKey(where: place, key: key) }
        guard let integer = value.int, integer >= 0 else {
            throw CharterError.wrongType(where: place, key: key, expected: "a non-negative integer")
        }
        return UInt64(integer)
    }

    func optionalInteger(_ key: String, place: String) throws(CharterError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let integer = value.int else {
            throw CharterError.wrongType(where: place, key: key, expected: "an integer")
        }
        return integer
    }

    func strings(_ key: String, place: String) throws(CharterError) -> [String] {
        guard let value = table[key] else { throw CharterError.missingKey(where: place, key: key) }
        guard let array = value.array else {
            throw CharterError.wrongType(where: place, key: key, expected: "an array of strings")
        }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else {
                throw CharterError.wrongType(where: place, key: key, expected: "an array of strings")
            }
            strings.append(string)
        }
        return strings
    }

    func tables(_ key: String) throws(CharterError) -> [TOMLTable] {
        guard let value = table[key] else { throw CharterError.missingKey(where: place, key: "[[\(key)]]") }
        guard let array = value.array else {
            throw CharterError.wrongType(where: place, key: key, expected: "an array of tables ([[\(key)]])")
        }
        var tables: [TOMLTable] = []
        for element in array {
            guard let table = element.table else {
                throw CharterError.wrongType(where: place, key: key, expected: "an array of tables ([[\(key)]])")
            }
            tables.append(table)
        }
        return tables
    }
}
