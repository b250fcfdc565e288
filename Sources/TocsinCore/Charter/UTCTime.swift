import Foundation

/// Times as the charter writes them: `YYYY-MM-DDTHH:MM:SSZ`, UTC, to the second.
public enum UTCTime {
    /// Milliseconds since 1970 of `text`, or nil unless it is exactly that form (a valid
    /// date, from 1970 to 9999).
    public static func milliseconds(parsing text: String) -> Int64? {
        guard text.utf8.count == 20 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text), formatter.string(from: date) == text,
            date.timeIntervalSince1970 >= 0
        else { return nil }
        return Int64(date.timeIntervalSince1970) * 1000
    }

    /// `milliseconds` written as `YYYY-MM-DDTHH:MM:SSZ` (rounded down to the second).
    public static func text(milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds / 1000)))
    }
}
