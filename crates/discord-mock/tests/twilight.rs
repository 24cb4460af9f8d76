//! The mock driven by the real twilight 0.18 crates, as the bot will use them.

mod support;

use discord_mock::{Invoker, MockDiscord, MockOptions, RateLimit, ViolationKind};
use serde_json::json;
use std::time::Duration;
use support::*;
use twilight_gateway::{Event, Intents};
use twilight_http::{api_error::ApiError, error::ErrorType};
use twilight_model::{
    application::{
        command::{CommandOptionChoice, CommandOptionChoiceValue, CommandType},
        interaction::{InteractionData, InteractionType},
    },
    channel::message::{
        Component, MessageFlags,
        component::{ActionRow, Button, ButtonStyle},
    },
    http::{
        attachment::Attachment,
        interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType},
    },
};
use twilight_util::builder::{
    command::{CommandBuilder, StringBuilder},
    embed::{EmbedBuilder, ImageSource},
};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n fake image bytes";

fn commands() -> Vec<twilight_model::application::command::Command> {
    vec![
        CommandBuilder::new("status", "Line status", CommandType::ChatInput)
            .option(StringBuilder::new("target", "Modem").autocomplete(true))
            .build(),
        CommandBuilder::new("reboot", "Reboot the modem", CommandType::ChatInput)
            .default_member_permissions(twilight_model::guild::Permissions::ADMINISTRATOR)
            .build(),
    ]
}

fn refresh_row() -> Component {
    Component::ActionRow(ActionRow {
        id: None,
        components: vec![Component::Button(Button {
            custom_id: Some("refresh".to_owned()),
            disabled: false,
            emoji: None,
            id: None,
            label: Some("Refresh".to_owned()),
            sku_id: None,
            style: ButtonStyle::Primary,
            url: None,
        })],
    })
}

#[tokio::test]
async fn ready_commands_slash_command_deferred_then_edited_with_embed_and_file_then_button() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = http(&mock);
    let mut events = connect_bot(&mock);

    let Event::Ready(ready) = next_event(&mut events, |e| matches!(e, Event::Ready(_))).await else { unreachable!() };
    assert_eq!(ready.application.id, app(&mock));
    next_event(&mut events, |e| matches!(e, Event::GuildCreate(_))).await;

    // Bulk overwrite: ids stay the same for the same names.
    let interaction_client = http.interaction(app(&mock));
    let first = interaction_client.set_guild_commands(guild(&mock), &commands()).await.unwrap().models().await.unwrap();
    let again = interaction_client.set_guild_commands(guild(&mock), &commands()).await.unwrap().models().await.unwrap();
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), again.iter().map(|c| c.id).collect::<Vec<_>>());
    assert_eq!(first[0].version, again[0].version, "an unchanged command keeps its version");
    let names: Vec<String> = mock.registered_commands(Some(mock.options().guild_id)).into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["status", "reboot"]);

    let handle = mock.send_slash_command("status", json!([{ "name": "target", "type": 3, "value": "modem1" }]), ALICE, &[ADMIN_ROLE]);
    let Event::InteractionCreate(interaction) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    assert_eq!(interaction.kind, InteractionType::ApplicationCommand);
    let Some(InteractionData::ApplicationCommand(data)) = &interaction.data else { panic!("command data") };
    assert_eq!((data.name.as_str(), Some(data.id)), ("status", first[0].id));
    assert_eq!(data.options[0].name, "target");
    let member = interaction.member.as_ref().expect("a guild interaction has a member");
    assert_eq!(member.roles[0].get(), ADMIN_ROLE);
    assert_eq!(member.user.as_ref().map(|u| u.id.get()), Some(ALICE));

    let deferred = InteractionResponse { kind: InteractionResponseType::DeferredChannelMessageWithSource, data: None };
    interaction_client.create_response(interaction.id, &interaction.token, &deferred).await.unwrap();
    let callback = mock.wait_for_callback(&handle, PATIENCE).await.expect("callback");
    assert_eq!(callback.kind, 5);
    assert!(callback.at >= handle.created_at);
    assert_ne!(mock.original_response(&handle).unwrap().flags & 128, 0, "a deferred response is loading");

    let embed = EmbedBuilder::new()
        .title("DSL line")
        .description("Showtime, 100/40 Mbit/s")
        .image(ImageSource::attachment("snr.png").unwrap())
        .build();
    let file = Attachment::from_bytes("snr.png".to_owned(), PNG.to_vec(), 0);
    let message = interaction_client
        .update_response(&interaction.token)
        .embeds(Some(&[embed]))
        .attachments(&[file])
        .components(Some(&[refresh_row()]))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(message.attachments[0].filename, "snr.png");
    assert_eq!(message.attachments[0].size, PNG.len() as u64);
    let image = message.embeds[0].image.as_ref().unwrap();
    assert_eq!(image.url, message.attachments[0].url, "attachment:// points at the upload");

    let original = mock.original_response(&handle).unwrap();
    assert_eq!(original.flags & 128, 0, "the edit ends the loading state");
    assert_eq!(original.attachments[0].data, PNG);
    assert_eq!(original.embeds[0]["title"], "DSL line");
    let request = mock.requests().into_iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(request.files[0].filename, "snr.png");
    assert_eq!(request.body.unwrap()["attachments"][0]["filename"], "snr.png");

    // The Refresh button edits the same message (UPDATE_MESSAGE).
    let click = mock.click_button(&original, "refresh", ALICE);
    let Event::InteractionCreate(clicked) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    assert_eq!(clicked.kind, InteractionType::MessageComponent);
    let Some(InteractionData::MessageComponent(data)) = &clicked.data else { panic!("component data") };
    assert_eq!(data.custom_id, "refresh");
    assert_eq!(clicked.message.as_ref().map(|m| m.id.get()), Some(original.id));
    let update = InteractionResponse {
        kind: InteractionResponseType::UpdateMessage,
        data: Some(InteractionResponseData { content: Some("refreshed".to_owned()), ..Default::default() }),
    };
    interaction_client.create_response(clicked.id, &clicked.token, &update).await.unwrap();
    assert_eq!(mock.wait_for_callback(&click, PATIENCE).await.unwrap().kind, 7);
    let messages = mock.messages(mock.options().channels[0]);
    assert_eq!(messages.len(), 1, "the refresh edits in place");
    assert_eq!(messages[0].content, "refreshed");
    assert_eq!(messages[0].attachments.len(), 1, "untouched fields stay");

    assert!(mock.violations().is_empty(), "{:#?}", mock.violations());
}

#[tokio::test]
async fn dm_commands_autocomplete_followups_and_second_acknowledgements() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = http(&mock);
    let interactions = http.interaction(app(&mock));
    let mut events = connect_bot(&mock);
    next_event(&mut events, |e| matches!(e, Event::Ready(_))).await;

    let handle = mock.send_command("status", json!([]), Invoker::dm(ALICE));
    let Event::InteractionCreate(dm) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    assert!(dm.member.is_none());
    assert_eq!(dm.user.as_ref().map(|u| u.id.get()), Some(ALICE));
    let reply = InteractionResponse {
        kind: InteractionResponseType::ChannelMessageWithSource,
        data: Some(InteractionResponseData { content: Some("up".to_owned()), flags: Some(MessageFlags::EPHEMERAL), ..Default::default() }),
    };
    interactions.create_response(dm.id, &dm.token, &reply).await.unwrap();
    let error = interactions.create_response(dm.id, &dm.token, &reply).await.unwrap_err();
    assert_eq!(api_code(&error), Some(40060));
    let followup = interactions.create_followup(&dm.token).content("more").await.unwrap().model().await.unwrap();
    assert_eq!(mock.followups(&handle)[0].id, followup.id.get());
    assert_eq!(mock.original_response(&handle).unwrap().flags & 64, 64);

    let handle = mock.send_autocomplete("status", json!([{ "name": "target", "type": 3, "value": "mo", "focused": true }]), ALICE.into());
    let Event::InteractionCreate(auto) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    assert_eq!(auto.kind, InteractionType::ApplicationCommandAutocomplete);
    let choices = InteractionResponse {
        kind: InteractionResponseType::ApplicationCommandAutocompleteResult,
        data: Some(InteractionResponseData {
            choices: Some(vec![CommandOptionChoice {
                name: "modem1".to_owned(),
                name_localizations: None,
                value: CommandOptionChoiceValue::String("modem1".to_owned()),
            }]),
            ..Default::default()
        }),
    };
    interactions.create_response(auto.id, &auto.token, &choices).await.unwrap();
    assert_eq!(mock.wait_for_callback(&handle, PATIENCE).await.unwrap().data.unwrap()["choices"][0]["name"], "modem1");
    assert!(mock.violations().is_empty(), "{:#?}", mock.violations());
}

#[tokio::test]
async fn an_interaction_not_acknowledged_in_time_is_unknown() {
    let options = MockOptions { ack_deadline: Duration::from_millis(100), ..MockOptions::default() };
    let mock = MockDiscord::start(options).await;
    let http = http(&mock);
    let mut events = connect_bot(&mock);
    next_event(&mut events, |e| matches!(e, Event::Ready(_))).await;
    let handle = mock.send_slash_command("status", json!([]), ALICE, &[]);
    let Event::InteractionCreate(late) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deferred = InteractionResponse { kind: InteractionResponseType::DeferredChannelMessageWithSource, data: None };
    let error = http.interaction(app(&mock)).create_response(late.id, &late.token, &deferred).await.unwrap_err();
    assert_eq!(api_code(&error), Some(10062));
    assert!(mock.callback(&handle).is_none());
}

#[tokio::test]
async fn resumes_after_a_dropped_connection_and_after_op_7_replaying_missed_events() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let mut events = connect_bot(&mock);
    next_event(&mut events, |e| matches!(e, Event::Ready(_))).await;
    next_event(&mut events, |e| matches!(e, Event::GuildCreate(_))).await;

    assert!(mock.gateway_drop());
    // Sent while the bot is away: replayed on RESUME.
    let missed = mock.send_slash_command("status", json!([]), ALICE, &[]);
    let Event::InteractionCreate(replayed) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    assert_eq!(replayed.id.get(), missed.id);
    next_event(&mut events, |e| matches!(e, Event::Resumed)).await;
    assert_eq!((mock.identify_count(), mock.resume_count()), (1, 1));

    assert!(mock.wait_until(PATIENCE, MockDiscord::gateway_connected).await);
    assert!(mock.gateway_reconnect());
    next_event(&mut events, |e| matches!(e, Event::Resumed)).await;
    let after = mock.send_slash_command("status", json!([]), ALICE, &[]);
    let Event::InteractionCreate(live) = next_event(&mut events, |e| matches!(e, Event::InteractionCreate(_))).await else { unreachable!() };
    assert_eq!(live.id.get(), after.id);
    assert_eq!((mock.identify_count(), mock.resume_count()), (1, 2));
}

#[tokio::test]
async fn a_zombied_connection_without_heartbeat_acks_is_resumed() {
    let mock = MockDiscord::start(MockOptions { heartbeat_interval: Duration::from_millis(200), ..MockOptions::default() }).await;
    let mut events = connect_bot(&mock);
    next_event(&mut events, |e| matches!(e, Event::Ready(_))).await;
    mock.set_heartbeat_ack(false);
    next_event(&mut events, |e| matches!(e, Event::Resumed)).await;
    assert_eq!(mock.identify_count(), 1);
    assert!(mock.heartbeat_count() >= 1);
}

#[tokio::test]
async fn invalid_session_makes_the_shard_identify_again_and_a_wrong_token_is_closed_4004() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let mut events = connect_bot(&mock);
    next_event(&mut events, |e| matches!(e, Event::Ready(_))).await;
    assert!(mock.gateway_invalidate_session(false));
    next_event(&mut events, |e| matches!(e, Event::Ready(_))).await;
    assert_eq!((mock.identify_count(), mock.resume_count()), (2, 0));

    let mut intruder = connect(&mock, "not-the-token", Intents::GUILDS);
    let Event::GatewayClose(frame) = next_event(&mut intruder, |e| matches!(e, Event::GatewayClose(_))).await else { unreachable!() };
    assert_eq!(frame.map(|f| f.code), Some(4004));
    assert_eq!(mock.identify_count(), 2);

    let mut greedy = connect(&mock, &mock.options().token, Intents::MESSAGE_CONTENT);
    let Event::GatewayClose(frame) = next_event(&mut greedy, |e| matches!(e, Event::GatewayClose(_))).await else { unreachable!() };
    assert_eq!(frame.map(|f| f.code), Some(4014), "MESSAGE_CONTENT is privileged and not granted");
}

#[tokio::test]
async fn twilight_rides_out_429s_and_respects_the_route_limit() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = http(&mock);
    mock.fail_next(3, 429);
    let message = http.create_message(channel(&mock)).content("after the storm").await.unwrap().model().await.unwrap();
    assert_eq!(message.content, "after the storm");
    let statuses: Vec<u16> = mock.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 429, 200]);

    mock.set_rate_limit(RateLimit { limit: 2, window: Duration::from_millis(300) });
    for i in 0..5 {
        http.create_message(channel(&mock)).content(&format!("burst {i}")).await.unwrap();
    }
    let channel_messages = mock.messages(mock.options().channels[0]);
    assert_eq!(channel_messages.len(), 6);
    assert!(mock.requests().iter().skip(4).any(|r| r.status == 429), "the burst met the limit");
}

#[tokio::test]
async fn bodies_over_discord_limits_are_refused_with_50035_and_recorded() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = http(&mock);
    // twilight validates limits itself; payload_json sends what a careless bot would.
    let field = json!({ "name": "n".repeat(256), "value": "v".repeat(1024) });
    let over = json!({ "embeds": [{ "title": "too much", "fields": vec![field; 5] }] }).to_string();
    let error = http.create_message(channel(&mock)).payload_json(over.as_bytes()).await.unwrap_err();
    assert_eq!(api_code(&error), Some(50035));
    let bad_type = json!({ "embeds": [{ "color": "red" }] }).to_string();
    let error = http.create_message(channel(&mock)).payload_json(bad_type.as_bytes()).await.unwrap_err();
    assert_eq!(api_code(&error), Some(50035));

    let violations = mock.violations();
    assert_eq!(violations.iter().map(|v| v.kind).collect::<Vec<_>>(), [ViolationKind::Limits, ViolationKind::Schema]);
    assert_eq!(violations[0].errors, ["embeds: Embed size exceeds maximum size of 6000"]);
    assert!(violations[1].errors[0].starts_with("embeds.0.color"), "{:?}", violations[1].errors);
    assert!(mock.messages(mock.options().channels[0]).is_empty());
}

#[tokio::test]
async fn replies_and_edits_through_the_channel_routes() {
    let mock = MockDiscord::start(MockOptions::default()).await;
    let http = http(&mock);
    let incident = http.create_message(channel(&mock)).content("line down").await.unwrap().model().await.unwrap();
    http.update_message(channel(&mock), incident.id).content(Some("line down (12 min)")).await.unwrap();
    let resolved = http.create_message(channel(&mock)).content("resolved").reply(incident.id).await.unwrap().model().await.unwrap();
    assert_eq!(resolved.reference.as_ref().and_then(|r| r.message_id), Some(incident.id));
    assert_eq!(resolved.referenced_message.as_ref().map(|m| m.id), Some(incident.id));

    let messages = mock.messages(mock.options().channels[0]);
    assert_eq!((messages[0].content.as_str(), messages[0].edit_count), ("line down (12 min)", 1));
    assert_eq!(messages[0].replies, [resolved.id.get()]);
    assert_eq!(messages[1].reply_to, Some(incident.id.get()));

    let stranger = http_with_token(&mock, "wrong");
    let error = stranger.create_message(channel(&mock)).content("x").await.unwrap_err();
    let ErrorType::Response { status, body, .. } = error.kind() else { panic!("{error:?}") };
    assert_eq!(status.get(), 401);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(body).unwrap(), json!({ "message": "401: Unauthorized", "code": 0 }));
    assert!(mock.violations().is_empty(), "{:#?}", mock.violations());
}

fn api_code(error: &twilight_http::Error) -> Option<u64> {
    match error.kind() {
        ErrorType::Response { error: ApiError::General(general), .. } => Some(general.code),
        _ => None,
    }
}

#[tokio::test]
async fn message_create_reaches_a_shard_with_guild_messages_and_guild_create_can_come_late() {
    let options = MockOptions { guild_create_delay: Some(Duration::from_secs(3600)), ..MockOptions::default() };
    let mock = MockDiscord::start(options).await;
    let http = http(&mock);
    let mut events = connect(&mock, &mock.options().token, Intents::GUILDS | Intents::GUILD_MESSAGES);
    let Event::Ready(ready) = next_event(&mut events, |e| matches!(e, Event::Ready(_))).await else { unreachable!() };
    assert!(ready.guilds[0].unavailable, "the guild is still on its way");
    // Nothing needs GUILD_CREATE: the bot registers and posts at once.
    http.interaction(app(&mock)).set_guild_commands(guild(&mock), &commands()).await.unwrap();
    let sent = http.create_message(channel(&mock)).content("hello").await.unwrap().model().await.unwrap();
    let Event::MessageCreate(seen) = next_event(&mut events, |e| matches!(e, Event::MessageCreate(_))).await else { unreachable!() };
    assert_eq!((seen.id, seen.guild_id), (sent.id, Some(guild(&mock))));
}
