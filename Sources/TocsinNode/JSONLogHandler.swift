import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One JSON object per line (`log-format = "json"`), for log shippers:
/// `{"level":"warning","message":"closing session","node":"XA","peer":"XB","time":"…"}`.
///
/// `time` (ISO 8601, UTC, milliseconds), `level`, `label` and `message` are always there; each
/// metadata key is a field of its own (a key that would overwrite one of those four is written
/// `metadata.<key>`). Keys are sorted, so lines diff well.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String
    let write: @Sendable (String) -> Void

    /// Writes to standard error, each line with one `write(2)` where the system allows (lines
    /// of concurrent loggers do not interleave).
    public init(label: String) {
        self.init(label: label) { line in
            var bytes = Array(line.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                bytes = bytes.dropFirst(written)
            }
        }
    }

    /// Writes each line (newline included) with `write`.
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(Self.line(event: event, label: label, handlerMetadata: metadata, time: Date()))
    }

    static let reservedKeys: Set<String> = ["time", "level", "label", "message"]

    static func line(event: LogEvent, label: String, handlerMetadata: Logger.Metadata, time: Date) -> String {
        var fields: [String: Any] = [:]
        for (key, value) in handlerMetadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[reservedKeys.contains(key) ? "metadata.\(key)" : key] = plain(value)
        }
        fields["time"] = timeText(time)
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else {
            return #"{"level":"error","message":"a log line could not be written as JSON"}"# + "\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let value): return value.description
        case .array(let values): return values.map(plain)
        case .dictionary(let values): return values.mapValues(plain)
        }
    }

    static func timeText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
