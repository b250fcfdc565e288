import Foundation

/// When a certificate's end is near enough to tell the operator: certificates are issued for
/// 825 days, and a node whose certificate expires can no longer open a session with anyone.
public enum CertificateExpiry {
    /// How long before the end the warning starts: 30 days.
    public static let warningPeriod: TimeInterval = 30 * 86_400

    /// A warning about `subject` (e.g. "this node's certificate") if it expires within the
    /// warning period of `now`, or has expired; nil otherwise.
    public static func warning(for subject: String, notAfter: Date, now: Date) -> String? {
        let left = notAfter.timeIntervalSince(now)
        guard left <= warningPeriod else { return nil }
        let end = UTCTime.text(milliseconds: Int64(notAfter.timeIntervalSince1970 * 1000))
        guard left > 0 else {
            return
                "\(subject) expired at \(end): sessions with it fail; the authority issues a renewed certificate for the same key (no amendment needed)"
        }
        let days = Int(left / 86_400)
        return
            "\(subject) expires at \(end), in \(days == 0 ? "less than a day" : "\(days) days"): ask the authority to renew it for the same key (no amendment needed)"
    }
}
