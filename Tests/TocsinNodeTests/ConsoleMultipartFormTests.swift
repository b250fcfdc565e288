import Testing

@testable import TocsinNode

@Suite struct ConsoleMultipartFormTests {
    static func body(_ parts: [(headers: String, content: String)], boundary: String = "XyZ") -> [UInt8] {
        var text = "preamble ignored\r\n"
        for part in parts { text += "--\(boundary)\r\n\(part.headers)\r\n\r\n\(part.content)\r\n" }
        text += "--\(boundary)--\r\n"
        return Array(text.utf8)
    }

    @Test func aBrowsersFormWithAFileGivesItsFieldsAndTheFilesBytes() throws {
        let alert = "<?xml version=\"1.0\"?>\r\n<alert>\r\n--not the boundary\r\n</alert>"
        let body = Self.body([
            ("Content-Disposition: form-data; name=\"csrf\"", "token"),
            ("Content-Disposition: form-data; name=\"alert\"; filename=\"a.xml\"\r\nContent-Type: text/xml", alert),
            ("Content-Disposition: form-data; name=\"country\"", ""),
            ("Content-Disposition: form-data; name=\"csrf\"", "second value ignored"),
        ])
        let form = try #require(ConsoleMultipartForm(body: body, boundary: "XyZ"))
        #expect(form.fields == ["csrf": "token", "country": ""])
        #expect(form.files == ["alert": Array(alert.utf8)])
    }

    @Test func theBoundaryComesFromTheContentTypeQuotedOrNot() {
        #expect(ConsoleMultipartForm.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(
            ConsoleMultipartForm.boundary(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(ConsoleMultipartForm.boundary(contentType: "application/x-www-form-urlencoded") == nil)
        #expect(ConsoleMultipartForm.boundary(contentType: "multipart/form-data") == nil)
        #expect(
            ConsoleMultipartForm.boundary(
                contentType: "multipart/form-data; boundary=\(String(repeating: "a", count: 71))")
                == nil)
    }

    @Test func aBodyThatIsNotWellFormedIsRefused() {
        let good = Self.body([("Content-Disposition: form-data; name=\"a\"", "1")])
        #expect(ConsoleMultipartForm(body: good, boundary: "XyZ") != nil)
        #expect(ConsoleMultipartForm(body: good, boundary: "other") == nil, "no delimiter")
        #expect(ConsoleMultipartForm(body: Array(good.dropLast(9)), boundary: "XyZ") == nil, "not closed")
        let noName = Self.body([("Content-Disposition: form-data; filename=\"x\"", "1")])
        #expect(ConsoleMultipartForm(body: noName, boundary: "XyZ") == nil)
        let notFormData = Self.body([("Content-Disposition: attachment; name=\"a\"", "1")])
        #expect(ConsoleMultipartForm(body: notFormData, boundary: "XyZ") == nil)
        let invalidText =
            Array("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n".utf8) + [0xFF, 0xFE]
            + Array("\r\n--XyZ--".utf8)
        #expect(ConsoleMultipartForm(body: invalidText, boundary: "XyZ") == nil, "a text field that is not UTF-8")
        let many = Self.body(
            (0...ConsoleMultipartForm.maximumParts).map { ("Content-Disposition: form-data; name=\"f\($0)\"", "v") })
        #expect(ConsoleMultipartForm(body: many, boundary: "XyZ") == nil, "more parts than any console form has")
    }

    @Test func noBodyTrapsTheParser() {
        var generator = SystemRandomNumberGenerator()
        let good = Self.body([
            ("Content-Disposition: form-data; name=\"csrf\"", "token"),
            ("Content-Disposition: form-data; name=\"alert\"; filename=\"a.xml\"", "<alert/>"),
        ])
        var parsed = 0
        for _ in 0..<2000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                switch Int.random(in: 0..<3, using: &generator) {
                case 0:
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                case 1: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
                default:
                    bytes.insert(
                        contentsOf: Array("\r\n--XyZ".utf8), at: Int.random(in: 0...bytes.count, using: &generator))
                }
                if bytes.isEmpty { break }
            }
            if let form = ConsoleMultipartForm(body: bytes, boundary: "XyZ") {
                parsed += 1
                #expect(form.fields.count + form.files.count <= ConsoleMultipartForm.maximumParts)
            }
        }
        #expect(parsed < 2000, "some mangled bodies are refused")
    }
}
