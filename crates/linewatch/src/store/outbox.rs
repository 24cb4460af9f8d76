//! The daemon's durable memory beside the series: named state blobs (the alert engine, each
//! target's tracker) and the outbox of notifications. Both are written in the same
//! transaction as the reading that changed them, so a crash loses the reading and its
//! consequences together, never one without the other.

use std::path::Path;
use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{BUSY_TIMEOUT, Poll, Store, StoreError, ms, time};

/// Everything one step of the daemon changes, committed at once.
#[derive(Debug, Default)]
pub struct Commit<'a> {
    /// A poll of a target to store (none for a timer tick).
    pub poll: Option<(&'a str, Poll<'a>)>,
    /// State blobs to replace, by name.
    pub state: Vec<(String, String)>,
    /// Notifications to queue: notifier name and payload (JSON).
    pub outbox: Vec<(String, String)>,
    pub at: Option<SystemTime>,
}

impl Store {
    /// Stores a poll (if any), replaces state blobs and queues notifications, in one transaction.
    pub fn commit(&mut self, commit: &Commit) -> Result<(), StoreError> {
        if let Some((target, poll)) = &commit.poll {
            super::check_polls(target, std::slice::from_ref(poll))?;
        }
        let writer = self.writer.as_mut().ok_or(StoreError::ReadOnly)?;
        let result = (|| {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some((target, poll)) = &commit.poll {
                writer.record(&tx, target, std::slice::from_ref(poll))?;
            }
            for (name, value) in &commit.state {
                tx.execute("INSERT INTO state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2", params![name, value])?;
            }
            let now = ms(commit.at.unwrap_or_else(SystemTime::now));
            for (notifier, payload) in &commit.outbox {
                tx.execute(
                    "INSERT INTO outbox (notifier, created_at, payload, next_attempt_at) VALUES (?1, ?2, ?3, ?2)",
                    params![notifier, now, payload],
                )?;
            }
            Ok(tx.commit()?)
        })();
        if result.is_err() {
            writer.reset();
        }
        result
    }

    /// A state blob, as last committed.
    pub fn state(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM state WHERE name = ?1", [name], |row| row.get(0)).optional()?)
    }

    /// Forgets delivered (or refused) notifications older than `before`.
    pub fn prune_outbox(&mut self, before: SystemTime) -> Result<usize, StoreError> {
        let before = ms(before);
        Ok(self.conn.execute(
            "DELETE FROM outbox WHERE (delivered_at IS NOT NULL AND delivered_at < ?1) OR (failed_at IS NOT NULL AND failed_at < ?1)",
            [before],
        )?)
    }
}

/// A notification waiting for its notifier.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub payload: String,
    pub attempts: u32,
    /// Not before this instant (a retry's backoff).
    pub not_before: SystemTime,
}

/// The delivery side of the outbox: each notifier's worker takes its oldest notification,
/// and records how its delivery went. A connection of its own, beside the daemon's writer.
pub struct Outbox {
    conn: Connection,
}

impl Outbox {
    pub fn open(path: &Path) -> Result<Outbox, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Outbox { conn })
    }

    /// The oldest notification `notifier` still owes: order is kept per notifier, so a
    /// notification waiting for its retry holds back the ones after it.
    pub fn next(&self, notifier: &str) -> Result<Option<OutboxItem>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, payload, attempts, next_attempt_at FROM outbox
                 WHERE notifier = ?1 AND delivered_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT 1",
                [notifier],
                |row| {
                    Ok(OutboxItem {
                        id: row.get(0)?,
                        payload: row.get(1)?,
                        attempts: row.get(2)?,
                        not_before: time(row.get(3)?),
                    })
                },
            )
            .optional()?)
    }

    pub fn delivered(&self, id: i64, at: SystemTime) -> Result<(), StoreError> {
        self.conn.execute("UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1 WHERE id = ?1", params![id, ms(at)])?;
        Ok(())
    }

    /// The attempt failed; try again at `next`.
    pub fn retry(&self, id: i64, next: SystemTime, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
            params![id, ms(next), error],
        )?;
        Ok(())
    }

    /// The receiver refused it for good: keep it, with why, but go on with the next.
    pub fn failed(&self, id: i64, at: SystemTime, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, failed_at = ?2, last_error = ?3 WHERE id = ?1",
            params![id, ms(at), error],
        )?;
        Ok(())
    }

    /// How many notifications `notifier` still owes.
    pub fn pending(&self, notifier: &str) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE notifier = ?1 AND delivered_at IS NULL AND failed_at IS NULL",
            [notifier],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }
}
