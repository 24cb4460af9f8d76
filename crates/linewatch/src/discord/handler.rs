//! Answering interactions. Each runs in its own task. The first answer goes out at once: what
//! the snapshot knows is answered directly; what needs the modem or the store is deferred
//! (type 5, or 6 for a button) and filled in when ready. A failure reaches the user as an
//! ephemeral message, never as silence.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use twilight_model::application::interaction::application_command::CommandData;
use twilight_model::application::interaction::{Interaction, InteractionData, InteractionType};
use xdsl::{Counter, Direction, LineReading};

use super::commands::{self, Options};
use super::rest::{File, Rest};
use super::views;
use super::{Admins, BotOptions, Records, Target};
use crate::charts::metric::{MAX_POINTS, render_from_store};
use crate::daemon::control::{Control, Latest, ModemAction};
use crate::metrics::counter_metric;
use crate::notify::discord::relative_time;
use crate::store::{AuditEntry, BotRecords, Query, Store, StoreError};

const EPHEMERAL: u64 = 64;
/// The longest silence `/silence` takes.
const MAX_SILENCE: Duration = Duration::from_secs(30 * 24 * 3600);
const DEFAULT_RANGE: Duration = Duration::from_secs(24 * 3600);
/// A reading this young answers a Refresh without asking the modem again.
const FRESH_ENOUGH: Duration = Duration::from_secs(5);
/// How long autocomplete waits for the store's metric names (it has 3 s in all).
const AUTOCOMPLETE_PATIENCE: Duration = Duration::from_millis(1500);

/// A resync or reboot waiting for its confirmation.
struct Pending {
    action: ModemAction,
    target: String,
    /// The token of the command, whose message carries the button.
    token: String,
}

/// What every interaction task shares.
pub struct Ctx {
    rest: Arc<Rest>,
    control: Control,
    admins: Admins,
    modems: Vec<Target>,
    /// What watches the WAN: the firewalls, or our own probes.
    wans: Vec<Target>,
    options: BotOptions,
    /// Opened on first use: the daemon creates the file.
    store: Mutex<Option<Store>>,
    records: Records,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Ctx {
    pub fn new(rest: Arc<Rest>, control: Control, admins: Admins, modems: Vec<Target>, wans: Vec<Target>, options: BotOptions) -> Ctx {
        Ctx {
            records: Records::new(control.store_path.clone()),
            rest,
            control,
            admins,
            modems,
            wans,
            options,
            store: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `query` on the read-only store, off the async threads.
    async fn with_store<T: Send + 'static>(self: &Arc<Self>, query: impl FnOnce(&Store) -> Result<T, String> + Send + 'static) -> Result<T, String> {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = ctx.store.lock().unwrap_or_else(|e| e.into_inner());
            if store.is_none() {
                *store = Some(Store::open_read_only(&ctx.control.store_path).map_err(|e| format!("the history cannot be read: {e}"))?);
            }
            query(store.as_ref().expect("just opened"))
        })
        .await
        .map_err(|e| format!("the query failed: {e}"))?
    }

    /// Runs `f` on the bot's records (audit log), off the async threads.
    async fn with_records<T: Send + 'static>(&self, f: impl FnOnce(&BotRecords) -> Result<T, StoreError> + Send + 'static) -> Result<T, String> {
        self.records.with(f).await.map_err(|e| format!("the audit log: {e}"))
    }

    /// Writes to the audit log (a failure is logged: the action itself goes on).
    async fn audit(self: &Arc<Self>, who: &Who, action: &str, target: &str, allowed: bool, detail: &str) {
        let entry = AuditEntry {
            at: SystemTime::now(),
            user_id: who.id,
            user_name: who.name.clone(),
            action: action.to_string(),
            target: target.to_string(),
            allowed,
            detail: detail.to_string(),
        };
        tracing::info!(user = %entry.user_name, user_id = entry.user_id, action, target, allowed, detail, "audit");
        if let Err(e) = self.with_records(move |records| records.audit(&entry)).await {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }

    fn modem_names(&self) -> impl Iterator<Item = &str> {
        self.modems.iter().map(|t| t.name.as_str())
    }

    /// The modems an optional `target` means: the one named, or all.
    fn modems_for(&self, target: Option<&str>) -> Result<Vec<&Target>, String> {
        match target {
            Some(name) => self.modems.iter().find(|t| t.name == name).map(|t| vec![t]).ok_or_else(|| unknown("modem", name, self.modem_names())),
            None if self.modems.is_empty() => Err("no modem is configured ([[modem]] in linewatch.toml)".into()),
            None => Ok(self.modems.iter().collect()),
        }
    }

    /// The one modem a command acts on: the one named, or the only one.
    fn one_modem(&self, target: Option<&str>) -> Result<String, String> {
        let modems = self.modems_for(target)?;
        match modems.as_slice() {
            [one] => Ok(one.name.clone()),
            _ => Err(format!("which modem? Give `target`: {}", self.modem_names().collect::<Vec<_>>().join(", "))),
        }
    }
}

fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    if known.is_empty() { format!("there is no {what} named {name:?}: none is configured") } else { format!("there is no {what} named {name:?}; known: {}", known.join(", ")) }
}

/// Who interacts.
struct Who {
    id: u64,
    name: String,
    roles: Vec<u64>,
}

impl Who {
    fn of(interaction: &Interaction) -> Who {
        let user = interaction.author();
        Who {
            id: interaction.author_id().map(|id| id.get()).unwrap_or_default(),
            name: user.map(|u| u.global_name.clone().unwrap_or_else(|| u.name.clone())).unwrap_or_else(|| "someone".into()),
            roles: interaction.member.as_ref().map(|m| m.roles.iter().map(|r| r.get()).collect()).unwrap_or_default(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Acked {
    No,
    /// Type 5: a loading message to fill in.
    Deferred,
    /// Type 4, 6, 7 or 8: the first answer is given.
    Done,
}

/// One interaction's answers, in Discord's order: one initial response, then edits and
/// follow-ups.
struct Reply {
    rest: Arc<Rest>,
    id: u64,
    token: String,
    acked: Acked,
}

impl Reply {
    async fn initial(&mut self, kind: u8, data: Option<Value>) -> Result<(), String> {
        let mut body = json!({ "type": kind });
        if let Some(data) = data {
            body["data"] = data;
        }
        self.rest.callback(self.id, &self.token, &body).await.map_err(|e| format!("cannot answer: {e}"))?;
        self.acked = if kind == 5 { Acked::Deferred } else { Acked::Done };
        Ok(())
    }

    async fn message(&mut self, body: Value) -> Result<(), String> {
        self.initial(4, Some(body)).await
    }

    async fn ephemeral(&mut self, mut body: Value) -> Result<(), String> {
        body["flags"] = EPHEMERAL.into();
        self.initial(4, Some(body)).await
    }

    async fn defer(&mut self, ephemeral: bool) -> Result<(), String> {
        self.initial(5, ephemeral.then(|| json!({ "flags": EPHEMERAL }))).await
    }

    /// Fills in a deferred answer, or edits the message a button is on.
    async fn edit(&self, body: &Value, files: &[File]) -> Result<(), String> {
        self.rest.edit_original(&self.token, body, files).await.map_err(|e| format!("cannot show the answer: {e}"))
    }

    async fn followup(&self, body: &Value) -> Result<(), String> {
        self.rest.followup(&self.token, body).await.map_err(|e| format!("cannot post: {e}"))
    }

    /// Tells the user what went wrong, only to them.
    async fn error(&mut self, text: &str) {
        let mut body = views::text(&format!("⚠️ {text}"));
        body["flags"] = EPHEMERAL.into();
        let sent = match self.acked {
            Acked::No => self.initial(4, Some(body)).await,
            Acked::Deferred => {
                // A deferred public answer cannot turn ephemeral: it goes, the error follows.
                let _ = self.rest.delete_original(&self.token).await;
                self.followup(&body).await
            }
            Acked::Done => self.followup(&body).await,
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot tell the user about an error: {text}");
        }
    }
}

/// Answers one interaction.
pub async fn interaction(ctx: Arc<Ctx>, interaction: Interaction) {
    let who = Who::of(&interaction);
    let mut reply = Reply { rest: ctx.rest.clone(), id: interaction.id.get(), token: interaction.token.clone(), acked: Acked::No };
    let result = match (interaction.kind, &interaction.data) {
        (InteractionType::ApplicationCommandAutocomplete, Some(InteractionData::ApplicationCommand(data))) => {
            autocomplete(&ctx, &mut reply, data).await
        }
        (InteractionType::ApplicationCommand, Some(InteractionData::ApplicationCommand(data))) => {
            command(&ctx, &mut reply, &who, data).await
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data))) => {
            component(&ctx, &mut reply, &who, &data.custom_id).await
        }
        _ => Ok(()),
    };
    if let Err(text) = result {
        tracing::debug!(user = %who.name, "interaction answered with an error: {text}");
        reply.error(&text).await;
    }
}

async fn autocomplete(ctx: &Arc<Ctx>, reply: &mut Reply, data: &CommandData) -> Result<(), String> {
    let options = Options(&data.options);
    let (option, typed) = options.focused().unwrap_or(("", ""));
    let choices = match option {
        "target" => {
            let wans = ctx.wans.iter().map(|t| t.name.as_str());
            match data.name.as_str() {
                "wan" => commands::choices(wans, typed),
                "graph" => commands::choices(ctx.modem_names().chain(wans), typed),
                _ => commands::choices(ctx.modem_names(), typed),
            }
        }
        "metric" => {
            let target = options.string("target").map(str::to_string);
            // Autocomplete cannot be deferred: if the store is busy (a long chart), the known names do.
            let stored = ctx.with_store(move |store| Ok(store_metrics(store, target.as_deref())));
            let stored = tokio::time::timeout(AUTOCOMPLETE_PATIENCE, stored).await.ok().and_then(Result::ok).unwrap_or_default();
            let names = commands::METRICS.iter().copied().chain(stored.iter().map(String::as_str));
            commands::choices(names, typed)
        }
        "rule" => commands::choices(std::iter::once("all").chain(commands::RULES), typed),
        _ => json!([]),
    };
    reply.initial(8, Some(json!({ "choices": choices }))).await
}

/// The metrics the store holds for a target (or every target).
fn store_metrics(store: &Store, target: Option<&str>) -> Vec<String> {
    let targets = match target {
        Some(t) => vec![t.to_string()],
        None => store.targets().unwrap_or_default(),
    };
    targets.iter().flat_map(|t| store.metrics(t).unwrap_or_default()).collect()
}

async fn command(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, data: &CommandData) -> Result<(), String> {
    let options = Options(&data.options);
    match data.name.as_str() {
        "status" => status(ctx, reply, options.string("target")).await,
        "errors" => errors(ctx, reply, options.string("target"), options.string("window")).await,
        "graph" => graph(ctx, reply, options.string("metric"), options.string("range"), options.string("target")).await,
        "wan" => wan(ctx, reply, options.string("target")).await,
        "uptime" => uptime(ctx, reply, options.string("target")).await,
        "events" => events(ctx, reply, options.integer("n")).await,
        "silence" => silence(ctx, reply, who, options.string("rule"), options.string("duration")).await,
        "unsilence" => unsilence(ctx, reply, who, options.string("rule")).await,
        "resync" => ask(ctx, reply, who, ModemAction::Resync, options.string("target")).await,
        "reboot" => ask(ctx, reply, who, ModemAction::Reboot, options.string("target")).await,
        "audit" => audit(ctx, reply, who, options.integer("n")).await,
        "help" => reply.ephemeral(views::message(vec![views::help()])).await,
        other => Err(format!("linewatch has no command /{other}")),
    }
}

/// The Refresh button of a status message: which modems it reads again.
fn refresh_button(targets: &[&Target], all: bool) -> Value {
    let custom_id = match targets {
        [one] if !all && one.name.len() <= 90 => format!("refresh:{}", one.name),
        _ => "refresh:*".to_string(),
    };
    json!([{ "type": 1, "components": [{ "type": 2, "style": 2, "label": "Refresh", "emoji": { "name": "🔄" }, "custom_id": custom_id }] }])
}

/// The status embeds of `targets` from what is known now (`fresh` overrides the snapshot).
fn status_embeds(ctx: &Ctx, targets: &[&Target], fresh: &HashMap<String, Latest<LineReading>>) -> Vec<Value> {
    let snapshot = ctx.control.status.read();
    targets
        .iter()
        .map(|t| {
            let latest = fresh.get(&t.name).or_else(|| snapshot.lines.get(&t.name));
            // The WAN of the site's firewall, when there is one.
            let wan = ctx
                .wans
                .iter()
                .filter(|f| f.site == t.site)
                .find_map(|f| snapshot.wans.get(&f.name).and_then(|w| w.last_good.as_ref().map(|(_, r)| r)));
            views::line_status(&t.name, latest, &snapshot.firing, wan)
        })
        .collect()
}

/// Reads the modems now; the readings (or why not) by name. A reading of the last few
/// seconds is as good as a new one: pressing Refresh repeatedly does not hammer the modem.
async fn read_now(ctx: &Ctx, targets: &[&Target]) -> HashMap<String, Latest<LineReading>> {
    let reads = targets.iter().map(|t| async move {
        let recent = ctx.control.status.read().lines.get(&t.name).filter(|l| l.result.is_ok() && l.at.elapsed().is_ok_and(|age| age < FRESH_ENOUGH)).cloned();
        if let Some(latest) = recent {
            return (t.name.clone(), latest);
        }
        let result = ctx.control.refresh(&t.name).await;
        let last_good = match &result {
            Ok(reading) => Some((SystemTime::now(), reading.clone())),
            Err(_) => ctx.control.status.read().lines.get(&t.name).and_then(|l| l.last_good.clone()),
        };
        (t.name.clone(), Latest { at: SystemTime::now(), result, last_good })
    });
    futures_util::future::join_all(reads).await.into_iter().collect()
}

async fn status(ctx: &Arc<Ctx>, reply: &mut Reply, target: Option<&str>) -> Result<(), String> {
    let targets = ctx.modems_for(target)?;
    let unread: Vec<&Target> = {
        let snapshot = ctx.control.status.read();
        targets.iter().copied().filter(|t| !snapshot.lines.contains_key(&t.name)).collect()
    };
    let components = refresh_button(&targets, target.is_none());
    if unread.is_empty() {
        let mut body = views::message(status_embeds(ctx, &targets, &HashMap::new()));
        body["components"] = components;
        return reply.message(body).await;
    }
    // Not read yet (the daemon just started): read now, after telling Discord we will answer.
    reply.defer(false).await?;
    let fresh = read_now(ctx, &unread).await;
    let mut body = views::message(status_embeds(ctx, &targets, &fresh));
    body["components"] = components;
    reply.edit(&body, &[]).await
}

/// A click on a button.
async fn component(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, custom_id: &str) -> Result<(), String> {
    let (kind, argument) = custom_id.split_once(':').unwrap_or((custom_id, ""));
    match kind {
        "refresh" => {
            let targets = ctx.modems_for((argument != "*").then_some(argument))?;
            // The same message is edited: acknowledge now, read, then edit.
            reply.initial(6, None).await?;
            let fresh = read_now(ctx, &targets).await;
            let mut body = views::message(status_embeds(ctx, &targets, &fresh));
            body["components"] = refresh_button(&targets, argument == "*");
            reply.edit(&body, &[]).await
        }
        "confirm" | "cancel" => confirm(ctx, reply, who, argument, kind == "confirm").await,
        _ => Err("this button is not linewatch's (or from an older version): nothing was done".into()),
    }
}

fn action_name(action: ModemAction) -> &'static str {
    match action {
        ModemAction::Resync => "resync",
        ModemAction::Reboot => "reboot",
        ModemAction::Read => "read",
    }
}

/// `/resync`, `/reboot`: admins are asked to confirm; everyone else is told no. Both audited,
/// after the answer (Discord's 3 seconds come first).
async fn ask(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, action: ModemAction, target: Option<&str>) -> Result<(), String> {
    let name = action_name(action);
    if !ctx.admins.admits(who.id, &who.roles) {
        let why = "only linewatch's admins may do this (admin_user_ids and admin_role_ids in [discord]), and you are not one of them";
        // Audited even when the target is wrong or missing.
        let target = ctx.one_modem(target).unwrap_or_else(|_| target.unwrap_or("(no target given)").to_string());
        let answered = reply.ephemeral(views::text(&format!("⛔ Denied: the {name} of {target} was refused because {why}. Nothing was done."))).await;
        ctx.audit(who, name, &target, false, why).await;
        return answered;
    }
    let target = ctx.one_modem(target)?;
    let nonce = reply.id.to_string();
    let timeout = ctx.options.confirm_timeout;
    ctx.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(nonce.clone(), Pending { action, target: target.clone(), token: reply.token.clone() });
    // Unconfirmed, it expires: the button goes away.
    let expiry = {
        let (ctx, nonce) = (ctx.clone(), nonce.clone());
        let who = Who { id: who.id, name: who.name.clone(), roles: who.roles.clone() };
        async move {
            tokio::time::sleep(timeout).await;
            let expired = ctx.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&nonce);
            if let Some(pending) = expired {
                let body = json!({
                    "content": format!("⌛ Expired: the {name} of {} was not confirmed within {} s. Nothing was done.", pending.target, timeout.as_secs()),
                    "components": [],
                });
                if let Err(e) = ctx.rest.edit_original(&pending.token, &body, &[]).await {
                    tracing::warn!(error = %e, "cannot mark a confirmation as expired");
                }
                ctx.audit(&who, &format!("{name} expired"), &pending.target, true, "not confirmed in time; nothing was done").await;
            }
        }
    };
    tokio::spawn(expiry);
    let what = match action {
        ModemAction::Reboot => format!("Reboot **{target}**? The modem goes away for a minute or two; the line drops."),
        _ => format!("Resync **{target}**? The line drops and trains again (about a minute without Internet)."),
    };
    let body = json!({
        "content": format!("{what}\nThis button expires {}.", relative_time(SystemTime::now() + timeout)),
        "allowed_mentions": { "parse": [] },
        "components": [{ "type": 1, "components": [
            { "type": 2, "style": 4, "label": format!("Confirm {name}"), "custom_id": format!("confirm:{nonce}") },
            { "type": 2, "style": 2, "label": "Cancel", "custom_id": format!("cancel:{nonce}") },
        ] }],
    });
    let answered = reply.ephemeral(body).await;
    ctx.audit(who, name, &target, true, "asked; waiting for confirmation").await;
    answered
}

/// The confirmation (or cancellation) of a resync/reboot.
async fn confirm(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, nonce: &str, confirmed: bool) -> Result<(), String> {
    if !ctx.admins.admits(who.id, &who.roles) {
        // The request stays for the admin who asked, until it expires.
        let asked = ctx.pending.lock().unwrap_or_else(|e| e.into_inner()).get(nonce).map(|p| (p.action, p.target.clone()));
        let (name, target) = asked.map_or(("resync/reboot", "?".to_string()), |(action, target)| (action_name(action), target));
        let why = "only linewatch's admins may confirm it";
        let answered = reply.ephemeral(views::text(&format!("⛔ Denied: {why}. Nothing was done."))).await;
        ctx.audit(who, &format!("{name} confirm"), &target, false, why).await;
        return answered;
    }
    let pending = ctx.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(nonce);
    let Some(pending) = pending else {
        let body = json!({ "content": "⌛ This confirmation has expired or was already answered. Nothing was done.", "components": [] });
        return reply.initial(7, Some(body)).await;
    };
    let name = action_name(pending.action);
    let target = pending.target.clone();
    if !confirmed {
        let answered = reply.initial(7, Some(json!({ "content": format!("Cancelled: no {name} of {target}."), "components": [] }))).await;
        ctx.audit(who, &format!("{name} cancelled"), &target, true, "nothing was done").await;
        return answered;
    }
    let body = json!({ "content": format!("⏳ {name} of **{target}** asked by {}: sending it to the modem…", who.name), "components": [] });
    // Not acknowledged in time, the click is void for Discord: nothing is sent to the modem.
    reply.initial(7, Some(body)).await?;
    ctx.audit(who, &format!("{name} confirmed"), &target, true, "sent to the modem").await;
    let started = SystemTime::now();
    if let Err(e) = ctx.control.act(&target, pending.action).await {
        ctx.audit(who, &format!("{name} failed"), &target, true, &e).await;
        return Err(format!("the {name} of {target} failed: {e}"));
    }
    let sent = SystemTime::now();
    let _ = reply.edit(&json!({ "content": format!("⏳ {name} of **{target}** sent {}: waiting for the line to come back…", relative_time(sent)) }), &[]).await;
    let text = match outcome(ctx, &target, started, sent).await {
        Ok((at, reading)) => {
            let took = at.duration_since(started).unwrap_or_default().as_secs();
            format!(
                "✅ **{target}** is back in showtime {} after the {name} (asked by {}): {} (attainable {}).",
                crate::render::duration(took),
                who.name,
                views::rates(&reading, |d| d.rate_bps),
                views::rates(&reading, |d| d.attainable_bps),
            )
        }
        Err(why) => format!("⚠️ After the {name} asked by {}, **{target}** {why}.", who.name),
    };
    ctx.audit(who, &format!("{name} outcome"), &target, true, &text).await;
    reply.followup(&views::text(&text)).await
}

/// The line back after an action asked for at `started`: the first showtime reading taken
/// after `sent` that follows a drop (a reading out of showtime or none at all), or whose line
/// uptime shows it trained after `started`. A modem that took its time to act is not "back".
async fn outcome(ctx: &Ctx, target: &str, started: SystemTime, sent: SystemTime) -> Result<(SystemTime, LineReading), String> {
    let mut changes = ctx.control.status.subscribe();
    let wait = async {
        let mut dropped = false;
        loop {
            if let Some(latest) = ctx.control.status.read().lines.get(target)
                && latest.at > sent
            {
                match &latest.result {
                    Ok(reading) if reading.is_showtime() => {
                        let trained_since = latest.at.duration_since(started).unwrap_or_default();
                        if dropped || reading.uptime_s.is_some_and(|up| up < trained_since.as_secs()) {
                            return (latest.at, reading.clone());
                        }
                    }
                    _ => dropped = true,
                }
            }
            if changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    let limit = ctx.options.outcome_timeout;
    tokio::time::timeout(limit, wait).await.map_err(|_| format!("was not back in showtime within {}", crate::render::duration(limit.as_secs())))
}

/// The `n` option of `/events` and `/audit`: 10 unless given, at most 25 (as registered).
fn how_many(n: Option<i64>) -> usize {
    n.unwrap_or(10).clamp(1, 25) as usize
}

async fn audit(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, n: Option<i64>) -> Result<(), String> {
    if !ctx.admins.admits(who.id, &who.roles) {
        return reply.ephemeral(views::text("⛔ Denied: the audit log is for linewatch's admins only (admin_user_ids and admin_role_ids in [discord]).")).await;
    }
    reply.defer(true).await?;
    let n = how_many(n);
    let entries = ctx.with_records(move |records| records.recent_audit(n)).await?;
    reply.edit(&views::message(vec![views::audit(&entries)]), &[]).await
}

/// `/errors`: our own deltas summed per window.
async fn errors(ctx: &Arc<Ctx>, reply: &mut Reply, target: Option<&str>, window: Option<&str>) -> Result<(), String> {
    let target = match target {
        Some(t) => ctx.one_modem(Some(t))?,
        None => ctx.modems.first().map(|t| t.name.clone()).ok_or("no modem is configured")?,
    };
    let uptime = ctx.control.status.read().lines.get(&target).and_then(|l| l.last_good.as_ref().and_then(|(at, r)| Some((*at, r.uptime_s?))));
    let now = SystemTime::now();
    // Keyed by the codes of the `window` option.
    let mut windows: Vec<(&str, String, SystemTime)> = vec![
        ("15m", "Last 15 min".into(), now - Duration::from_secs(15 * 60)),
        ("1d", "Last day".into(), now - Duration::from_secs(24 * 3600)),
        ("7d", "Last 7 days".into(), now - Duration::from_secs(7 * 24 * 3600)),
    ];
    if let Some((at, up)) = uptime
        && let Some(since) = views::trained_at(at, up)
    {
        windows.push(("retrain", format!("Since the last retrain ({})", crate::render::duration(up)), since));
    }
    if let Some(wanted) = window {
        windows.retain(|(code, ..)| *code == wanted);
    }
    if windows.is_empty() {
        return Err(match window {
            Some("retrain") => format!("{target} has no reading of its line uptime yet, so the last retrain is not known"),
            _ => "window must be one of 15m, 1d, 7d, retrain".to_string(),
        });
    }
    reply.defer(false).await?;
    let name = target.clone();
    let rows = ctx
        .with_store(move |store| {
            let count = |counter: Counter, direction: Direction, since: SystemTime| -> Option<f64> {
                let (metric, label) = counter_metric(counter);
                let sums = store.sum(&name, metric, Some(direction), since, now).ok()?;
                let matching: Vec<f64> = sums
                    .iter()
                    .filter(|s| label.is_none_or(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v)))
                    .filter(|s| s.count > 0)
                    .map(|s| s.sum)
                    .collect();
                (!matching.is_empty()).then(|| matching.iter().sum())
            };
            Ok(windows
                .into_iter()
                .map(|(_, label, since)| {
                    let row = |d| [Counter::Crc, Counter::Fec, Counter::Es, Counter::Ses].map(|c| count(c, d, since));
                    views::ErrorWindow { label, counts: [row(Direction::Down), row(Direction::Up)] }
                })
                .collect::<Vec<_>>())
        })
        .await?;
    reply.edit(&views::message(vec![views::errors(&target, &rows)]), &[]).await
}

/// `/graph`: the chart of the store's data as a PNG attached to an embed.
async fn graph(ctx: &Arc<Ctx>, reply: &mut Reply, metric: Option<&str>, range: Option<&str>, target: Option<&str>) -> Result<(), String> {
    let metric = metric.ok_or("give a metric, e.g. dsl_signal_to_noise_margin_db")?.to_string();
    if metric.len() > 100 || !metric.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("{metric:?} is not a metric name: they look like dsl_signal_to_noise_margin_db"));
    }
    let range = match range {
        Some(text) => humantime::parse_duration(text).map_err(|_| format!("range {text:?} is not a duration such as 24h or 7d"))?,
        None => DEFAULT_RANGE,
    };
    if range.is_zero() || range > Duration::from_secs(3650 * 24 * 3600) {
        return Err("range must be between 1s and 10 years".into());
    }
    let target = match target {
        Some(t) if ctx.modems.iter().chain(&ctx.wans).any(|x| x.name == t) => t.to_string(),
        Some(t) => return Err(unknown("target", t, ctx.modem_names().chain(ctx.wans.iter().map(|f| f.name.as_str())))),
        None => {
            let pool = if metric.starts_with("wan_") { &ctx.wans } else { &ctx.modems };
            pool.first().map(|t| t.name.clone()).ok_or("no target is configured for this metric")?
        }
    };
    reply.defer(false).await?;
    let until = SystemTime::now();
    let since = until - range;
    let (name, what) = (target.clone(), metric.clone());
    let (png, since) = ctx
        .with_store(move |store| {
            let since = young_history_start(store, &name, &what, since, until);
            render_from_store(store, &name, &what, None, since, until).map(|png| (png, since)).map_err(|e| e.to_string())
        })
        .await?;
    let filename = format!("{metric}.png");
    let body = views::chart(&metric, &target, since, until, &filename);
    reply.edit(&body, &[File { name: filename, data: png }]).await
}

/// A history younger than the range is charted from its first reading (and a little before),
/// not as a sliver at the right edge of an empty chart.
fn young_history_start(store: &Store, target: &str, metric: &str, since: SystemTime, until: SystemTime) -> SystemTime {
    let query = Query { target: target.into(), metric: metric.into(), direction: None, since, until, max_points: MAX_POINTS };
    let first = store.query(&query).ok().and_then(|series| series.iter().filter_map(|s| s.points.first().map(|p| p.at)).min());
    match first {
        Some(first) if first > since => {
            let span = until.duration_since(first).unwrap_or_default().max(Duration::from_secs(60));
            (first - span / 20).max(since)
        }
        _ => since,
    }
}

async fn wan(ctx: &Arc<Ctx>, reply: &mut Reply, target: Option<&str>) -> Result<(), String> {
    let names: Vec<&str> = match target {
        Some(name) if ctx.wans.iter().any(|f| f.name == name) => vec![name],
        Some(name) => return Err(unknown("WAN target", name, ctx.wans.iter().map(|f| f.name.as_str()))),
        None if ctx.wans.is_empty() => return Err("nothing watches the WAN: /wan shows what a [[firewall]] reports, or without one linewatch's own probes ([wan])".into()),
        None => ctx.wans.iter().map(|f| f.name.as_str()).collect(),
    };
    let embeds: Vec<Value> = {
        let snapshot = ctx.control.status.read();
        names
            .iter()
            .map(|name| match snapshot.wans.get(*name) {
                Some(latest) => views::wan_status(name, latest, &snapshot.firing),
                None => json!({ "title": format!("🌐 {name}"), "description": "No reading yet.", "color": views::BLUE }),
            })
            .collect()
    };
    reply.message(views::message(embeds)).await
}

async fn uptime(ctx: &Arc<Ctx>, reply: &mut Reply, target: Option<&str>) -> Result<(), String> {
    let targets = ctx.modems_for(target)?;
    let embed = {
        let snapshot = ctx.control.status.read();
        let lines: Vec<(String, Option<&Latest<LineReading>>)> = targets.iter().take(25).map(|t| (t.name.clone(), snapshot.lines.get(&t.name))).collect();
        views::uptime(&lines, SystemTime::now())
    };
    reply.message(views::message(vec![embed])).await
}

async fn events(ctx: &Arc<Ctx>, reply: &mut Reply, n: Option<i64>) -> Result<(), String> {
    let n = how_many(n);
    reply.defer(false).await?;
    let now = SystemTime::now();
    // Enough to pair each outage with its end.
    let events = ctx.with_store(move |store| store.events(None, now - Duration::from_secs(365 * 24 * 3600), now, n * 2).map_err(|e| e.to_string())).await?;
    let shown = &events[events.len().saturating_sub(n)..];
    let embed = {
        let snapshot = ctx.control.status.read();
        views::events(shown, &snapshot.firing, &snapshot.silences)
    };
    reply.edit(&views::message(vec![embed]), &[]).await
}

async fn silence(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, rule: Option<&str>, duration: Option<&str>) -> Result<(), String> {
    let rule = rule.ok_or("give a rule (or all)")?;
    if rule != "all" && !commands::RULES.contains(&rule) {
        return Err(format!("there is no rule {rule:?}; the rules are: all, {}", commands::RULES.join(", ")));
    }
    let text = duration.ok_or("give a duration, e.g. 2h")?;
    let duration = humantime::parse_duration(text).map_err(|_| format!("{text:?} is not a duration such as 30m, 2h or 1d"))?;
    if duration.is_zero() || duration > MAX_SILENCE {
        return Err("a silence lasts between 1s and 30 days".into());
    }
    // The pipeline may be busy committing: answer later.
    reply.defer(false).await?;
    let until = SystemTime::now() + duration;
    let rule = (rule != "all").then(|| rule.to_string());
    ctx.control.silence(rule.clone(), until, &who.name).await?;
    let what = rule.as_ref().map(|r| format!("`{r}`")).unwrap_or_else(|| "every rule".into());
    let text = format!("🔕 {what} silenced until {} by {} (for {}).", relative_time(until), who.name, humantime::format_duration(duration));
    let answered = reply.edit(&views::text(&text), &[]).await;
    ctx.audit(who, "silence", rule.as_deref().unwrap_or("all"), true, &text).await;
    answered
}

async fn unsilence(ctx: &Arc<Ctx>, reply: &mut Reply, who: &Who, rule: Option<&str>) -> Result<(), String> {
    reply.defer(false).await?;
    let rule = rule.filter(|r| *r != "all").map(str::to_string);
    let lifted = ctx.control.unsilence(rule.clone()).await?;
    let what = rule.as_ref().map(|r| format!(" of {r}")).unwrap_or_default();
    let text = format!("🔔 {lifted} silence(s){what} lifted by {}; what still fires is announced again.", who.name);
    let answered = reply.edit(&views::text(&text), &[]).await;
    ctx.audit(who, "unsilence", rule.as_deref().unwrap_or("all"), true, &text).await;
    answered
}
