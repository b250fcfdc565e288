import GRDB
import TocsinCore

/// The database schema and its migrations.
///
/// Entries, checkpoints, cosignatures, subtree hashes, charters and fork proofs are
/// append-only: the API never changes them, and triggers abort any UPDATE or DELETE.
enum StoreSchema {
    /// Entry rows are keyed by `feed_id · 2^40 + index`: one B-tree, appended in order.
    static let feedPositionShift: Int64 = 40

    /// An entry's row key; nil for an index no feed can hold (it would reach another feed's
    /// rows). Every index the store writes is below the limit (checkpoints are refused above it).
    static func position(feed: Int64, index: UInt64) -> Int64? {
        guard index < Checkpoint.maximumSize else { return nil }
        return feed << feedPositionShift | Int64(index)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value BLOB NOT NULL
                    );
                    CREATE TABLE charters (
                        version INTEGER PRIMARY KEY NOT NULL,
                        toml BLOB NOT NULL,
                        signature BLOB NOT NULL,
                        stored_at_ms INTEGER NOT NULL
                    );
                    CREATE TABLE feeds (
                        id INTEGER PRIMARY KEY NOT NULL,
                        origin TEXT NOT NULL UNIQUE,
                        group_id TEXT NOT NULL,
                        author TEXT NOT NULL,
                        size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
                        frontier BLOB NOT NULL,
                        frozen INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1))
                    );
                    CREATE TABLE entries (
                        position INTEGER PRIMARY KEY NOT NULL,
                        feed_id INTEGER NOT NULL REFERENCES feeds(id),
                        entry_index INTEGER NOT NULL CHECK (entry_index >= 0),
                        leaf_hash BLOB NOT NULL,
                        kind INTEGER NOT NULL,
                        author_time_ms INTEGER NOT NULL,
                        bytes BLOB NOT NULL,
                        CHECK (position = feed_id * 1099511627776 + entry_index)
                    );
                    CREATE TABLE subtrees (
                        feed_id INTEGER NOT NULL REFERENCES feeds(id),
                        level INTEGER NOT NULL,
                        subtree_index INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        PRIMARY KEY (feed_id, level, subtree_index)
                    ) WITHOUT ROWID;
                    CREATE TABLE checkpoints (
                        id INTEGER PRIMARY KEY NOT NULL,
                        feed_id INTEGER NOT NULL REFERENCES feeds(id),
                        size INTEGER NOT NULL,
                        root BLOB NOT NULL,
                        note BLOB NOT NULL,
                        stored_at_ms INTEGER NOT NULL
                    );
                    CREATE INDEX checkpoints_by_feed_size ON checkpoints(feed_id, size);
                    CREATE TABLE cosignatures (
                        id INTEGER PRIMARY KEY NOT NULL,
                        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id),
                        witness TEXT NOT NULL,
                        timestamp INTEGER NOT NULL,
                        line TEXT NOT NULL,
                        stored_at_ms INTEGER NOT NULL,
                        UNIQUE (checkpoint_id, witness, timestamp)
                    );
                    CREATE TABLE fork_proofs (
                        id INTEGER PRIMARY KEY NOT NULL,
                        feed_id INTEGER NOT NULL REFERENCES feeds(id),
                        proof BLOB NOT NULL,
                        stored_at_ms INTEGER NOT NULL
                    );
                    """)
            for table in ["meta", "charters", "entries", "subtrees", "checkpoints", "cosignatures", "fork_proofs"] {
                try db.execute(
                    sql: """
                        CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
                        BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
                        CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
                        BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
                        """)
            }
            // A feed's head moves forward only, and a frozen feed stays frozen.
            try db.execute(
                sql: """
                    CREATE TRIGGER feeds_forward_only BEFORE UPDATE ON feeds
                    WHEN NEW.size < OLD.size OR NEW.frozen < OLD.frozen OR NEW.origin IS NOT OLD.origin
                        OR NEW.id IS NOT OLD.id
                    BEGIN SELECT RAISE(ABORT, 'feeds only grow, and stay frozen once frozen'); END;
                    CREATE TRIGGER feeds_no_delete BEFORE DELETE ON feeds
                    BEGIN SELECT RAISE(ABORT, 'feeds are never deleted'); END;
                    """)
        }
        migrator.registerMigration("v2") { db in
            // The restore guard's memory: sizes of this node's own feeds that peers showed it.
            try db.execute(
                sql: """
                    CREATE TABLE own_feed_known (
                        id INTEGER PRIMARY KEY NOT NULL,
                        origin TEXT NOT NULL,
                        size INTEGER NOT NULL CHECK (size >= 0),
                        stored_at_ms INTEGER NOT NULL
                    );
                    CREATE TRIGGER own_feed_known_no_update BEFORE UPDATE ON own_feed_known
                    BEGIN SELECT RAISE(ABORT, 'own_feed_known is append-only'); END;
                    CREATE TRIGGER own_feed_known_no_delete BEFORE DELETE ON own_feed_known
                    BEGIN SELECT RAISE(ABORT, 'own_feed_known is append-only'); END;
                    """)
        }
        migrator.registerMigration("v3") { db in
            // Scratch space for a write that tells whether the disk has room again (never
            // holds a row outside the probe's own transaction).
            try db.execute(sql: "CREATE TABLE write_probe (data BLOB NOT NULL)")
        }
        migrator.registerMigration("v4") { db in
            // A feed held from a member's admission (history = "from-admission") starts past
            // its first entry: `base` is the frontier of the entries before it (NULL for a feed
            // held whole). Set once, on a feed that holds nothing yet, and never changed.
            try db.execute(
                sql: """
                    ALTER TABLE feeds ADD COLUMN base BLOB;
                    CREATE TRIGGER feeds_base_fixed BEFORE UPDATE ON feeds
                    WHEN NEW.base IS NOT OLD.base AND (OLD.base IS NOT NULL OR OLD.size != 0)
                    BEGIN SELECT RAISE(ABORT, 'a feed''s base is set once, before it holds anything'); END;
                    """)
        }
        return migrator
    }

    /// The newest migration this build knows.
    static let latestMigration = "v4"
}
