//! INTERACTION_CREATE payloads injected by tests (§3.2 slash commands, §3.3 button clicks).

use crate::{
    InteractionHandle, Invoker,
    state::{Interaction, Shared, State, user_json},
};
use serde_json::{Value, json};
use std::time::Instant;

/// A slash command (kind 2) or an autocomplete request (kind 4) for the command `name`.
pub(crate) fn command(shared: &Shared, kind: u8, name: &str, options: Value, invoker: &Invoker) -> InteractionHandle {
    let mut st = shared.lock();
    let guild = Some(shared.opts.guild_id);
    let registered = [guild, None].into_iter().find_map(|scope| {
        let found = st.commands.get(&scope)?.iter().find(|c| c["name"] == name && c["type"] == 1)?;
        Some((found["id"].clone(), scope))
    });
    // An unregistered command still gets a stable id, as if registered in the guild.
    let (command_id, scope) = registered.unwrap_or_else(|| {
        let id = *st.command_ids.entry((guild, name.to_owned(), 1)).or_insert_with(|| shared.next_id());
        (json!(id.to_string()), guild)
    });
    let mut data = json!({ "id": command_id, "name": name, "type": 1, "options": options });
    if let Some(guild_id) = scope {
        data["guild_id"] = json!(guild_id.to_string());
    }
    inject(shared, &mut st, kind, invoker, data, None)
}

/// A click on a button of a stored message.
pub(crate) fn click(shared: &Shared, message_id: u64, custom_id: &str, invoker: &Invoker) -> InteractionHandle {
    let mut st = shared.lock();
    let message = st.messages.get(&message_id).map(|m| m.json.clone()).unwrap_or_else(|| {
        panic!("click_button: message {message_id} is not in the mock (deleted, or never sent)")
    });
    let clickable = find_button(&message["components"], custom_id)
        .is_some_and(|b| b["disabled"] != true && b["style"] != 5 && b["style"] != 6);
    assert!(clickable, "click_button: message {message_id} has no enabled button {custom_id:?}: {}", message["components"]);
    let data = json!({ "custom_id": custom_id, "component_type": 2 });
    inject(shared, &mut st, 3, invoker, data, Some(message_id))
}

fn find_button<'a>(components: &'a Value, custom_id: &str) -> Option<&'a Value> {
    components.as_array()?.iter().find_map(|c| {
        if c["type"] == 2 && c["custom_id"] == custom_id {
            Some(c)
        } else {
            find_button(&c["components"], custom_id)
        }
    })
}

fn inject(shared: &Shared, st: &mut State, kind: u8, invoker: &Invoker, data: Value, message_id: Option<u64>) -> InteractionHandle {
    let opts = &shared.opts;
    let id = shared.next_id();
    let token = format!("mock-interaction-token-{id}");
    let channel_id = match message_id.and_then(|m| st.messages.get(&m)) {
        Some(message) => message.channel_id(),
        None if invoker.dm => *st.dm_channels.entry(invoker.user_id).or_insert_with(|| shared.next_id()),
        None => opts.channels.first().copied().unwrap_or(crate::CHANNEL_ID),
    };
    let mut payload = json!({
        "id": id.to_string(), "application_id": opts.application_id.to_string(), "type": kind,
        "token": token, "version": 1, "channel_id": channel_id.to_string(),
        "app_permissions": "442368", "locale": "en-US", "entitlements": [],
        "attachment_size_limit": opts.max_file_size, "data": data,
    });
    if invoker.dm {
        payload["channel"] = json!({ "id": channel_id.to_string(), "type": 1, "recipients": [user_json(invoker)] });
        payload["user"] = user_json(invoker);
        payload["authorizing_integration_owners"] = json!({ "0": "0" });
        payload["context"] = json!(1);
    } else {
        let guild_id = opts.guild_id.to_string();
        payload["guild_id"] = json!(guild_id);
        payload["guild_locale"] = json!("en-US");
        payload["channel"] = json!({ "id": channel_id.to_string(), "type": 0, "name": "noc", "guild_id": guild_id });
        payload["member"] = json!({
            "user": user_json(invoker),
            "roles": invoker.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
            "joined_at": "2024-01-01T00:00:00.000000+00:00", "premium_since": null, "nick": null,
            "avatar": null, "deaf": false, "mute": false, "flags": 0, "pending": false,
            "permissions": invoker.permissions.to_string(),
        });
        payload["authorizing_integration_owners"] = json!({ "0": guild_id });
        payload["context"] = json!(0);
    }
    if let Some(message) = message_id.and_then(|m| st.messages.get(&m)) {
        payload["message"] = message.json.clone();
    }
    let created_at = Instant::now();
    st.interactions.insert(id, Interaction {
        token: token.clone(),
        kind,
        created_at,
        channel_id,
        component_message: message_id,
        callback: None,
        original: None,
        followups: Vec::new(),
        user: user_json(invoker),
    });
    st.gateway.dispatch("INTERACTION_CREATE", payload);
    InteractionHandle { id, token, kind, created_at }
}
