/// A `multipart/form-data` body (RFC 7578), as a browser sends a form with a file: its text
/// fields and its files' bytes, by field name. A name given twice keeps its first value.
/// Never traps on what anyone sends; a body that is not well formed is nil.
struct ConsoleMultipartForm: Sendable, Equatable {
    var fields: [String: String] = [:]
    var files: [String: [UInt8]] = [:]

    /// The most parts read: the console's forms have a handful.
    static let maximumParts = 16

    /// The boundary named by a `Content-Type` header, if it is `multipart/form-data`.
    static func boundary(contentType: String) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parameters.first?.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            // RFC 2046: 1 to 70 characters.
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    init?(body: [UInt8], boundary: String) {
        let delimiter = Array("--\(boundary)".utf8)
        let lineBreak: [UInt8] = [13, 10]
        guard var position = Self.find(delimiter, in: body, from: 0) else { return nil }
        var parts = 0
        while true {
            position += delimiter.count
            // `--` after a delimiter closes the body.
            if body[position...].starts(with: [45, 45]) { return }
            guard body[position...].starts(with: lineBreak) else { return nil }
            position += 2
            parts += 1
            guard parts <= Self.maximumParts,
                let headersEnd = Self.find(lineBreak + lineBreak, in: body, from: position),
                let next = Self.find(lineBreak + delimiter, in: body, from: headersEnd + 4)
            else { return nil }
            let headers = String(decoding: body[position..<headersEnd], as: UTF8.self)
            let content = Array(body[(headersEnd + 4)..<next])
            guard let disposition = Self.disposition(headers) else { return nil }
            if disposition.isFile {
                if files[disposition.name] == nil { files[disposition.name] = content }
            } else if fields[disposition.name] == nil {
                guard let text = String(validating: content, as: UTF8.self) else { return nil }
                fields[disposition.name] = text
            }
            position = next + 2
        }
    }

    /// The field's name in a part's `Content-Disposition: form-data; name="…"`, and whether
    /// the part is a file (it has a `filename`).
    static func disposition(_ headers: String) -> (name: String, isFile: Bool)? {
        for line in headers.split(separator: "\r\n") {
            let header = line.split(separator: ":", maxSplits: 1)
            guard header.count == 2, header[0].lowercased() == "content-disposition" else { continue }
            let parameters = header[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parameters.first?.lowercased() == "form-data" else { return nil }
            var name: String?
            var isFile = false
            for parameter in parameters.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "name":
                    guard pair[1].count >= 2, pair[1].hasPrefix("\""), pair[1].hasSuffix("\"") else { return nil }
                    name = String(pair[1].dropFirst().dropLast())
                case "filename": isFile = true
                default: continue
                }
            }
            guard let name, !name.isEmpty else { return nil }
            return (name, isFile)
        }
        return nil
    }

    /// Where `needle` first occurs in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, haystack.count - start >= needle.count else { return nil }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}
