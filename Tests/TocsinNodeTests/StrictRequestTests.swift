import Foundation
import Testing
import TocsinAdmin
import TocsinCore

/// A request body names only fields its model has, however the JSON is written.
@Suite struct StrictRequestTests {
    static func refusal(_ body: String) -> AdminRequestError? {
        do {
            _ = try AdminJSON.decodeRequest(BulletinChanges.self, from: Data(body.utf8), what: "changes")
            return nil
        } catch {
            return error
        }
    }

    /// A key `given` has (not null) and `understood` lacks, by Foundation's reading.
    static func unknownKey(_ given: Any, _ understood: Any) -> String? {
        if let object = given as? [String: Any] {
            let known = understood as? [String: Any] ?? [:]
            for (key, value) in object where !(value is NSNull) {
                guard let knownValue = known[key] else { return key }
                if let found = unknownKey(value, knownValue) { return key + "." + found }
            }
        } else if let array = given as? [Any], let known = understood as? [Any] {
            for (index, value) in array.enumerated() where index < known.count {
                if let found = unknownKey(value, known[index]) { return "\(index)." + found }
            }
        }
        return nil
    }

    @Test func aKnownFieldIsTakenHoweverTheJSONIsSpaced() {
        #expect(Self.refusal(#"{"severity": "minor"}"#) == nil)
        #expect(Self.refusal(" {\n\t\"severity\" :\"minor\" , \"areas\":[ {\"description\":\"North\"} ] }\r\n") == nil)
        #expect(Self.refusal("\u{FEFF}{\"severity\": \"minor\"}") == nil, "a byte order mark")
        #expect(Self.refusal(#"{"severity": "minor", "description": "quote \" and \\ and \u00e9"}"#) == nil)
    }

    @Test func anUnknownFieldIsRefusedHoweverItIsWritten() {
        for body in [
            #"{"severety": "minor"}"#,
            #"{"sev\u0065rety": "minor"}"#,
            #"{"severity": "minor", "severety": "minor",}"#,
            #"{"areas": [{"description": "North", "descripton": "x"},]}"#,
            "\u{FEFF}{\"severety\": \"minor\"}",
            #"{"severety": "x", "severety": null, "severity": "minor"}"#,
            #"{"severity": "minor", "note": {"deep": [1, 2, {"x": true}]}}"#,
        ] {
            #expect(Self.refusal(body) != nil, "taken: \(body)")
        }
        #expect(Self.refusal(#"{"severity": "minor", "severety": 1}"#) == .unknownField("severety", what: "changes"))
        #expect(
            Self.refusal(#"{"areas": [{"description": "North", "descripton": "x"}]}"#)
                == .unknownField("areas.0.descripton", what: "changes"))
        #expect(Self.refusal(#"{"severity": "minor", "nothing": null}"#) == nil, "a null is no field")
    }

    @Test func noBodyTrapsTheCheck() {
        var generator = SystemRandomNumberGenerator()
        let good = Array(
            #"{"severity": "minor", "areas": [{"description": "North \u00e9", "circles": ["1,2 3"]}]}"#.utf8)
        let alphabet = Array(#"{}[]",:\ u0123456789.eE+-tfnal"#.utf8) + [0xFF, 0xC3, 0xA9, 0x00]
        for _ in 0..<3000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...5, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[at] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: at)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            // Taken or refused, never a trap; what is taken names known fields only, as
            // Foundation's own JSON reader sees the body.
            if let changes = try? AdminJSON.decodeRequest(BulletinChanges.self, from: Data(bytes), what: "changes"),
                let given = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
                let understood = try? JSONSerialization.jsonObject(with: AdminJSON.encode(changes))
            {
                #expect(Self.unknownKey(given, understood) == nil, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(Self.refusal(#"{"severity": "minor", "x": "# + deep + "}") != nil)
    }
}
