import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 client for the node's admin socket (one request per connection).
struct AdminClient {
    let socketPath: String

    struct Response {
        let status: Int
        let body: Data
    }

    func request(_ method: String, _ path: String, body: Data? = nil) throws -> Response {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            throw CommandFailure("cannot create a socket: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw CommandFailure("the socket path \(socketPath) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in pathBytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw CommandFailure(
                "cannot reach the node at \(socketPath): \(String(cString: strerror(errno))) (is tocsind running? check --data-dir or --socket)"
            )
        }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: tocsind\r\nConnection: close\r\n"
        if let body {
            request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        request += "\r\n"
        let bytes = Array(request.utf8) + Array(body ?? Data())
        var sent = 0
        while sent < bytes.count {
            let result = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            guard result > 0 else { throw CommandFailure("writing to \(socketPath) failed") }
            sent += result
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return try parse(response)
    }

    private func parse(_ data: Data) throws -> Response {
        guard let separator = data.range(of: Data("\r\n\r\n".utf8)) else {
            throw CommandFailure("the node sent no HTTP response")
        }
        let head = String(decoding: data[..<separator.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first,
            let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw CommandFailure("the node sent a malformed HTTP response") }
        var body = Data(data[separator.upperBound...])
        let chunked = lines.contains {
            $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked")
        }
        if chunked { body = dechunk(body) }
        return Response(status: status, body: body)
    }

    private func dechunk(_ data: Data) -> Data {
        var result = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size else { break }
            let end = rest.index(start, offsetBy: size)
            result.append(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return result
    }

    /// Sends a request and decodes a JSON answer; a non-2xx answer becomes the node's error.
    func json(_ method: String, _ path: String, body: Data? = nil) throws -> Any {
        let response = try request(method, path, body: body)
        let value = try? JSONSerialization.jsonObject(with: response.body)
        guard (200..<300).contains(response.status) else {
            let message = (value as? [String: Any])?["error"] as? String ?? "HTTP \(response.status)"
            throw CommandFailure(message)
        }
        guard let value else { throw CommandFailure("the node's answer is not JSON") }
        return value
    }
}
