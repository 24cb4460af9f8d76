//! The alert engine: rules turn each check of a target into findings; the engine turns
//! findings into notifications, the way Alertmanager, Gatus and Uptime Kuma taught us:
//!
//! - an alert is *pending* until its condition held for its `for` duration and its number of
//!   failed checks, then *firing* (announced), and *resolved* after its good checks;
//! - related alerts of one site are grouped into one *incident* (a resync, then PPP down,
//!   then a new WAN IP, then DDNS catching up), which stays open a grace period after its
//!   last alert resolved, so what follows is told in the same story;
//! - a critical alert firing at a lower layer (the DSL line) inhibits the announcements of upper layers
//!   (PPP, gateway, addresses) of the same site — but the resolve of anything that was
//!   announced is always delivered, and one-off events (a new WAN IP) are held back, not lost:
//!   they are told once the lower layer is back;
//! - firing alerts are announced again every `reminder`; silences (with an expiry) hold
//!   announcements back; once lifted, what still fires is announced.
//!
//! The engine is pure: time is passed in, and its whole state serialises, so the daemon keeps
//! it in the store with the readings that changed it.

pub mod rules;
pub mod wan;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::derive::unix_seconds;

/// How bad something is; decides the colour and whether admins are mentioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// The layer an alert belongs to. A lower layer failing explains the upper ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The modem and its DSL line.
    Line,
    /// PPP session, WAN interface.
    Link,
    /// The gateway behind the link.
    Gateway,
    /// Addresses: WAN IP, CGNAT, DDNS.
    Address,
}

/// Which alert: one rule, one target, and a key inside the target (a direction, a gateway).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertId {
    pub rule: String,
    pub target: String,
    #[serde(default)]
    pub key: String,
}

impl AlertId {
    pub fn new(rule: &str, target: &str, key: &str) -> AlertId {
        AlertId { rule: rule.to_string(), target: target.to_string(), key: key.to_string() }
    }
}

impl std::fmt::Display for AlertId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{} on {}", self.rule, self.target)
        } else {
            write!(f, "{} ({}) on {}", self.rule, self.key, self.target)
        }
    }
}

/// What is said: a title, a sentence, and named values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub title: String,
    pub text: String,
    #[serde(default)]
    pub fields: Vec<(String, String)>,
}

/// When a condition becomes an announcement, and when it is over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// How long the condition must hold.
    pub r#for: Duration,
    /// How many failed checks in a row it takes (at least 1).
    pub checks: u32,
    /// How many good checks in a row resolve it (at least 1).
    pub resolve_checks: u32,
    /// And for how long the condition must have been gone (a margin wandering around its
    /// floor is not a new alert every few minutes).
    pub keep_firing_for: Duration,
}

/// A rule's verdict on one alert at one check.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The condition holds.
    Active { id: AlertId, layer: Layer, severity: Severity, timing: Timing, message: Message },
    /// The condition does not hold: a good check (enough of them resolve a firing alert, as
    /// its timing says); `message` says how it ended, for the resolve.
    Clear { id: AlertId, message: Option<Message> },
    /// Something that happened once (a resync between polls, a new IP): announced, never resolved.
    Event { id: AlertId, layer: Layer, severity: Severity, message: Message },
}

/// What the engine asks the notifiers to tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub incident: u64,
    pub site: String,
    pub kind: NotificationKind,
    pub alert: AlertId,
    pub severity: Severity,
    pub message: Message,
    #[serde(with = "unix_seconds")]
    pub at: SystemTime,
    /// The incident as it stands after this notification, for notifiers that show one message
    /// per incident and edit it.
    pub incident_view: IncidentView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationKind {
    Firing,
    Resolved,
    Reminder,
    Event,
}

/// An incident as notifiers show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: u64,
    pub site: String,
    pub title: String,
    /// The worst severity of the alerts still firing (or of the last one, once all resolved).
    pub severity: Severity,
    #[serde(with = "unix_seconds")]
    pub opened_at: SystemTime,
    /// No alert of the incident is firing any more.
    pub resolved: bool,
    pub entries: Vec<IncidentEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentEntry {
    #[serde(with = "unix_seconds")]
    pub at: SystemTime,
    pub kind: NotificationKind,
    pub severity: Severity,
    pub text: String,
}

/// Holds back announcements of a rule (or of all rules), on one target or all, until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: u64,
    /// `None`: every rule.
    pub rule: Option<String>,
    /// `None`: every target.
    pub target: Option<String>,
    #[serde(with = "unix_seconds")]
    pub until: SystemTime,
    pub by: String,
}

impl Silence {
    fn covers(&self, id: &AlertId, now: SystemTime) -> bool {
        now < self.until
            && self.rule.as_ref().is_none_or(|r| *r == id.rule)
            && self.target.as_ref().is_none_or(|t| *t == id.target)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Phase {
    Pending,
    Firing,
}

/// One alert that is pending or firing.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Alert {
    site: String,
    layer: Layer,
    severity: Severity,
    phase: Phase,
    #[serde(with = "unix_seconds")]
    since: SystemTime,
    failed_checks: u32,
    good_checks: u32,
    /// Since when the condition has been gone (reset when it comes back).
    #[serde(default, with = "unix_seconds::option")]
    clear_since: Option<SystemTime>,
    resolve_checks: u32,
    #[serde(default)]
    keep_firing_for: Duration,
    message: Message,
    /// Told to the notifiers (and so its resolve must be told too).
    announced: bool,
    #[serde(default, with = "unix_seconds::option")]
    last_told: Option<SystemTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Incident {
    view: IncidentView,
    /// When its last alert resolved; it closes `incident_grace` later.
    #[serde(default, with = "unix_seconds::option")]
    quiet_since: Option<SystemTime>,
}

/// Everything the engine remembers; serialised into the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineState {
    #[serde(with = "alert_map")]
    alerts: BTreeMap<AlertId, Alert>,
    /// Open incidents by site.
    incidents: BTreeMap<String, Incident>,
    silences: Vec<Silence>,
    /// Events held back while a lower layer of their site was firing.
    #[serde(default)]
    deferred: Vec<Deferred>,
    next_id: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deferred {
    site: String,
    id: AlertId,
    layer: Layer,
    severity: Severity,
    message: Message,
}

/// JSON maps need string keys; alerts are kept as a list of pairs.
mod alert_map {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Alert, AlertId};

    pub fn serialize<S: Serializer>(map: &BTreeMap<AlertId, Alert>, s: S) -> Result<S::Ok, S::Error> {
        map.iter().collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<AlertId, Alert>, D::Error> {
        Ok(Vec::<(AlertId, Alert)>::deserialize(d)?.into_iter().collect())
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// `Duration::ZERO` turns reminders off.
    pub reminder: Duration,
    pub incident_grace: Duration,
}

pub struct Engine {
    config: EngineConfig,
    state: EngineState,
}

impl Engine {
    pub fn new(config: EngineConfig, state: EngineState) -> Engine {
        Engine { config, state }
    }

    pub fn state(&self) -> &EngineState {
        &self.state
    }

    /// The alerts firing now, with their site, severity and message (for `/status`, `/metrics`).
    pub fn firing(&self) -> impl Iterator<Item = (&AlertId, Severity, &Message)> {
        self.state.alerts.iter().filter(|(_, a)| a.phase == Phase::Firing).map(|(id, a)| (id, a.severity, &a.message))
    }

    pub fn silences(&self, now: SystemTime) -> impl Iterator<Item = &Silence> {
        self.state.silences.iter().filter(move |s| now < s.until)
    }

    /// Adds a silence; returns its id.
    pub fn silence(&mut self, rule: Option<String>, target: Option<String>, until: SystemTime, by: &str) -> u64 {
        self.state.next_id += 1;
        let id = self.state.next_id;
        self.state.silences.push(Silence { id, rule, target, until, by: by.to_string() });
        id
    }

    /// Lifts silences matching `rule` (`None`: all). Returns how many were lifted. What still
    /// fires is announced at the next `tick`.
    pub fn unsilence(&mut self, rule: Option<&str>) -> usize {
        let before = self.state.silences.len();
        self.state.silences.retain(|s| rule.is_some_and(|r| s.rule.as_deref() != Some(r)));
        before - self.state.silences.len()
    }

    /// Applies the findings of one check of targets of `site` made at `now`.
    pub fn apply(&mut self, site: &str, findings: Vec<Finding>, now: SystemTime) -> Vec<Notification> {
        let mut out = Vec::new();
        for finding in findings {
            match finding {
                Finding::Active { id, layer, severity, timing, message } => {
                    let alert = self.state.alerts.entry(id.clone()).or_insert_with(|| Alert {
                        site: site.to_string(),
                        layer,
                        severity,
                        phase: Phase::Pending,
                        since: now,
                        failed_checks: 0,
                        good_checks: 0,
                        clear_since: None,
                        resolve_checks: timing.resolve_checks,
                        keep_firing_for: timing.keep_firing_for,
                        message: message.clone(),
                        announced: false,
                        last_told: None,
                    });
                    alert.failed_checks = alert.failed_checks.saturating_add(1);
                    alert.good_checks = 0;
                    alert.clear_since = None;
                    alert.resolve_checks = timing.resolve_checks;
                    alert.keep_firing_for = timing.keep_firing_for;
                    alert.severity = severity;
                    alert.message = message;
                    let held = now.duration_since(alert.since).unwrap_or_default();
                    if alert.phase == Phase::Pending && held >= timing.r#for && alert.failed_checks >= timing.checks.max(1) {
                        alert.phase = Phase::Firing;
                    }
                }
                Finding::Clear { id, message } => {
                    let Some(alert) = self.state.alerts.get_mut(&id) else { continue };
                    alert.good_checks = alert.good_checks.saturating_add(1);
                    alert.failed_checks = 0;
                    let clear_for = now.duration_since(*alert.clear_since.get_or_insert(now)).unwrap_or_default();
                    // A pending alert that clears was never anything; a firing one needs its
                    // good checks, over its keep-firing time.
                    if alert.phase == Phase::Firing
                        && (alert.good_checks < alert.resolve_checks.max(1) || clear_for < alert.keep_firing_for)
                    {
                        continue;
                    }
                    let alert = self.state.alerts.remove(&id).expect("present");
                    if alert.phase == Phase::Pending {
                        continue;
                    }
                    if alert.announced {
                        let message = message.unwrap_or_else(|| Message {
                            title: format!("Resolved: {}", alert.message.title),
                            text: alert.message.text.clone(),
                            fields: Vec::new(),
                        });
                        out.push(self.tell(&id, &alert.site, alert.severity, NotificationKind::Resolved, message, now));
                    }
                    self.mark_quiet_if_done(&alert.site, now);
                }
                Finding::Event { id, layer, severity, message } => {
                    if self.silenced(&id, now) {
                        continue;
                    }
                    if self.inhibited(site, layer) {
                        self.state.deferred.push(Deferred { site: site.to_string(), id, layer, severity, message });
                        continue;
                    }
                    out.push(self.tell(&id, site, severity, NotificationKind::Event, message, now));
                    self.mark_quiet_if_done(site, now);
                }
            }
        }
        out.extend(self.announce_due(now));
        out
    }

    /// Time passes: reminders, silences lifted, incidents closed.
    pub fn tick(&mut self, now: SystemTime) -> Vec<Notification> {
        self.state.silences.retain(|s| now < s.until);
        let grace = self.config.incident_grace;
        self.state.incidents.retain(|_, i| i.quiet_since.is_none_or(|q| now.duration_since(q).unwrap_or_default() < grace));
        self.announce_due(now)
    }

    /// Firing alerts not yet announced (and no longer silenced or inhibited), events held back
    /// whose lower layer is back, and reminders.
    fn announce_due(&mut self, now: SystemTime) -> Vec<Notification> {
        let mut out = Vec::new();
        let deferred = std::mem::take(&mut self.state.deferred);
        for event in deferred {
            if self.inhibited(&event.site, event.layer) {
                self.state.deferred.push(event);
            } else {
                out.push(self.tell(&event.id, &event.site, event.severity, NotificationKind::Event, event.message, now));
                self.mark_quiet_if_done(&event.site, now);
            }
        }
        let ids: Vec<AlertId> = self.state.alerts.keys().cloned().collect();
        for id in ids {
            let alert = &self.state.alerts[&id];
            if alert.phase != Phase::Firing || self.silenced(&id, now) || self.inhibited(&alert.site, alert.layer) {
                continue;
            }
            let kind = if !alert.announced {
                NotificationKind::Firing
            } else if !self.config.reminder.is_zero()
                && alert.last_told.is_some_and(|t| now.duration_since(t).unwrap_or_default() >= self.config.reminder)
            {
                NotificationKind::Reminder
            } else {
                continue;
            };
            let (site, severity, message) = (alert.site.clone(), alert.severity, alert.message.clone());
            let notification = self.tell(&id, &site, severity, kind, message, now);
            let alert = self.state.alerts.get_mut(&id).expect("present");
            alert.announced = true;
            alert.last_told = Some(now);
            out.push(notification);
        }
        out
    }

    fn silenced(&self, id: &AlertId, now: SystemTime) -> bool {
        self.state.silences.iter().any(|s| s.covers(id, now))
    }

    /// A critical alert firing at a lower layer of the same site (the line down, the modem
    /// unreachable, the PPP link down) explains this one. Warnings (a CRC burst, a low margin)
    /// explain nothing above them.
    fn inhibited(&self, site: &str, layer: Layer) -> bool {
        self.state
            .alerts
            .values()
            .any(|a| a.site == site && a.phase == Phase::Firing && a.layer < layer && a.severity == Severity::Critical)
    }

    /// Adds an entry to the site's open incident (opening one if needed) and makes the
    /// notification that tells it.
    fn tell(&mut self, id: &AlertId, site: &str, severity: Severity, kind: NotificationKind, message: Message, now: SystemTime) -> Notification {
        let next_id = &mut self.state.next_id;
        let incident = self.state.incidents.entry(site.to_string()).or_insert_with(|| {
            *next_id += 1;
            Incident {
                view: IncidentView {
                    id: *next_id,
                    site: site.to_string(),
                    title: message.title.clone(),
                    severity,
                    opened_at: now,
                    resolved: false,
                    entries: Vec::new(),
                },
                quiet_since: None,
            }
        });
        if kind != NotificationKind::Resolved {
            incident.quiet_since = None;
            incident.view.resolved = false;
        }
        incident.view.entries.push(IncidentEntry { at: now, kind, severity, text: message.title.clone() });
        let firing: Vec<Severity> = self
            .state
            .alerts
            .iter()
            .filter(|(other, a)| a.site == site && a.phase == Phase::Firing && *other != id)
            .map(|(_, a)| a.severity)
            .collect();
        let incident = self.state.incidents.get_mut(site).expect("just inserted");
        incident.view.severity = firing.iter().copied().chain(std::iter::once(severity)).max().unwrap_or(severity);
        if kind == NotificationKind::Resolved && firing.is_empty() {
            incident.view.resolved = true;
        }
        Notification {
            incident: incident.view.id,
            site: site.to_string(),
            kind,
            alert: id.clone(),
            severity,
            message,
            at: now,
            incident_view: incident.view.clone(),
        }
    }

    /// When no alert of the site fires any more, its incident starts its grace period.
    fn mark_quiet_if_done(&mut self, site: &str, now: SystemTime) {
        let still = self.state.alerts.values().any(|a| a.site == site && a.phase == Phase::Firing);
        if let Some(incident) = self.state.incidents.get_mut(site)
            && !still
        {
            incident.quiet_since.get_or_insert(now);
        }
    }
}

#[cfg(test)]
mod tests;
