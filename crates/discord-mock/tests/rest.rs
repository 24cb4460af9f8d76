//! The REST side with a plain HTTP client: what the webhook notifier and a careless bot send.

mod support;

use discord_mock::{MockDiscord, MockOptions};
use reqwest::{Client, StatusCode, multipart};
use serde_json::{Value, json};
use support::PATIENCE;

fn client() -> Client {
    support::install_crypto();
    Client::builder().timeout(PATIENCE).build().unwrap()
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn bot(mock: &MockDiscord) -> String {
    format!("Bot {}", mock.options().token)
}

#[tokio::test]
async fn webhook_execute_waits_or_not_uploads_files_and_refuses_empty_or_unknown() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let channel = mock.options().channels[0];
    let hook = mock.create_webhook(channel, "linewatch alerts");
    let http = client();

    let (status, message) = answer(http.post(format!("{}?wait=true", hook.url))
        .json(&json!({ "content": "line down", "username": "modem1", "allowed_mentions": { "parse": [] } }))
        .send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(message["author"]["username"], "modem1");
    assert_eq!(message["webhook_id"], hook.id.to_string());

    let response = http.post(&hook.url).json(&json!({ "content": "no wait" })).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let form = multipart::Form::new()
        .text("payload_json", json!({ "embeds": [{ "title": "SNR", "image": { "url": "attachment://snr.png" } }],
                                       "attachments": [{ "id": 0, "filename": "snr.png", "description": "SNR graph" }] }).to_string())
        .part("files[0]", multipart::Part::bytes(b"png bytes".to_vec()).file_name("snr.png").mime_str("image/png").unwrap());
    let (status, message) = answer(http.post(format!("{}?wait=true", hook.url)).multipart(form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(message["attachments"][0]["description"], "SNR graph");
    assert_eq!(message["embeds"][0]["image"]["url"], message["attachments"][0]["url"]);
    let url = message["attachments"][0]["url"].as_str().unwrap();
    assert_eq!(http.get(url).send().await.unwrap().bytes().await.unwrap().as_ref(), b"png bytes");

    let (status, body) = answer(http.post(format!("{}?wait=true", hook.url)).json(&json!({ "content": "" })).send().await.unwrap()).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!(50006)));
    let wrong = hook.url.replace(&hook.token, "guessed");
    let (status, body) = answer(http.post(&wrong).json(&json!({ "content": "x" })).send().await.unwrap()).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::UNAUTHORIZED, json!(50027)));
    let (status, body) = answer(http.post(format!("{}/api/webhooks/1/x", mock.base_url())).json(&json!({ "content": "x" })).send().await.unwrap()).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::NOT_FOUND, json!(10015)));

    let messages = mock.messages(channel);
    assert_eq!(messages.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(), ["line down", "no wait", ""]);
    assert_eq!(messages[0].allowed_mentions, Some(json!({ "parse": [] })));
    assert_eq!(messages[2].attachments[0].data, b"png bytes");
    assert!(mock.violations().is_empty(), "{:#?}", mock.violations());
}

#[tokio::test]
async fn enforce_nonce_returns_the_first_message_instead_of_a_duplicate() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let channel = mock.options().channels[0];
    let url = format!("{}/api/v10/channels/{channel}/messages", mock.base_url());
    let http = client();
    let send = |body: Value| http.post(&url).header("authorization", bot(&mock)).json(&body).send();

    let (_, first) = answer(send(json!({ "content": "incident 7", "nonce": "outbox-7", "enforce_nonce": true })).await.unwrap()).await;
    let (status, again) = answer(send(json!({ "content": "incident 7", "nonce": "outbox-7", "enforce_nonce": true })).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(first["nonce"], "outbox-7");
    // Without enforce_nonce the nonce only comes back; the message is posted again.
    let (_, other) = answer(send(json!({ "content": "incident 7", "nonce": "outbox-7" })).await.unwrap()).await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(mock.messages(channel).len(), 2);
}

#[tokio::test]
async fn tokens_routes_errors_and_the_gateway_urls() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = client();
    let base = mock.base_url();

    let (status, body) = answer(http.get(format!("{base}/api/v10/gateway")).send().await.unwrap()).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "url": mock.ws_url() })));
    let (status, body) = answer(http.get(format!("{base}/api/v10/gateway/bot")).send().await.unwrap()).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({ "message": "401: Unauthorized", "code": 0 })));
    // Unversioned paths work too, with the rate-limit headers on every answer.
    let response = http.get(format!("{base}/api/gateway/bot")).header("authorization", bot(&mock)).send().await.unwrap();
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-reset-after", "x-ratelimit-bucket"] {
        assert!(response.headers().contains_key(name), "{name}");
    }
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["session_start_limit"]["max_concurrency"], 1);

    let (status, body) = answer(http.post(format!("{base}/api/v10/channels/1/messages")).header("authorization", bot(&mock))
        .json(&json!({ "content": "x" })).send().await.unwrap()).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::NOT_FOUND, json!(10003)));
    let channel = mock.options().channels[0];
    let (status, body) = answer(http.post(format!("{base}/api/v10/channels/{channel}/messages")).header("authorization", bot(&mock))
        .header("content-type", "application/json").body("{not json").send().await.unwrap()).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!(50109)));
    let (status, body) = answer(http.post(format!("{base}/api/v10/channels/{channel}/messages")).header("authorization", bot(&mock))
        .json(&json!({ "content": "x".repeat(2001) })).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"]["content"]["_errors"][0]["code"], "BASE_TYPE_MAX_LENGTH");

    mock.fail_next(1, 503);
    let (status, body) = answer(http.get(format!("{base}/api/v10/gateway")).send().await.unwrap()).await;
    assert_eq!((status, body), (StatusCode::SERVICE_UNAVAILABLE, json!({ "message": "503: Service Unavailable", "code": 0 })));
    mock.fail_next(1, 429);
    let response = http.get(format!("{base}/api/v10/gateway")).send().await.unwrap();
    assert_eq!(response.headers()["x-ratelimit-scope"], "user");
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!((body["retry_after"].as_f64(), body["global"].clone()), (Some(0.1), json!(false)));

    let (status, body) = answer(http.get(format!("{base}/api/v10/applications/@me")).send().await.unwrap()).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({ "message": "404: Not Found", "code": 0 })));

    let requests = mock.requests();
    assert_eq!(requests.len(), 9);
    assert_eq!((requests[8].path.as_str(), requests[8].status), ("/api/v10/applications/@me", 404));
    assert_eq!((requests[1].path.as_str(), requests[1].status, requests[1].authorized), ("/api/v10/gateway/bot", 401, false));
    assert_eq!(requests[5].body, Some(json!({ "content": "x".repeat(2001) })));
    assert_eq!(mock.violations().len(), 1, "only the 2001-character content was a bad body");
}

#[tokio::test]
async fn callbacks_with_response_and_callback_types_that_do_not_suit_the_interaction() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = client();
    // No gateway here: the interaction waits for a session, the callback route works anyway.
    let command = mock.send_slash_command("status", json!([]), support::ALICE, &[]);
    let url = |id: u64, token: &str| format!("{}/api/v10/interactions/{id}/{token}/callback", mock.base_url());

    let (status, body) = answer(http.post(url(command.id, &command.token)).json(&json!({ "type": 6 })).send().await.unwrap()).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!(50035)));
    let modal = json!({ "type": 9, "data": { "custom_id": "confirm", "title": "t".repeat(46), "components": [] } });
    let (status, body) = answer(http.post(url(command.id, &command.token)).json(&modal).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["data"]["title"].is_object(), "{body}");
    let (status, body) = answer(http.post(format!("{}?with_response=true", url(command.id, &command.token)))
        .json(&json!({ "type": 4, "data": { "content": "up", "flags": 64 } })).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["resource"]["type"], 4);
    assert_eq!(body["interaction"]["response_message_ephemeral"], true);
    assert_eq!(body["resource"]["message"]["content"], "up");
    assert_eq!(mock.callback(&command).map(|c| c.kind), Some(4));
    assert_eq!(mock.violations().len(), 2);
}

#[tokio::test]
async fn a_closed_port_refuses_connections_until_reopened() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = client();
    let url = format!("{}/api/v10/gateway", mock.base_url());
    assert!(http.get(&url).send().await.unwrap().status().is_success());
    mock.refuse_connections(true).await;
    let error = http.get(&url).send().await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    mock.refuse_connections(false).await;
    assert!(http.get(&url).send().await.unwrap().status().is_success());
}

#[tokio::test]
async fn the_global_limit_answers_a_global_429() {
    let options = MockOptions {
        global_rate_limit: Some(discord_mock::RateLimit { limit: 2, window: std::time::Duration::from_secs(60) }),
        ..MockOptions::default()
    };
    let mock = MockDiscord::start(options).await;
    let http = client();
    let url = format!("{}/api/v10/users/@me", mock.base_url());
    let mut last = None;
    for _ in 0..3 {
        last = Some(http.get(&url).header("authorization", bot(&mock)).send().await.unwrap());
    }
    let response = last.unwrap();
    assert_eq!(response.headers()["x-ratelimit-global"], "true");
    assert_eq!(response.headers()["x-ratelimit-scope"], "global");
    let (status, body) = answer(response).await;
    assert_eq!((status, body["global"].clone()), (StatusCode::TOO_MANY_REQUESTS, json!(true)));
}
