//! The schema, as a list of migrations. The file's `user_version` is the number of migrations
//! applied; each one runs in its own transaction. To change the schema, append a migration —
//! never edit one that has shipped.

use rusqlite::{Connection, TransactionBehavior};

pub const MIGRATIONS: &[&str] = &[
    // 1: series, their points and events.
    "CREATE TABLE targets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    -- One series per target, metric and label set. `key` is `name{k=\"v\",...}`; `labels` the
    -- same pairs as a JSON array; `direction` is `down`/`up` from a direction or loc label.
    CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        target_id INTEGER NOT NULL REFERENCES targets(id),
        metric TEXT NOT NULL,
        key TEXT NOT NULL,
        labels TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('gauge', 'delta')),
        direction TEXT CHECK (direction IN ('down', 'up')),
        UNIQUE (target_id, key)
    );
    CREATE INDEX series_by_metric ON series (target_id, metric);
    -- The readings of each target's current hour, one row per value, until the hour is over
    -- and they move into chunks.
    CREATE TABLE head (
        target_id INTEGER NOT NULL REFERENCES targets(id),
        at INTEGER NOT NULL,
        series_id INTEGER NOT NULL REFERENCES series(id),
        value REAL NOT NULL,
        PRIMARY KEY (target_id, at, series_id)
    ) WITHOUT ROWID;
    -- Encoded points (see codec.rs) of one series over one period: tier 0 raw readings per
    -- hour, 1 five-minute buckets per day, 2 hourly buckets per week.
    CREATE TABLE chunks (
        series_id INTEGER NOT NULL REFERENCES series(id),
        tier INTEGER NOT NULL,
        start INTEGER NOT NULL,
        points INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (series_id, tier, start)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        target_id INTEGER NOT NULL REFERENCES targets(id),
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_by_time ON events (at);
    CREATE INDEX events_by_target ON events (target_id, at);",
    // 2: what the daemon must not forget across restarts, and the notifications it owes.
    "-- Named JSON blobs: the alert engine's state, each target's memory.
    CREATE TABLE state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    -- Notifications to deliver, in order (id) per notifier; written in the transaction of the
    -- change that caused them, and kept a while after delivery.
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        notifier TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        delivered_at INTEGER,
        -- Refused for good by the receiver (its answer is in last_error).
        failed_at INTEGER
    );
    CREATE INDEX outbox_due ON outbox (notifier, id) WHERE delivered_at IS NULL AND failed_at IS NULL;",
    // 3: the Discord bot's memory.
    "-- Every resync/reboot asked for through the bot, allowed or not, and how it went.
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        user_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        allowed INTEGER NOT NULL,
        detail TEXT NOT NULL
    );
    -- The one message per incident that the bot edits as the incident evolves.
    CREATE TABLE incident_messages (
        notifier TEXT NOT NULL,
        incident INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (notifier, incident)
    ) WITHOUT ROWID;",
];

pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies the migrations the file has not had yet. The caller has checked the file is not
/// newer than this build.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Checked inside the transaction: another process may have migrated meanwhile.
        if version(&tx)? > i as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
