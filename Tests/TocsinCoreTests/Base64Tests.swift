import Foundation
import Testing

@testable import TocsinCore

@Suite struct Base64Tests {
    @Test func everyByteStringRoundTripsThroughFoundationsEncoding() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.decode(Array(Data(bytes).base64EncodedString().utf8)) == bytes)
        }
    }

    /// Strings over the alphabet, `=`, a space and `-`: what the decoder accepts, Foundation's
    /// decodes to the same bytes; what only Foundation's accepts has `=` elsewhere than as
    /// one or two final characters (Foundation reads `5q=q` as two bytes).
    @Test func randomTextIsDecodedAsFoundationDecodesIt() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=== -".utf8)
        var generator = SystemRandomNumberGenerator()
        var decoded = 0
        for _ in 0..<20_000 {
            let length = 4 * Int.random(in: 0...4, using: &generator)
            var text = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            // Often well padded, so that both outcomes are exercised.
            if length > 0, Bool.random(using: &generator) {
                for offset in 0..<(length - Int.random(in: 0...2, using: &generator))
                where text[offset] == UInt8(ascii: "=") {
                    text[offset] = UInt8(ascii: "A")
                }
            }
            let expected = Data(base64Encoded: String(decoding: text, as: UTF8.self)).map { Array($0) }
            let found = Base64.decode(text)
            if let found {
                #expect(found == expected, "\(String(decoding: text, as: UTF8.self))")
                decoded += 1
            } else if expected != nil {
                let padding = text.reversed().prefix { $0 == UInt8(ascii: "=") }.count
                let misplaced = padding > 2 || text.dropLast(padding).contains(UInt8(ascii: "="))
                #expect(misplaced, "\(String(decoding: text, as: UTF8.self))")
            }
        }
        #expect(decoded > 1_000)
    }

    @Test(arguments: ["QQ=", "QQ===", "Q===", "====", "QQ==QQ==", "Q=Q=", "QU I=", "QUI=\n"])
    func malformedTextIsRefused(text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }

    @Test func unusedBitsOfTheLastCharacterAreIgnoredUnlessTheTextMustBeCanonical() {
        #expect(Base64.decode(Array("QR==".utf8)) == [65])
        #expect(Base64.decode(Array("QUJ=".utf8)) == [65, 66])
        #expect(Base64.decode(Array("QR==".utf8), canonical: true) == nil)
        #expect(Base64.decode(Array("QUJ=".utf8), canonical: true) == nil)
        #expect(Base64.decode(Array("QQ==".utf8), canonical: true) == [65])
        #expect(Base64.decode(Array("QUI=".utf8), canonical: true) == [65, 66])
        // What Foundation writes is canonical, whatever the length.
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Array(Data(bytes).base64EncodedString().utf8), canonical: true) == bytes)
        }
    }
}
