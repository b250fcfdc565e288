/// A token bucket: at most `capacity` events at once, refilled at `ratePerSecond`. Time is
/// passed in (seconds on any monotonic clock), so limits are tested without waiting.
public struct TokenBucket: Sendable {
    public let capacity: Double
    public let ratePerSecond: Double
    private var tokens: Double
    private var last: Double?

    public init(capacity: Double, ratePerSecond: Double) {
        self.capacity = capacity
        self.ratePerSecond = ratePerSecond
        tokens = capacity
    }

    /// Takes one token at `now`; false when the bucket is empty (the event is over the limit).
    public mutating func take(now: Double) -> Bool {
        take(1, now: now)
    }

    /// Takes `amount` tokens at `now` (bytes, say); false when fewer are left.
    public mutating func take(_ amount: Double, now: Double) -> Bool {
        if let last, now > last { tokens = min(capacity, tokens + (now - last) * ratePerSecond) }
        last = max(last ?? now, now)
        guard tokens >= amount else { return false }
        tokens -= amount
        return true
    }
}
