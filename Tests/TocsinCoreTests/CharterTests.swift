import Foundation
import Testing
import TocsinCore
import TocsinCrypto

@Suite struct CharterTests {
    static let authority = try! Ed25519PrivateKey(seed: [UInt8](repeating: 21, count: 32))
    static let keys = (0..<4).map { try! Ed25519PrivateKey(seed: [UInt8](repeating: UInt8(30 + $0), count: 32)) }

    static var validTOML: String {
        """
        network = "Fictional Early Warning Network"
        version = 1

        [[nodes]]
        id = "RN"
        name = "Northern Regional Organisation relay"
        role = "relay"
        public-key = "\(keys[0].publicKey.spkiBase64)"

        [[nodes]]
        id = "XA"
        name = "Focal point of XA"
        role = "national"
        public-key = "\(keys[1].publicKey.spkiBase64)"

        [[nodes]]
        id = "XB"
        name = "Focal point of XB"
        role = "national"
        public-key = "\(keys[2].publicKey.spkiBase64)"

        [[nodes]]
        id = "OBS1"
        name = "Observer office"
        role = "observer"
        public-key = "\(keys[3].publicKey.spkiBase64)"

        [[groups]]
        id = "nro"
        name = "Northern Regional Organisation"
        members = ["RN", "XA", "XB"]
        convener = "RN"
        policy = "two-thirds"

        [[groups]]
        id = "all"
        name = "Whole network"
        members = ["RN", "XA", "XB", "OBS1"]
        convener = "RN"
        policy = "consensus"
        quorum = 50

        """
    }

    @Test func aValidCharterParsesWithItsGroupsAndRights() throws {
        let charter = try Charter(toml: Array(Self.validTOML.utf8))
        #expect(charter.network == "Fictional Early Warning Network")
        #expect(charter.version == 1)
        #expect(charter.nodes.map(\.id) == ["RN", "XA", "XB", "OBS1"])
        #expect(charter.node("OBS1")?.role == .observer)
        #expect(charter.group("nro")?.policy == .twoThirds)
        #expect(charter.group("all")?.quorumPercent == 50)
        #expect(charter.groups(of: "XA").map(\.id) == ["nro", "all"])
        let permissions = Permissions(charter: charter)
        #expect(permissions.permits("XA", .see(group: "nro")))
        #expect(!permissions.permits("OBS1", .see(group: "nro")))
        #expect(!permissions.permits("XA", .see(group: "nowhere")))
    }

    /// Found by fuzzing, each aborted the TOML library Tocsin used before (toml++): they are
    /// syntax errors, at the line of the fault.
    @Test(arguments: [
        ("[)", 1), ("[[=]]", 1), ("[ #]", 1), ("[é]", 1), ("\u{FEFF}[#", 1), ("network = \"x\"\n  [.]", 2),
        ("name = [}", 1), ("name =[}[[[[fff", 1), ("a = [1,,2]", 1), ("a = [1, }", 1), ("a = [ # note\n }", 2),
        ("a = [\n,]", 2), ("t = { a = 1, , b = 2 }", 1), ("-=1l-------- 8 0\n", 1), ("d = 1979-05-27 7", 1),
        ("y =0000-08-09t=10:52 =:n04\nbt=10:52:04\n", 1), ("d = 1979-05-27", 1), ("x = 1.5", 1),
    ])
    func textThatAbortedTheFormerTOMLLibraryIsASyntaxError(text: String, line: Int) {
        #expect {
            try Charter(toml: Array(text.utf8))
        } throws: { error in
            guard case .syntax(let found, let column, let reason) = error as? CharterError else { return false }
            return found == line && column >= 1 && !reason.isEmpty
        }
    }

    @Test func errorsNameTheLineOfTheNodeOrGroupConcerned() throws {
        let duplicated = Self.validTOML.replacingOccurrences(of: "id = \"XB\"", with: "id = \"XA\"")
        let line = try #require(
            duplicated.split(separator: "\n", omittingEmptySubsequences: false).enumerated().filter {
                $0.element == "id = \"XA\""
            }.last?.offset)
        #expect(throws: CharterError.duplicateID(kind: "node", id: "XA", line: line + 1)) {
            try Charter(toml: Array(duplicated.utf8))
        }
        let badRole = Self.validTOML.replacingOccurrences(of: "role = \"observer\"", with: "role = \"spectator\"")
        #expect {
            try Charter(toml: Array(badRole.utf8))
        } throws: { error in
            "\(error)".contains("node OBS1 (line ")
        }
    }

    @Test func renderingParsesBackToTheSameCharter() throws {
        let charter = try Charter(toml: Array(Self.validTOML.utf8))
        #expect(try Charter(toml: Array(charter.renderTOML().utf8)) == charter)
    }

    @Test func theAuthoritySignatureIsChecked() throws {
        let bytes = Array(Self.validTOML.utf8)
        let signature = Self.authority.signature(for: bytes)
        let signed = try SignedCharter(toml: bytes, signatureFile: signature, authority: Self.authority.publicKey)
        #expect(signed.networkID == NetworkID(genesisCharter: bytes))
        // The base64 form of the same signature is accepted too.
        let base64 = Array((Data(signature).base64EncodedString() + "\n").utf8)
        #expect(try SignedCharter(toml: bytes, signatureFile: base64, authority: Self.authority.publicKey) == signed)

        var altered = bytes
        altered[altered.count - 2] = UInt8(ascii: "1")
        #expect(throws: CharterError.badSignature) {
            try SignedCharter(toml: altered, signatureFile: signature, authority: Self.authority.publicKey)
        }
        #expect(throws: CharterError.badSignature) {
            try SignedCharter(toml: bytes, signatureFile: signature, authority: Self.keys[0].publicKey)
        }
        #expect(throws: CharterError.self) {
            try SignedCharter(
                toml: bytes, signatureFile: Array(signature.prefix(63)), authority: Self.authority.publicKey)
        }
        #expect(throws: CharterError.self) {
            try SignedCharter(
                toml: bytes, signatureFile: Array("not a signature".utf8), authority: Self.authority.publicKey)
        }
    }

    /// Replaces the first occurrence of `target` in the valid charter.
    static func variant(_ target: String, _ replacement: String) -> [UInt8] {
        let text = validTOML
        let range = text.range(of: target)!
        return Array(text.replacingCharacters(in: range, with: replacement).utf8)
    }

    @Test func syntaxErrorsNameTheLine() {
        #expect {
            try Charter(toml: Self.variant("version = 1", "version = = 1"))
        } throws: { error in
            guard case .syntax(let line, _, _) = error as? CharterError else { return false }
            return line == 2
        }
    }

    @Test func aDuplicateNodeIsNamedWithItsLine() {
        let bytes = Self.variant("id = \"XB\"", "id = \"XA\"")
        #expect(throws: CharterError.duplicateID(kind: "node", id: "XA", line: 17)) { try Charter(toml: bytes) }
    }

    @Test(arguments: [
        ("members = [\"RN\", \"XA\", \"XB\"]", "members = [\"RN\", \"XA\", \"XQ\"]", "unknown member"),
        ("convener = \"RN\"", "convener = \"OBS1\"", "convener not a member"),
        ("role = \"relay\"", "role = \"king\"", "unknown role"),
        ("policy = \"two-thirds\"", "policy = \"unanimity\"", "unknown policy"),
        ("quorum = 50", "quorum = 150", "quorum out of range"),
        ("version = 1", "version = 0", "version zero"),
        ("version = 1", "version = \"one\"", "version not an integer"),
        ("network = \"Fictional Early Warning Network\"", "", "missing network"),
        ("id = \"RN\"", "id = \"R N\"", "invalid id"),
        ("name = \"Focal point of XA\"", "name = \"  \"", "empty name"),
        ("role = \"relay\"", "role = \"relay\"\npubkey = \"x\"", "unknown key"),
        ("public-key = \"", "public-key = \"AAAA", "key not SPKI"),
        ("members = [\"RN\", \"XA\", \"XB\"]", "members = []", "no members"),
        ("members = [\"RN\", \"XA\", \"XB\"]", "members = [\"RN\", \"XA\", \"XA\"]", "member twice"),
        ("members = [\"RN\", \"XA\", \"XB\"]", "members = \"RN\"", "members not an array"),
    ])
    func invalidChartersAreRefusedWithTheirReason(target: String, replacement: String, reason: String) {
        #expect(throws: CharterError.self, "\(reason)") { try Charter(toml: Self.variant(target, replacement)) }
    }

    @Test func aKeySharedByTwoNodesIsRefused() {
        let text = Self.validTOML.replacingOccurrences(
            of: Self.keys[2].publicKey.spkiBase64, with: Self.keys[1].publicKey.spkiBase64)
        #expect { try Charter(toml: Array(text.utf8)) } throws: { error in
            (error as? CharterError)?.description.contains("node XB") == true
        }
    }

    @Test func garbageTruncationAndOversizeAreRefused() {
        #expect(throws: CharterError.notUTF8) { try Charter(toml: [0xff, 0xfe, 0x00]) }
        #expect(throws: CharterError.self) { try Charter(toml: Array(Self.validTOML.utf8.prefix(200))) }
        #expect(throws: CharterError.self) { try Charter(toml: []) }
        let huge = [UInt8](repeating: UInt8(ascii: "#"), count: Charter.maximumByteCount + 1)
        #expect(throws: CharterError.tooLarge(byteCount: huge.count, limit: Charter.maximumByteCount)) {
            try Charter(toml: huge)
        }
    }
}

@Suite struct EntryDecoderTests {
    @Test func sampleEntriesDecode() throws {
        var entry = Tocsin_V1_Entry()
        entry.kind = .vote
        entry.vote.position = .endorse
        let decoded = try EntryDecoder.decode(try entry.serializedBytes() as [UInt8])
        #expect(decoded.vote.position == .endorse)
        #expect(EntrySummary(decoded).kind == "vote")
        #expect(EntrySummary(decoded).text.hasPrefix("endorse"))
    }

    @Test func malformedEntriesAreRefused() throws {
        var mismatched = Tocsin_V1_Entry()
        mismatched.kind = .bulletin
        mismatched.vote.position = .object
        var noKind = Tocsin_V1_Entry()
        noKind.bulletin.headline = "x"
        var noPayload = Tocsin_V1_Entry()
        noPayload.kind = .proposal
        var negative = Tocsin_V1_Entry()
        negative.kind = .vote
        negative.vote.position = .abstain
        negative.authorTimeMs = -1
        let cases: [([UInt8], String)] = [
            (try mismatched.serializedBytes(), "kind mismatch"),
            (try noKind.serializedBytes(), "no kind"),
            (try noPayload.serializedBytes(), "no payload"),
            (try negative.serializedBytes(), "negative time"),
            ([0xff, 0xff, 0xff], "garbage"),
            (Array((try mismatched.serializedBytes() as [UInt8]).dropLast()), "truncated"),
            ([UInt8](repeating: 0, count: EntryDecoder.maximumByteCount + 1), "oversized"),
        ]
        for (bytes, reason) in cases {
            #expect(throws: EntryError.self, "\(reason)") { try EntryDecoder.decode(bytes) }
        }
    }

    @Test func kindsOfLaterVersionsAreKeptUninterpreted() throws {
        // Kind 42 with a payload field this version does not know (field 99).
        let bytes: [UInt8] = [0x08, 42, 0x9a, 0x06, 0x01, 0x00]
        let entry = try EntryDecoder.decode(bytes)
        #expect(entry.kind.rawValue == 42)
        #expect(EntrySummary(bytes: bytes).kind == "unknown(42)")
    }
}

extension CharterTests {
    /// `referral-observers` names observers who are members of the referral group, where the
    /// referring group's convener is a member too; anything else is refused, saying why.
    @Test func referralsGoToObserversInAGroupTheyAndTheConvenerShare() throws {
        let policy = "policy = \"two-thirds\""
        let referring = try Charter(
            toml: Self.variant(policy, policy + "\nreferral-observers = [\"OBS1\"]\nreferral-group = \"all\""))
        #expect(referring.group("nro")?.referralObservers == ["OBS1"])
        #expect(referring.group("nro")?.referralGroup == "all")
        #expect(referring.group("all")?.referralObservers == [])
        #expect(try Charter(toml: Array(referring.renderTOML().utf8)) == referring)
        let diff = CharterDiff(from: try Charter(toml: Array(Self.validTOML.utf8)), to: referring)
        #expect("\(diff)".contains("none → OBS1 in all"), "\(diff)")
        for (replacement, reason) in [
            ("referral-observers = [\"OBS1\"]", "is not a member of the referral group nro"),
            ("referral-observers = [\"XA\"]\nreferral-group = \"all\"", "is not a node of role observer"),
            ("referral-observers = [\"OBS1\"]\nreferral-group = \"nowhere\"", "is not a group of this charter"),
            ("referral-group = \"all\"", "only with referral-observers"),
            ("referral-observers = []", "at least one"),
            ("referral-observers = [\"OBS1\", \"OBS1\"]\nreferral-group = \"all\"", "name each observer once"),
        ] {
            #expect {
                try Charter(toml: Self.variant(policy, policy + "\n" + replacement))
            } throws: { error in
                "\(error)".contains(reason)
            }
        }
    }
}
