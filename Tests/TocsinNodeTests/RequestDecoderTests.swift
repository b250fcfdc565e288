import Foundation
import Testing
import TocsinCore

@testable import TocsinAdmin

/// The admin API's fast reader of requests gives what Foundation's decoder gives, or leaves
/// the body to it.
@Suite struct RequestDecoderTests {
    static func slow<Body: Codable>(_ type: Body.Type, _ bytes: [UInt8]) -> Result<Body, AdminRequestError> {
        Result { () throws(AdminRequestError) in
            try AdminJSON.decodeRequestByFoundation(type, from: Data(bytes), what: "it")
        }
    }

    @Test func aPlainBulletinIsReadInOnePassAsFoundationReadsIt() throws {
        let body = #"""
            {"group": "XR-PEACE", "headline": "Hate speech on radio \u00e9", "severity": "severe",
             "country": "XA", "risk_factors": ["RF7:7.1"], "areas": [{"description": "North", "circles": ["1.5,2 3"]}],
             "recommended_actions": ["monitor"], "sources": [{"name": "Monitor", "uri": "https://example.org/x"}],
             "description": "line\nbreak \"quoted\" \\ slash \/ tab\t", "expires": null}
            """#
        guard case .decoded(let fast) = RequestDecoder.decode(BulletinRequest.self, from: Array(body.utf8)) else {
            Issue.record("the plain bulletin was left to Foundation")
            return
        }
        #expect(try Self.slow(BulletinRequest.self, Array(body.utf8)).get() == fast)
        #expect(fast.draft.riskFactors == ["RF7:7.1"])
        #expect(fast.draft.description == "line\nbreak \"quoted\" \\ slash / tab\t")
    }

    @Test func anUnknownFieldIsNamedAsFoundationsCheckNamesIt() {
        for (body, field) in [
            (#"{"headline": "h", "severity": "minor", "country": "XA", "severety": 1}"#, "severety"),
            (
                #"{"headline": "h", "severity": "minor", "country": "XA", "areas": [{"description": "N", "descripton": "x"}]}"#,
                "areas.0.descripton"
            ),
        ] {
            guard case .unknownField(let fast) = RequestDecoder.decode(BulletinRequest.self, from: Array(body.utf8))
            else {
                Issue.record("not refused in one pass: \(body)")
                continue
            }
            #expect(fast == field)
            #expect(throws: AdminRequestError.unknownField(field, what: "it")) {
                try Self.slow(BulletinRequest.self, Array(body.utf8)).get()
            }
        }
    }

    @Test func whatIsNotPlainIsLeftToFoundation() {
        for body in [
            #"{"headline": "h", "severity": "minor", "country": "XA",}"#,  // a trailing comma
            #"{"headline": "h", "headline": "g", "severity": "minor", "country": "XA"}"#,  // a key twice
            #"{"headline": "h", "severity": 1, "country": "XA"}"#,  // a type Foundation words the error for
            #"{"héadline": "h", "severity": "minor", "country": "XA"}"#,  // a key not of ASCII
            #"{"headline": "\ud800", "severity": "minor", "country": "XA"}"#,  // a lone surrogate
            "{\"headline\": \"h\u{1}\", \"severity\": \"minor\", \"country\": \"XA\"}",  // a control character
            #"{"headline": "h", "severity": "minor"}"#,  // a field missing
            #"{"group": 01, "headline": "h", "severity": "minor", "country": "XA"}"#,  // a leading zero
            // Escapes Foundation refuses: a signed or short \u, surrogates apart or alone.
            #"{"headline": "\u+041", "severity": "minor", "country": "XA"}"#,
            #"{"headline": "\u-041", "severity": "minor", "country": "XA"}"#,
            #"{"headline": "\u41", "severity": "minor", "country": "XA"}"#,
            #"{"headline": "\ud83d\n\ude00", "severity": "minor", "country": "XA"}"#,
            #"{"headline": "\ud83dA\ude00", "severity": "minor", "country": "XA"}"#,
            #"{"headline": "\ude00", "severity": "minor", "country": "XA"}"#,
            #"{"headline": "\x41", "severity": "minor", "country": "XA"}"#,
        ] {
            #expect(RequestDecoder.decode(BulletinRequest.self, from: Array(body.utf8)) == nil, "\(body)")
        }
    }

    @Test func snakeCaseKeysAreConvertedAsFoundationConvertsThem() {
        for (key, converted) in [
            ("risk_factors", "riskFactors"), ("headline", "headline"), ("a_b2c", "aB2c"), ("x", "x"),
        ] {
            #expect(JSONTreeObject.convertFromSnakeCase(key) == converted, "\(key)")
        }
        // Keys the API never writes are Foundation's to read.
        for key in [
            "riskFactors", "_risk_factors", "risk_factors_", "Risk_Factors", "risk__factors", "risk_2factors", "", "2x",
        ] {
            #expect(JSONTreeObject.convertFromSnakeCase(key) == nil, "\(key)")
        }
        #expect(JSONTreeObject.convertFromSnakeCase("risk-factors") == nil)
    }

    /// Random bodies of known, misspelt and oddly cased fields, odd values and odd JSON: where
    /// the fast reader decides, Foundation's decoder decides the same.
    @Test func onRandomBodiesTheFastReaderAgreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        let keys = [
            "headline", "severity", "country", "description", "urgency", "certainty", "status", "language",
            "areas", "risk_factors", "riskFactors", "Risk_Factors", "sources", "recommended_actions", "expires",
            "group", "severety", "_headline", "headline_", "recommended__actions", "message_type", "references",
        ]
        func string() -> String {
            [
                #""XA""#, #""minor""#, #""a \"b\" \u00e9 \n""#, #""""#, #""\ud83d\ude00""#, #""RF7:7.1""#,
                #""\u+041""#, #""\ud83dA\ude00""#, #""\uDe00""#, #""\u00E9\u00e9""#,
            ].randomElement(using: &generator)!
        }
        func value(_ depth: Int) -> String {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: return "null"
            case 1: return ["1", "-0", "1.5", "1e2", "true"].randomElement(using: &generator)!
            case 2 where depth < 2:
                return "["
                    + (0..<Int.random(in: 0...2, using: &generator)).map { _ in value(depth + 1) }
                    .joined(separator: ",") + "]"
            case 3 where depth < 2:
                let area = ["description", "circles", "polygons", "geocodes", "descripton", "name", "uri", "value"]
                return "{"
                    + (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                        "\"\(area.randomElement(using: &generator)!)\": \(value(depth + 1))"
                    }.joined(separator: ", ") + "}"
            default: return string()
            }
        }
        var decided = 0
        for _ in 0..<3000 {
            func plain() -> String { [#""XA""#, #""minor""#, #""a \u00e9""#].randomElement(using: &generator)! }
            var fields = ["\"headline\": \(string())", "\"severity\": \(plain())", "\"country\": \(plain())"]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                fields.append("\"\(keys.randomElement(using: &generator)!)\": \(value(0))")
            }
            fields.shuffle(using: &generator)
            var body = "{" + fields.joined(separator: Bool.random(using: &generator) ? "," : " ,\n ")
            if Int.random(in: 0..<20, using: &generator) == 0 { body += "," }
            body += "}"
            let bytes = Array(body.utf8)
            let slow = Self.slow(BulletinRequest.self, bytes)
            switch RequestDecoder.decode(BulletinRequest.self, from: bytes) {
            case .decoded(let fast):
                decided += 1
                #expect((try? slow.get()) == fast, "\(body)")
            case .unknownField(let field):
                decided += 1
                #expect(throws: AdminRequestError.unknownField(field, what: "it"), "\(body)") { try slow.get() }
            case nil:
                continue
            }
        }
        // The comparison means something only if the fast reader decides most plain bodies.
        #expect(decided > 300)
    }

    /// The same for a proposal, whose `quorum_percent` is an integer: written as one, with a
    /// fraction, an exponent, a sign, out of range, or as text.
    @Test func onRandomProposalsTheFastReaderAgreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        let numbers = [
            "60", "-0", "0", "100", "60.0", "6e1", "-5", "9223372036854775807", "9223372036854775808",
            "-9223372036854775809", "1e400", "\"60\"", "null", "true",
        ]
        let optional = [
            "\"quorum_percent\": \(numbers.randomElement()!)", "\"policy\": \"majority\"",
            "\"priority\": \"high\"", "\"bulletins\": [\"nro/XA/0\"]", "\"other_action\": \"x\"",
            "\"quorum_percnt\": 60",
        ]
        var decided = 0
        for _ in 0..<2000 {
            var fields = [
                #""group": "nro""#, #""title": "Mission""#, #""action": "fact-finding""#,
                #""deadline": "2031-01-01T00:00:00Z""#,
            ]
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                fields.append(
                    Bool.random(using: &generator)
                        ? "\"quorum_percent\": \(numbers.randomElement(using: &generator)!)"
                        : optional.randomElement(using: &generator)!)
            }
            fields.shuffle(using: &generator)
            let bytes = Array(("{" + fields.joined(separator: ", ") + "}").utf8)
            let slow = Self.slow(ProposalRequest.self, bytes)
            switch RequestDecoder.decode(ProposalRequest.self, from: bytes) {
            case .decoded(let fast):
                decided += 1
                #expect((try? slow.get()) == fast, "\(String(decoding: bytes, as: UTF8.self))")
            case .unknownField(let field):
                decided += 1
                #expect(throws: AdminRequestError.unknownField(field, what: "it")) { try slow.get() }
            case nil:
                continue
            }
        }
        #expect(decided > 400)
    }
}
