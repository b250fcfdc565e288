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
            [#""XA""#, #""minor""#, #""a \"b\" \u00e9 \n""#, #""""#, #""\ud83d\ude00""#, #""RF7:7.1""#]
                .randomElement(using: &generator)!
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
            var fields = ["\"headline\": \(string())", "\"severity\": \(string())", "\"country\": \(string())"]
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
        #expect(decided > 600)
    }
}
