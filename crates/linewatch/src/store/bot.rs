//! The Discord bot's memory in the store: the audit log of resync/reboot requests and the
//! message each incident has in the alert channel. A connection of its own, beside the
//! daemon's writer (as the outbox workers have).

use std::path::Path;
use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, params};

use super::{BUSY_TIMEOUT, StoreError, ms, time};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: SystemTime,
    pub user_id: u64,
    pub user_name: String,
    /// `resync`, `reboot`, or what happened to one (`resync confirmed`, `resync expired`).
    pub action: String,
    pub target: String,
    pub allowed: bool,
    /// Why it was denied, or how it went.
    pub detail: String,
}

pub struct BotRecords {
    conn: Connection,
}

impl BotRecords {
    /// Opens the store the daemon has created (and migrated).
    pub fn open(path: &Path) -> Result<BotRecords, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(BotRecords { conn })
    }

    pub fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit (at, user_id, user_name, action, target, allowed, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![ms(entry.at), entry.user_id as i64, entry.user_name, entry.action, entry.target, entry.allowed, entry.detail],
        )?;
        Ok(())
    }

    /// The latest `limit` entries, newest first.
    pub fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT at, user_id, user_name, action, target, allowed, detail FROM audit ORDER BY id DESC LIMIT ?1")?;
        let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
            Ok(AuditEntry {
                at: time(row.get(0)?),
                user_id: row.get::<_, i64>(1)? as u64,
                user_name: row.get(2)?,
                action: row.get(3)?,
                target: row.get(4)?,
                allowed: row.get(5)?,
                detail: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The channel and message that show `incident` for `notifier`, if it has one.
    pub fn incident_message(&self, notifier: &str, incident: u64) -> Result<Option<(u64, u64)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT channel_id, message_id FROM incident_messages WHERE notifier = ?1 AND incident = ?2",
                params![notifier, incident as i64],
                |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
            )
            .optional()?)
    }

    pub fn set_incident_message(&self, notifier: &str, incident: u64, channel_id: u64, message_id: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO incident_messages (notifier, incident, channel_id, message_id) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (notifier, incident) DO UPDATE SET channel_id = ?3, message_id = ?4",
            params![notifier, incident as i64, channel_id as i64, message_id as i64],
        )?;
        Ok(())
    }
}
