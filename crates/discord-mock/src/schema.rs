//! Request bodies checked against Discord's OpenAPI document (`spec/openapi.json`).
//!
//! Each operation's `application/json` request-body schema is compiled once (draft 2020-12)
//! with the document's `components` beside it, so its `$ref`s resolve. Multipart bodies are
//! checked through their `payload_json`, which carries the same object.
//!
//! The document's own conventions are applied first: integer fields also accept
//! int-parseable strings, and snowflakes also accept integers ("Our API accepts strings for
//! int fields if they are parseable as ints", spec/README conventions), which is what
//! Discord does and what clients such as twilight rely on (attachment ids are sent as numbers).

use jsonschema::{Draft, ValidationError, Validator, error::ValidationErrorKind};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

const OPENAPI: &str = include_str!("../spec/openapi.json");

struct Spec {
    paths: Value,
    components: Value,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc: Value = serde_json::from_str(OPENAPI).expect("spec/openapi.json is JSON");
        let mut components = doc["components"].take();
        lenient_integers(&mut components);
        components["schemas"]["SnowflakeType"] = json!({ "anyOf": [
            { "type": "string", "pattern": "^(0|[1-9][0-9]*)$" },
            { "type": "integer", "minimum": 0 },
        ]});
        Spec { paths: doc["paths"].take(), components }
    })
}

/// Wraps every integer-typed schema as `anyOf [it, an integer-looking string]`.
fn lenient_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(lenient_integers);
            let types: Vec<&str> = match map.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if types.contains(&"integer") && !types.contains(&"string") {
                let original = Value::Object(std::mem::take(map));
                map.insert(
                    "anyOf".to_owned(),
                    json!([original, { "type": "string", "pattern": "^-?[0-9]+$" }]),
                );
            }
        }
        Value::Array(items) => items.iter_mut().for_each(lenient_integers),
        _ => {}
    }
}

type Cache = Mutex<HashMap<(String, String), Option<Arc<Validator>>>>;

/// The compiled request-body validator of `METHOD template`, if the operation has a JSON body.
fn validator(method: &str, template: &str) -> Option<Arc<Validator>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (method.to_ascii_lowercase(), template.to_owned());
    if let Some(found) = cache.lock().expect("schema cache").get(&key) {
        return found.clone();
    }
    let spec = spec();
    let schema = spec.paths[template][&key.0]["requestBody"]["content"]["application/json"]
        ["schema"]
        .as_object()
        .map(|schema| {
            let mut root = schema.clone();
            root.insert("components".to_owned(), spec.components.clone());
            let root = Value::Object(root);
            let compiled = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .build(&root)
                .unwrap_or_else(|e| panic!("schema of {method} {template} compiles: {e}"));
            Arc::new(compiled)
        });
    cache.lock().expect("schema cache").insert(key, schema.clone());
    schema
}

/// Checks a request body against the OpenAPI schema of `METHOD template` (template as in the
/// document, e.g. `/channels/{channel_id}/messages`). Returns `(json path, message)` pairs.
pub(crate) fn check(method: &str, template: &str, body: &Value) -> Vec<(Vec<String>, String)> {
    let Some(validator) = validator(method, template) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for error in validator.iter_errors(body) {
        explain(&error, &mut found);
    }
    found
}

/// An error as `(json path, message)`. A failed union (`anyOf`/`oneOf`, e.g. the callback
/// types) is explained by the branch that came closest, skipping branches whose `type`
/// discriminator does not match, so the bot's author sees `data.title` rather than "not valid
/// under any of the schemas".
fn explain(error: &ValidationError<'_>, found: &mut Vec<(Vec<String>, String)>) {
    let here = error.instance_path().as_str();
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } = error.kind() {
        let discriminator = format!("{here}/type");
        let closest = context
            .iter()
            .filter(|branch| !branch.iter().any(|e| e.instance_path().as_str() == discriminator))
            .min_by_key(|branch| branch.len());
        if let Some(branch) = closest.filter(|branch| !branch.is_empty()) {
            branch.iter().for_each(|e| explain(e, found));
            return;
        }
    }
    let path = here.split('/').skip(1).map(|segment| segment.replace("~1", "/").replace("~0", "~")).collect();
    found.push((path, error.masked().to_string()));
}

/// Whether the document has this operation at all (used to keep the mock's routes honest).
#[cfg(test)]
pub(crate) fn has_operation(method: &str, template: &str) -> bool {
    spec().paths[template][method.to_ascii_lowercase()].is_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_title_over_256_is_refused_and_a_normal_message_passes() {
        let ok = json!({ "content": "hi", "embeds": [{ "title": "t", "color": 5 }],
                         "attachments": [{ "id": 0, "filename": "a.png" }] });
        assert!(check("POST", "/channels/{channel_id}/messages", &ok).is_empty());
        let bad = json!({ "embeds": [{ "title": "x".repeat(257) }] });
        let errors = check("POST", "/channels/{channel_id}/messages", &bad);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, ["embeds", "0", "title"]);
    }

    #[test]
    fn integer_fields_accept_integer_strings_as_discord_does() {
        let body = json!([{ "name": "reboot", "description": "Reboot",
                            "default_member_permissions": "8" }]);
        let template = "/applications/{application_id}/commands";
        assert!(check("PUT", template, &body).is_empty());
        let body = json!([{ "name": "reboot", "description": "Reboot",
                            "default_member_permissions": "eight" }]);
        assert!(!check("PUT", template, &body).is_empty());
    }

    #[test]
    fn a_failed_union_is_explained_by_the_branch_of_its_type() {
        let template = "/interactions/{interaction_id}/{interaction_token}/callback";
        let modal = json!({ "type": 9, "data": { "custom_id": "c", "title": "t".repeat(46), "components": [] } });
        let errors = check("POST", template, &modal);
        assert!(errors.iter().any(|(path, _)| path == &["data", "title"]), "{errors:?}");
        assert!(check("POST", template, &json!({ "type": 5 })).is_empty());
    }

    #[test]
    fn operations_without_a_body_have_no_schema() {
        assert!(has_operation("GET", "/gateway/bot"));
        assert!(check("GET", "/gateway/bot", &json!({ "anything": 1 })).is_empty());
    }
}
