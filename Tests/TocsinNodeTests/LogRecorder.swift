import Foundation
import Logging

/// Keeps every log line a node wrote (level warning and above), so tests can assert that an
/// operator was told what happened.
final class LogRecorder: @unchecked Sendable {
    struct Line: Sendable {
        let label: String
        let level: Logger.Level
        let text: String
    }

    private let lock = NSLock()
    private var lines: [Line] = []
    /// Called after each line (to wake a test's waiter).
    let onRecord: @Sendable () -> Void

    init(onRecord: @escaping @Sendable () -> Void = {}) {
        self.onRecord = onRecord
    }

    func record(_ line: Line) {
        lock.withLock { lines.append(line) }
        onRecord()
    }

    /// Lines of `label` recorded after the first `skipping` ones.
    func lines(of label: String, after skipping: Int = 0) -> [Line] {
        lock.withLock { Array(lines.dropFirst(skipping)).filter { $0.label == label } }
    }

    var count: Int { lock.withLock { lines.count } }

    func handler(label: String) -> some LogHandler { Handler(label: label, recorder: self) }

    struct Handler: LogHandler {
        let label: String
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            recorder.record(Line(label: label, level: event.level, text: "\(event.message) \(fields)"))
        }
    }
}
