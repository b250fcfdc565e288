import Foundation
import GRDB
import TocsinCore

/// The notifications a node owes, one row per event and channel, in `notifications.sqlite`
/// in the data directory (a database of its own: the log's tables are append-only, a
/// delivery's row changes as it is tried).
///
/// An event is queued once: its id and channel are the key, so an event derived again after
/// a restart is not queued twice. A delivery stays until it succeeds; a failure sets when to
/// try again. Blocking: call it off event loops and async code (the notifier runs it on a
/// thread pool).
public final class NotificationOutbox: Sendable {
    /// A delivery owed.
    public struct Delivery: Sendable, Equatable {
        public let eventID: String
        public let channel: String
        /// The event as JSON, as the channel receives it.
        public let body: [UInt8]
        public let attempts: Int
    }

    /// A channel whose deliveries are failing.
    public struct Problem: Sendable, Equatable {
        public let channel: String
        public let undelivered: Int
        public let attempts: Int
        public let lastError: String
        public let sinceMs: Int64
    }

    let database: DatabaseQueue

    /// Opens (creating it the first time) `notifications.sqlite` in `directory`.
    public static func open(directory: URL) throws(StoreError) -> NotificationOutbox {
        try FeedStore.run {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            let database = try DatabaseQueue(
                path: directory.appendingPathComponent("notifications.sqlite").path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE deliveries (
                            event_id TEXT NOT NULL,
                            channel TEXT NOT NULL,
                            body BLOB NOT NULL,
                            queued_ms INTEGER NOT NULL,
                            attempts INTEGER NOT NULL DEFAULT 0,
                            next_attempt_ms INTEGER NOT NULL,
                            delivered_ms INTEGER,
                            last_error TEXT,
                            first_failure_ms INTEGER,
                            PRIMARY KEY (event_id, channel)
                        ) WITHOUT ROWID;
                        CREATE INDEX deliveries_due ON deliveries (delivered_ms, next_attempt_ms);
                        CREATE TABLE outbox (created_ms INTEGER NOT NULL);
                        """)
                try db.execute(
                    sql: "INSERT INTO outbox (created_ms) VALUES (?)",
                    arguments: [Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))])
            }
            try migrator.migrate(database)
            return NotificationOutbox(database: database)
        }
    }

    private init(database: DatabaseQueue) {
        self.database = database
    }

    /// Queues `event` for each of `channels`; an event already queued for a channel is left
    /// as it is. Returns how many deliveries were added.
    @discardableResult
    public func enqueue(
        _ event: NotificationEvent, body: [UInt8], channels: [String], nowMs: Int64
    )
        throws(StoreError) -> Int
    {
        try FeedStore.run {
            try database.write { db in
                var added = 0
                for channel in channels {
                    try db.execute(
                        sql: """
                            INSERT OR IGNORE INTO deliveries (event_id, channel, body, queued_ms, next_attempt_ms)
                            VALUES (?, ?, ?, ?, ?)
                            """, arguments: [event.id, channel, Data(body), nowMs, nowMs])
                    added += db.changesCount
                }
                return added
            }
        }
    }

    /// When the outbox was made: when notifications were first set up on this node.
    public func createdMs() throws(StoreError) -> Int64 {
        try FeedStore.run {
            try database.read { db in try Int64.fetchOne(db, sql: "SELECT created_ms FROM outbox") ?? 0 }
        }
    }

    /// Every (event id, channel) ever queued: the notifier's memory of what it has queued.
    public func queued() throws(StoreError) -> Set<Queued> {
        try FeedStore.run {
            try database.read { db in
                Set(
                    try Row.fetchAll(db, sql: "SELECT event_id, channel FROM deliveries").map {
                        Queued(eventID: $0["event_id"], channel: $0["channel"])
                    })
            }
        }
    }

    /// An event queued for a channel.
    public struct Queued: Hashable, Sendable {
        public let eventID: String
        public let channel: String

        public init(eventID: String, channel: String) {
            self.eventID = eventID
            self.channel = channel
        }
    }

    /// Deliveries due at `nowMs` to one of `channels` (those configured now: a channel removed
    /// from the configuration holds nothing up), oldest first, at most `limit` per channel: a
    /// dead channel's backlog never crowds out the deliveries owed to the others.
    public func due(nowMs: Int64, channels: [String], limit: Int = 64) throws(StoreError) -> [Delivery] {
        guard !channels.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: channels.count).joined(separator: ", ")
        var arguments = StatementArguments([nowMs])
        arguments += StatementArguments(channels)
        arguments += StatementArguments([max(1, limit)])
        return try FeedStore.run {
            try database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT event_id, channel, body, attempts FROM (
                            SELECT *, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY queued_ms, event_id) AS position
                            FROM deliveries
                            WHERE delivered_ms IS NULL AND next_attempt_ms <= ? AND channel IN (\(placeholders))
                        ) WHERE position <= ?
                        ORDER BY queued_ms, event_id, channel
                        """, arguments: arguments
                ).map {
                    Delivery(
                        eventID: $0["event_id"], channel: $0["channel"], body: Array(($0["body"] as Data?) ?? Data()),
                        attempts: $0["attempts"])
                }
            }
        }
    }

    public func delivered(_ delivery: Delivery, nowMs: Int64) throws(StoreError) {
        try FeedStore.run {
            try database.write { db in
                try db.execute(
                    sql: """
                        UPDATE deliveries SET delivered_ms = ?, attempts = attempts + 1, last_error = NULL
                        WHERE event_id = ? AND channel = ?
                        """, arguments: [nowMs, delivery.eventID, delivery.channel])
            }
        }
    }

    /// Drops the bodies of deliveries made before `beforeMs`, keeping their event ids (so an
    /// event is never queued twice): the outbox grows by a few bytes per event, not by every
    /// event's text. Returns how many bodies were dropped.
    @discardableResult
    public func forgetDeliveredBodies(before beforeMs: Int64) throws(StoreError) -> Int {
        try FeedStore.run {
            try database.write { db in
                try db.execute(
                    sql: """
                        UPDATE deliveries SET body = x''
                        WHERE delivered_ms IS NOT NULL AND delivered_ms < ? AND length(body) > 0
                        """, arguments: [beforeMs])
                return db.changesCount
            }
        }
    }

    /// A failed attempt: tried again at `retryAtMs`.
    public func failed(_ delivery: Delivery, error: String, nowMs: Int64, retryAtMs: Int64) throws(StoreError) {
        try FeedStore.run {
            try database.write { db in
                try db.execute(
                    sql: """
                        UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ?,
                            first_failure_ms = COALESCE(first_failure_ms, ?)
                        WHERE event_id = ? AND channel = ?
                        """,
                    arguments: [String(error.prefix(500)), retryAtMs, nowMs, delivery.eventID, delivery.channel])
            }
        }
    }

    /// Channels with undelivered deliveries that have failed at least once.
    public func problems() throws(StoreError) -> [Problem] {
        try FeedStore.run {
            try database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT channel, COUNT(*) AS undelivered, MAX(attempts) AS attempts,
                            MIN(first_failure_ms) AS since,
                            (SELECT last_error FROM deliveries AS latest WHERE latest.channel = deliveries.channel
                                AND latest.delivered_ms IS NULL AND latest.last_error IS NOT NULL
                                ORDER BY latest.next_attempt_ms DESC LIMIT 1) AS last_error
                        FROM deliveries WHERE delivered_ms IS NULL AND attempts > 0
                        GROUP BY channel ORDER BY channel
                        """
                ).map {
                    Problem(
                        channel: $0["channel"], undelivered: $0["undelivered"], attempts: $0["attempts"],
                        lastError: $0["last_error"] ?? "", sinceMs: $0["since"] ?? 0)
                }
            }
        }
    }

    /// Deliveries not yet made.
    public func pendingCount() throws(StoreError) -> Int {
        try FeedStore.run {
            try database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE delivered_ms IS NULL") ?? 0
            }
        }
    }
}
