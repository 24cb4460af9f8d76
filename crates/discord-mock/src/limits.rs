//! Discord's own validation limits (spec §2), which the OpenAPI document states only in part
//! (it allows 4000 characters of content and knows nothing of the 6000-character embed total).

use crate::error::{At, FieldErrors, at};
use serde_json::Value;
use std::collections::HashSet;

pub(crate) const IS_COMPONENTS_V2: u64 = 1 << 15;

/// Length as Discord counts it: characters, after trimming surrounding whitespace.
fn length(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.trim().chars().count())
}

fn max_length(errs: &mut FieldErrors, value: &Value, max: usize, at: At) {
    if value.is_string() && length(value) > max {
        errs.add(&at, "BASE_TYPE_MAX_LENGTH", &format!("Must be {max} or fewer in length."));
    }
}

fn between(errs: &mut FieldErrors, n: usize, min: usize, max: usize, at: At) {
    if !(min..=max).contains(&n) {
        errs.add(&at, "BASE_TYPE_BAD_LENGTH", &format!("Must be between {min} and {max} in length."));
    }
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// Checks a message body (create, edit, webhook, interaction response).
pub(crate) fn message(body: &Value, errs: &mut FieldErrors) {
    max_length(errs, &body["content"], 2000, at!["content"]);
    let v2 = body["flags"].as_u64().unwrap_or(0) & IS_COMPONENTS_V2 != 0;
    if v2 {
        for field in ["content", "embeds", "poll"] {
            if !body[field].is_null() {
                errs.add(&at![field], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    "The 'content', 'embeds', 'stickers' and 'poll' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2");
            }
        }
    }
    embeds(&body["embeds"], errs);
    components(&body["components"], v2, errs);
    if items(&body["attachments"]).len() > 10 {
        errs.add(&at!["attachments"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    allowed_mentions(&body["allowed_mentions"], errs);
}

fn embeds(embeds: &Value, errs: &mut FieldErrors) {
    let embeds = items(embeds);
    if embeds.len() > 10 {
        errs.add(&at!["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let here = at!["embeds", i];
        for (field, max) in [("title", 256), ("description", 4096)] {
            max_length(errs, &embed[field], max, here.then(field));
            total += length(&embed[field]);
        }
        max_length(errs, &embed["footer"]["text"], 2048, here.then("footer").then("text"));
        max_length(errs, &embed["author"]["name"], 256, here.then("author").then("name"));
        total += length(&embed["footer"]["text"]) + length(&embed["author"]["name"]);
        if let Some(color) = embed["color"].as_i64()
            && !(0..=0xFF_FFFF).contains(&color)
        {
            errs.add(&here.then("color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.");
        }
        max_length(errs, &embed["url"], 2048, here.then("url"));
        for (outer, inner) in [("image", "url"), ("thumbnail", "url"), ("author", "url"),
                               ("author", "icon_url"), ("footer", "icon_url")] {
            max_length(errs, &embed[outer][inner], 2048, here.then(outer).then(inner));
        }
        let fields = items(&embed["fields"]);
        if fields.len() > 25 {
            errs.add(&here.then("fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
        }
        for (j, field) in fields.iter().enumerate() {
            for (key, max) in [("name", 256), ("value", 1024)] {
                let at = here.then("fields").then(j).then(key);
                if length(&field[key]) == 0 {
                    errs.add(&at, "BASE_TYPE_REQUIRED", "This field is required");
                }
                max_length(errs, &field[key], max, at);
                total += length(&field[key]);
            }
        }
    }
    if total > 6000 {
        errs.add(&at!["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000");
    }
}

/// Legacy layout (action rows of buttons/selects); components v2 layouts are left to the schema.
fn components(rows: &Value, v2: bool, errs: &mut FieldErrors) {
    let rows = items(rows);
    if v2 {
        return;
    }
    if rows.len() > 5 {
        errs.add(&at!["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
    }
    let mut custom_ids = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        if row["type"].as_u64() != Some(1) {
            errs.add(&at!["components", i, "type"], "UNION_TYPE_CHOICES",
                "Only action rows may be top-level components of a message without IS_COMPONENTS_V2");
            continue;
        }
        let children = items(&row["components"]);
        between(errs, children.len(), 1, 5, at!["components", i, "components"]);
        for (j, child) in children.iter().enumerate() {
            let here = at!["components", i, "components", j];
            max_length(errs, &child["label"], 80, here.then("label"));
            max_length(errs, &child["url"], 512, here.then("url"));
            let custom_id = child["custom_id"].as_str();
            let link = child["type"].as_u64() == Some(2) && child["style"].as_u64() == Some(5);
            let premium = child["type"].as_u64() == Some(2) && child["style"].as_u64() == Some(6);
            if link {
                if child["url"].as_str().is_none() {
                    errs.add(&here.then("url"), "BASE_TYPE_REQUIRED", "This field is required");
                }
                if custom_id.is_some() {
                    errs.add(&here.then("custom_id"), "COMPONENT_LINK_BUTTON_CUSTOM_ID",
                             "A link button cannot have a custom_id");
                }
            } else if !premium {
                match custom_id {
                    None => errs.add(&here.then("custom_id"), "BASE_TYPE_REQUIRED", "This field is required"),
                    Some(id) => {
                        between(errs, id.chars().count(), 1, 100, here.then("custom_id"));
                        if !custom_ids.insert(id) {
                            errs.add(&here.then("custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED",
                                     "Component custom id cannot be duplicated");
                        }
                    }
                }
            }
        }
    }
}

fn allowed_mentions(mentions: &Value, errs: &mut FieldErrors) {
    let parse: Vec<&str> = items(&mentions["parse"]).iter().filter_map(Value::as_str).collect();
    for kind in ["users", "roles"] {
        let list = items(&mentions[kind]);
        if list.len() > 100 {
            errs.add(&at!["allowed_mentions", kind], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
        }
        if !list.is_empty() && parse.contains(&kind) {
            errs.add(&at!["allowed_mentions", "parse"], "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                     &format!("parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive."));
        }
    }
}

/// Checks a bulk-overwrite body of application commands.
pub(crate) fn commands(body: &Value, errs: &mut FieldErrors) {
    let mut seen = HashSet::new();
    let mut per_type = [0; 4];
    for (i, command) in items(body).iter().enumerate() {
        let kind = command["type"].as_u64().unwrap_or(1);
        let name = command["name"].as_str().unwrap_or("");
        if !seen.insert((kind, name)) {
            errs.add(&at![i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME",
                     &format!("Application command names must be unique ({name})"));
        }
        if let Some(count) = per_type.get_mut(kind as usize) {
            *count += 1;
        }
        if kind == 1 {
            chat_input_name(name, at![i, "name"], errs);
            between(errs, description_length(command), 1, 100, at![i, "description"]);
            options(&command["options"], at![i], errs);
        }
    }
    if per_type[1] > 100 || per_type[2] > 15 || per_type[3] > 15 {
        errs.add(&At::default(), "APPLICATION_COMMANDS_TOO_MANY",
                 "Maximum number of application commands reached (100 chat input, 15 user, 15 message)");
    }
}

fn description_length(item: &Value) -> usize {
    item["description"].as_str().map_or(0, |s| s.chars().count())
}

fn chat_input_name(name: &str, at: At, errs: &mut FieldErrors) {
    let valid = (1..=32).contains(&name.chars().count())
        && name.chars().all(|c| c == '-' || c == '_' || c.is_alphanumeric())
        && name.to_lowercase() == name;
    if !valid {
        errs.add(&at, "APPLICATION_COMMAND_INVALID_NAME", &format!("Command name is invalid: {name:?}"));
    }
}

fn options(list: &Value, parent: At, errs: &mut FieldErrors) {
    let list = items(list);
    if list.len() > 25 {
        errs.add(&parent.then("options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
    }
    let mut optional_seen = false;
    for (j, option) in list.iter().enumerate() {
        let here = parent.then("options").then(j);
        chat_input_name(option["name"].as_str().unwrap_or(""), here.then("name"), errs);
        between(errs, description_length(option), 1, 100, here.then("description"));
        if items(&option["choices"]).len() > 25 {
            errs.add(&here.then("choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
        }
        // Subcommands (1) and groups (2) nest their own options.
        if matches!(option["type"].as_u64(), Some(1 | 2)) {
            options(&option["options"], here, errs);
            continue;
        }
        let required = option["required"].as_bool().unwrap_or(false);
        if required && optional_seen {
            errs.add(&here.then("required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                     "Required options must be placed before non-required options");
        }
        optional_seen |= !required;
    }
}

/// Checks a MODAL callback's data.
pub(crate) fn modal(data: &Value, errs: &mut FieldErrors) {
    let chars = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    between(errs, chars(&data["title"]), 1, 45, at!["data", "title"]);
    between(errs, chars(&data["custom_id"]), 1, 100, at!["data", "custom_id"]);
    between(errs, items(&data["components"]).len(), 1, 5, at!["data", "components"]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(body: Value) -> Vec<String> {
        let mut errs = FieldErrors::default();
        message(&body, &mut errs);
        errs.lines()
    }

    #[test]
    fn limits_of_section_2_hold() {
        assert!(errors_of(json!({ "content": "x".repeat(2000) })).is_empty());
        assert_eq!(errors_of(json!({ "content": "x".repeat(2001) })), ["content: Must be 2000 or fewer in length."]);
        assert_eq!(errors_of(json!({ "embeds": [{ "description": "d".repeat(4097) }] })),
                   ["embeds.0.description: Must be 4096 or fewer in length."]);
        let field = json!({ "name": "n".repeat(256), "value": "v".repeat(1024) });
        assert!(errors_of(json!({ "embeds": [{ "fields": vec![field.clone(); 4] }] })).is_empty());
        // 6 fields of 1280 characters: 7680 in one embed.
        assert_eq!(errors_of(json!({ "embeds": [{ "fields": vec![field; 6] }] })),
                   ["embeds: Embed size exceeds maximum size of 6000"]);
        let lines = errors_of(json!({ "embeds": [{ "fields": vec![json!({"name": "a", "value": "b"}); 26] }] }));
        assert_eq!(lines, ["embeds.0.fields: Must be 25 or fewer in length."]);
        // Whitespace around a title does not count.
        assert!(errors_of(json!({ "embeds": [{ "title": format!("  {}  ", "t".repeat(256)) }] })).is_empty());
    }

    #[test]
    fn buttons_need_a_custom_id_unless_they_are_links() {
        let rows = json!({ "components": [{ "type": 1, "components": [
            { "type": 2, "style": 1, "label": "Refresh", "custom_id": "refresh" },
            { "type": 2, "style": 5, "label": "Docs", "url": "https://example.invalid" },
            { "type": 2, "style": 4, "label": "Reboot" },
            { "type": 2, "style": 2, "label": "Again", "custom_id": "refresh" } ] }] });
        assert_eq!(errors_of(rows), [
            "components.0.components.2.custom_id: This field is required",
            "components.0.components.3.custom_id: Component custom id cannot be duplicated",
        ]);
    }

    #[test]
    fn command_names_are_lowercase_and_unique() {
        let mut errs = FieldErrors::default();
        commands(&json!([
            { "name": "status", "description": "Line status", "options": [
                { "type": 3, "name": "target", "description": "Modem" },
                { "type": 3, "name": "window", "description": "Window", "required": true } ] },
            { "name": "Status", "description": "again" },
            { "name": "status", "description": "" } ]), &mut errs);
        assert_eq!(errs.lines(), [
            "0.options.1.required: Required options must be placed before non-required options",
            "1.name: Command name is invalid: \"Status\"",
            "2.name: Application command names must be unique (status)",
            "2.description: Must be between 1 and 100 in length.",
        ]);
    }
}
