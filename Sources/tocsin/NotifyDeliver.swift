import ArgumentParser
import Foundation
import TocsinAdmin

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `tocsin notify deliver`: posts one webhook delivery read from standard input
/// (`WebhookRequest`), for `tocsind`, which runs it as a child process so that the daemon
/// holding the node's key links no HTTP client library. Exit 0 on a 2xx answer; otherwise the
/// reason on standard error (never the URL's path or query) and exit 1.
struct NotifyDeliver: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver", abstract: "Post one webhook delivery read from standard input (run by tocsind).",
        shouldDisplay: false)

    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let request = try? AdminJSON.decode(WebhookRequest.self, from: input),
            let url = URL(string: request.url), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            let body = Data(base64Encoded: request.body)
        else {
            FileHandle.standardError.write(Data("the delivery request is unreadable\n".utf8))
            throw ExitCode(1)
        }
        let timeout = TimeInterval(min(max(request.timeoutSeconds, 1), 300))
        var urlRequest = URLRequest(url: url, timeoutInterval: timeout)
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = body
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        // The answer's status is all a delivery needs: its body is never read, so a gateway
        // that streams without end costs nothing.
        let outcome = Outcome()
        let session = URLSession(configuration: configuration, delegate: outcome, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: urlRequest).resume()
        outcome.done.wait()
        let shown = WebhookRequest.shown(url)
        let (status, error) = outcome.value
        if let error {
            let reason =
                (error as NSError).code == NSURLErrorTimedOut
                ? "no answer within \(Int(timeout)) s" : "the request failed (\((error as NSError).code))"
            FileHandle.standardError.write(Data("\(shown): \(reason)\n".utf8))
            throw ExitCode(1)
        }
        let code = status ?? 0
        guard (200..<300).contains(code) else {
            let redirect = (300..<400).contains(code) ? " (redirects are not followed)" : ""
            FileHandle.standardError.write(Data("\(shown) answered HTTP \(code)\(redirect)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// What the request came to, handed back to the waiting thread: the answer's status (its
    /// body cancelled unread) or the error. A redirect is never followed: a 3xx is a failure.
    final class Outcome: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var status: Int?
        private var error: (any Error)?

        var value: (Int?, (any Error)?) { lock.withLock { (status, error) } }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
        ) {
            lock.withLock { status = (response as? HTTPURLResponse)?.statusCode ?? 0 }
            completionHandler(.cancel)
        }

        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            // The cancellation that follows a status is this delegate's own.
            lock.withLock { if status == nil { self.error = error } }
            done.signal()
        }
    }
}
