//! Hostile identifiers and values against the real local platform (`scripts/platform-up.sh`):
//! an id, a query parameter or a JSON body field reaches the platform as ONE value of the
//! route the SDK meant, or is refused before anything is sent, never served by another route.
//!
//! ```sh
//! scripts/with-platform.sh cargo test --test live_hostile
//! ```
//!
//! What ctfy 0.7.0 (uvicorn + Starlette) does with each input, measured with raw requests and
//! through the SDK (the SDK percent-encodes every byte of a path segment outside
//! `A-Z a-z 0-9 - _ . ~`):
//!
//! | input in an id | sent by the SDK as | the platform |
//! |---|---|---|
//! | `/` (`{comp}/challenges`) | `%2F` | **decodes `%2F` before routing**: `GET /competitions/{comp}%2Fchallenges` is served by the challenges route (200, a page of challenges); likewise `/challenges/{id}%2Ffeedback%2Fstats`, `/competitions/{comp}%2Fscoreboard`. Routes with a `path`-style parameter (`/instances/{id}`) take `x/y` as one id (404 `instance_not_found` naming `x/y`); elsewhere an unmatched path answers the framework's 404 `{"detail":"Not Found"}`. So the SDK refuses `/` (`Error::InvalidId`, nothing sent) |
//! | `\` | `%5C` | one literal value (`404 Competition not found: {comp}\challenges`): the platform does not treat it as a separator, but proxies and other servers may, so the SDK refuses it too |
//! | `%2F`, `%5C` (literal percent escapes) | `%252F`, `%255C` | decoded once, so the route sees the literal text `%2F` / `%5C`: 404 naming `{comp}%2Fchallenges`. Never another route. (Accepted or refused by the SDK: both are safe, the test allows either) |
//! | `..`, `.`, empty | refused (`Error::InvalidId`) | (raw `%2E%2E` is taken as the literal id `..`, 404; a raw `..%2Fadmin%2Fusers` is not normalised: framework 404) |
//! | `?`, `#` (`{comp}?x=1`, `{comp}#x`) | `%3F`, `%23` | one value: 404 naming `{comp}?x=1`. Unencoded they would cut the path down to the real competition (a 200) |
//! | CR LF, NUL | `%0D%0A`, `%00` | one value: 404 naming it (`x\r\ny`, `x\u0000y`), except on `/instances/{id}…`, whose `path` parameter pattern does not match a newline: the framework's 404 `Not Found` (no route, not another one) |
//! | unicode (`ünïcødé ✓ 🦀`) | UTF-8 percent-encoded | one value, 404 naming it verbatim |
//! | a 10 kB string | 10 kB segment | one value, 404 naming the whole string (uvicorn took request lines up to 24 kB of encoded path in our probes) |
//!
//! | hostile value in | the platform |
//! |---|---|
//! | a query parameter (`admin.users().list().q("…&role=super_admin#frag?x=1…")`, `search_teams().q(…)`) | one value: the substring search finds exactly the user/team whose name is that string (split at `&`/`#` it would filter by `role=super_admin` and find nobody) |
//! | a JSON body field (registration `display_name` with `","role":"super_admin`, CR LF, NUL; team `name`; `qa/submissions` `answer` and `question_id`) | one value, stored and echoed verbatim (`role` stays `user`); an unknown `question_id` is 422 `unknown_question_id` naming the whole string |
//!
//! The two `*_with_slash_and_backslash_are_refused` tests fail on an SDK that sends ids with
//! `/` or `\` (before main's 034ce33 "ids with / or \ refused"): the calls are sent (the
//! sentinel sees them) and `/` reaches the sub-route, e.g. `competitions().get("{comp}/challenges")`
//! gets HTTP 200 from the challenges route (the SDK then fails to decode it: `missing field
//! id`), `challenges().get("{id}/feedback/stats")`, `teams().get("{id}/achievements")` and
//! `users().get("{id}/profile-stats")` likewise; `instances().stop("a/b")` is `Ok(false)`.
//!
//! Without a running platform they print why and pass, except under `CI=true`.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ctfy::{Error, PlatformClient, Registration};

use crate::support::LiveEnv;

// ------------------------------------------------------------------ helpers

fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}")
}

/// A loopback listener that counts the connections it gets (and closes them): a client
/// pointed at it proves that a refused call sent nothing.
struct Sentinel {
    url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Sentinel {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        Self { url, hits, task }
    }

    fn client(&self) -> PlatformClient {
        PlatformClient::builder(self.url.as_str())
            .token("pf_sentinel")
            .max_retries(0)
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one call came back with.
enum Outcome {
    Ok(String),
    Err(Error),
}

fn outcome<T: Debug>(r: ctfy::Result<T>) -> Outcome {
    match r {
        Ok(v) => {
            let mut s = format!("{v:?}");
            s.truncate(160);
            Outcome::Ok(s)
        }
        Err(e) => Outcome::Err(e),
    }
}

impl Outcome {
    fn refused(&self) -> bool {
        matches!(self, Outcome::Err(Error::InvalidId(_)))
    }

    fn describe(&self) -> String {
        match self {
            Outcome::Ok(v) => format!("Ok({v})"),
            Outcome::Err(e) => {
                let mut s = format!("Err(status {:?}, code {:?}: {})", e.status(), e.code(), e);
                s.truncate(200);
                s
            }
        }
    }
}

/// The routes the id tests go through, each with an id that exists on the harness and a
/// sub-route a `/` could reach.
#[derive(Debug, Clone, Copy)]
enum Route {
    Competition,
    CompetitionHandle,
    Challenge,
    Team,
    User,
    Instance,
    InstanceStatus,
    InstanceStop,
}

const ROUTES: [Route; 8] = [
    Route::Competition,
    Route::CompetitionHandle,
    Route::Challenge,
    Route::Team,
    Route::User,
    Route::Instance,
    Route::InstanceStatus,
    Route::InstanceStop,
];

impl Route {
    /// An existing id of this route's resource (instances: none exists, a well-formed one).
    fn real(self, env: &LiveEnv) -> String {
        match self {
            Route::Competition | Route::CompetitionHandle => env.var("COMPETITION_ID").into(),
            Route::Challenge => env.var("WEB_CHALLENGE_ID").into(),
            Route::Team => env.var("PLAYER_TEAM_ID").into(),
            Route::User => env.var("PLAYER_USER_ID").into(),
            Route::Instance | Route::InstanceStatus | Route::InstanceStop => {
                "00000000-0000-4000-8000-000000000000".into()
            }
        }
    }

    /// A sub-route of the resource that a `/` in the id would reach on this platform.
    fn sub(self) -> &'static str {
        match self {
            Route::Competition | Route::CompetitionHandle => "challenges",
            Route::Challenge => "feedback/stats",
            Route::Team => "achievements",
            Route::User => "profile-stats",
            Route::Instance | Route::InstanceStop => "status",
            Route::InstanceStatus => "traffic",
        }
    }

    async fn call(self, c: &PlatformClient, id: &str) -> Outcome {
        match self {
            Route::Competition => outcome(c.competitions().get(id).await),
            Route::CompetitionHandle => match c.competition(id) {
                Ok(comp) => outcome(comp.detail().await),
                Err(e) => outcome::<()>(Err(e)),
            },
            Route::Challenge => outcome(c.challenges().get(id).await),
            Route::Team => outcome(c.teams().get(id).await),
            Route::User => outcome(c.users().get(id).await),
            Route::Instance => outcome(c.instances().get(id).await),
            Route::InstanceStatus => outcome(c.instances().status(id).await),
            Route::InstanceStop => outcome(c.instances().stop(id).await),
        }
    }
}

fn show(id: &str) -> String {
    let mut s = format!("{id:?}");
    if s.len() > 60 {
        s.truncate(60);
        s.push_str("…\"");
    }
    s
}

/// Every `(route, id)` must be refused with `Error::InvalidId`, by the platform client and by
/// a client of the sentinel (which must see no connection). Returns what was not.
async fn expect_refused(env: &LiveEnv, cases: &[(Route, String)]) -> Vec<String> {
    let sentinel = Sentinel::start().await;
    let nowhere = sentinel.client();
    let player = env.player();
    let mut failures = Vec::new();
    for (route, id) in cases {
        let live = route.call(&player, id).await;
        let hits = sentinel.hits();
        let local = route.call(&nowhere, id).await;
        let sent = sentinel.hits() - hits;
        if !live.refused() || !local.refused() || sent > 0 {
            failures.push(format!(
                "{route:?} {}: not refused; the platform answered {}; the sentinel got {sent} connection(s)",
                show(id),
                live.describe()
            ));
        }
    }
    failures
}

/// The error is a 404 or 422 of the route meant, for `id` as one value: when the platform's
/// own handler answered (it has a `code`), its message names the whole id. Returns a failure.
fn one_value(route: Route, id: &str, got: &Outcome) -> Option<String> {
    let bad = |why: &str| Some(format!("{route:?} {}: {why}: {}", show(id), got.describe()));
    match got {
        // `stop()` maps the DELETE route's 404 to `Ok(false)`.
        Outcome::Ok(v) if matches!(route, Route::InstanceStop) && v == "false" => None,
        Outcome::Ok(_) => bad("expected a 404/422, got a success (another route?)"),
        Outcome::Err(e) => {
            let Some(api) = e.api() else {
                return bad("expected an API error");
            };
            if api.status != 404 && api.status != 422 {
                return bad("expected 404 or 422");
            }
            // Server text in errors is bounded (`SNIPPET_LEN`): a long id's message is cut,
            // and then names the id's start up to the cut.
            let msg = api.message();
            let named = msg.contains(id)
                || msg.ends_with('…') && msg.contains(&id.chars().take(64).collect::<String>());
            if api.code.is_some() && !named {
                return bad("the platform's message does not name the whole id");
            }
            None
        }
    }
}

fn report(what: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

// ------------------------------------------------------------------ the platform's routing

/// Why `/` must be refused: the platform decodes `%2F` before routing, so an id with an
/// encoded slash reaches another route. (Raw requests: this documents the platform.)
#[tokio::test]
async fn the_platform_routes_an_encoded_slash() {
    let env = live_env!();
    let comp = env.var("COMPETITION_ID");
    let get = |path: String| async move {
        let resp = reqwest::Client::new()
            .get(format!("{}/api/v1{path}", env.url()))
            .bearer_auth(env.var("PLAYER_TOKEN"))
            .send()
            .await
            .expect("raw GET");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    };

    let (status, body) = get(format!("/competitions/{comp}%2Fchallenges")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(env.var("WEB_CHALLENGE_ID")),
        "the challenges route: {body}"
    );

    // A literal `%2F` (what the SDK sends for it: `%252F`) is decoded once: one value.
    let (status, body) = get(format!("/competitions/{comp}%252Fchallenges")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains(&format!("{comp}%2Fchallenges")), "{body}");

    // A backslash is not a separator here: one literal value.
    let (status, body) = get(format!("/competitions/{comp}%5Cchallenges")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains(&format!(r"{comp}\\challenges")), "{body}");

    // No dot-segment normalisation after decoding.
    let (status, body) = get("/competitions/..%2Fadmin%2Fusers".into()).await;
    assert_eq!(status, 404, "{body}");
}

// ------------------------------------------------------------------ refused ids

/// `/` and `\` in a path id: refused with `Error::InvalidId` before anything is sent.
/// Fails until the SDK refuses them (today they are sent as `%2F`/`%5C`, and `/` reaches the
/// sub-route).
#[tokio::test]
async fn path_ids_with_slash_and_backslash_are_refused() {
    let env = live_env!();
    let mut cases = Vec::new();
    for route in ROUTES {
        let real = route.real(env);
        for id in [
            format!("{real}/{}", route.sub()),
            format!("{real}\\{}", route.sub()),
            format!("{real}/"),
            "a/b".into(),
            "a\\b".into(),
            "/".into(),
            "\\".into(),
            "../admin/users".into(),
            "..\\admin".into(),
            format!("x/../{real}"),
        ] {
            cases.push((route, id));
        }
    }
    report("ids with / or \\", expect_refused(env, &cases).await);
}

/// `/` and `\` in an id that travels in a JSON body (`submit`'s `instance_id`, `start`'s
/// `challenge_id`/`competition_id`): refused the same way. Fails until the SDK refuses them.
#[tokio::test]
async fn body_ids_with_slash_and_backslash_are_refused() {
    let env = live_env!();
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let sentinel = Sentinel::start().await;
    let mut failures = Vec::new();
    for (target, client) in [("platform", env.player()), ("sentinel", sentinel.client())] {
        for bad in ["a/b", "a\\b", "/", "\\"] {
            let cases = [
                (
                    "submissions().submit(instance_id)",
                    outcome(client.submissions().submit(bad, "FLAG{x}").await),
                ),
                (
                    "submissions().verify(instance_id)",
                    outcome(client.submissions().verify(bad, "FLAG{x}").await),
                ),
                (
                    "instances().start(challenge_id)",
                    outcome(
                        client
                            .instances()
                            .start(bad)
                            .competition_id(comp)
                            .deadline(Duration::from_secs(5))
                            .await,
                    ),
                ),
                (
                    "instances().start().competition_id(competition_id)",
                    outcome(
                        client
                            .instances()
                            .start(web)
                            .competition_id(format!("{comp}{bad}"))
                            .deadline(Duration::from_secs(5))
                            .await,
                    ),
                ),
            ];
            for (what, got) in cases {
                if !got.refused() {
                    failures.push(format!(
                        "{target}: {what} {}: {}",
                        show(bad),
                        got.describe()
                    ));
                }
            }
        }
    }
    if sentinel.hits() > 0 {
        failures.push(format!(
            "the sentinel got {} connection(s)",
            sentinel.hits()
        ));
    }
    // If a start got through (it must not), leave nothing running.
    for i in env
        .player()
        .instances()
        .list()
        .await
        .map(|p| p.items)
        .unwrap_or_default()
    {
        let _ = env.player().instances().stop(i.id.as_str()).await;
    }
    report("body ids with / or \\", failures);
}

/// `..`, `.` and the empty id: refused with `Error::InvalidId`, nothing sent.
#[tokio::test]
async fn dot_segments_and_empty_ids_are_refused() {
    let env = live_env!();
    let mut cases = Vec::new();
    for route in ROUTES {
        for id in ["", ".", ".."] {
            cases.push((route, id.to_owned()));
        }
    }
    report(
        "dot segments and empty ids",
        expect_refused(env, &cases).await,
    );
}

// ------------------------------------------------------------------ ids sent as one value

/// A literal `%2F` / `%5C` in an id is either refused or reaches the platform as the literal
/// text (the SDK sends `%252F`): a 404 naming it, never the sub-route.
#[tokio::test]
async fn percent_escapes_in_ids_stay_literal() {
    let env = live_env!();
    let player = env.player();
    let mut failures = Vec::new();
    for route in ROUTES {
        let real = route.real(env);
        let sub = route.sub().replace('/', "%2F");
        for id in [
            format!("{real}%2F{sub}"),
            format!("{real}%5C{sub}"),
            format!("{real}%2f{sub}"),
            format!("{real}%252F{sub}"),
            "%2F".into(),
            "%5C".into(),
            "%2E%2E".into(),
            "..%2Fadmin%2Fusers".into(),
        ] {
            let got = route.call(&player, &id).await;
            if got.refused() {
                continue;
            }
            if let Some(f) = one_value(route, &id, &got) {
                failures.push(f);
            }
        }
    }
    report("percent escapes in ids", failures);
}

/// `?`, `#`, CR LF, NUL, unicode and a 10 kB string in an id: one encoded value, answered by a
/// 404/422 of the route meant (never a 200 of another route, never the real resource the
/// value starts with).
#[tokio::test]
async fn odd_ids_are_sent_as_one_value() {
    let env = live_env!();
    let player = env.player();
    let long = "k".repeat(10 * 1024);
    let mut failures = Vec::new();
    for route in ROUTES {
        let real = route.real(env);
        for id in [
            format!("{real}?x=1"),
            format!("{real}?"),
            format!("{real}#frag"),
            format!("{real}#"),
            format!("{real}\r\nX-Injected: 1"),
            format!("{real}\0"),
            format!("{real} "),
            format!("{real}&x=1"),
            "ünïcødé ✓ 🦀".into(),
            long.clone(),
            format!("{real}{long}"),
        ] {
            let got = route.call(&player, &id).await;
            if let Some(f) = one_value(route, &id, &got) {
                failures.push(f);
            }
        }
    }
    report("odd ids", failures);
}

// ------------------------------------------------------------------ query and body values

/// A hostile string: query and JSON metacharacters, an encoded slash, unicode. Unique per call.
fn hostile(tag: &str) -> String {
    format!("zz{tag}&role=super_admin#frag?x=1\r\n\0 %2F/\\ünï\",\"role\":\"super_admin")
}

/// A fresh user registered with `display_name`; its `pt_` client and id.
async fn register(env: &LiveEnv, display_name: &str) -> (PlatformClient, String) {
    let tag = unique();
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let token = anon
        .auth()
        .register(
            format!("live-hostile-{tag}@example.com"),
            format!("pw-{tag}-long-enough"),
        )
        .display_name(display_name)
        .await
        .expect("register")
        .token;
    let client = PlatformClient::new(env.url(), token.as_str()).unwrap();
    let id = client.me().get().await.expect("me").id.into_string();
    (client, id)
}

/// A hostile value in a query parameter is sent as one value: the platform's substring search
/// finds exactly the user and the team named with it.
#[tokio::test]
async fn hostile_query_values_are_one_value() {
    let env = live_env!();
    let name = hostile(&unique());
    let (client, id) = register(env, &name).await;

    let admin = ctfy::AdminClient::connect(env.url(), env.var("ADMIN_TOKEN")).unwrap();
    let found = admin
        .users()
        .list()
        .q(name.as_str())
        .await
        .expect("GET /admin/users?q=");
    let ids: Vec<_> = found.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, [id.as_str()], "q={name:?}");
    assert_eq!(found.items[0].display_name, name);

    let team_name = format!("t{}&x=1#f?y\r\n\0%2F/\\ü\"", unique());
    let comp = client.competition(env.var("COMPETITION_ID")).unwrap();
    let team = comp
        .register(Registration::Create {
            name: team_name.clone(),
            description: String::new(),
        })
        .await
        .expect("team with a hostile name");
    let found = comp
        .search_teams()
        .q(team_name.as_str())
        .await
        .expect("GET …/teams/search?q=");
    let ids: Vec<_> = found.items.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [team.id.as_str()], "q={team_name:?}");

    // A filter with a query injection matches nothing rather than another filter.
    let listed = client
        .challenges()
        .list()
        .q("\0\r\n&category=web#")
        .competition_id(env.var("COMPETITION_ID"))
        .await
        .expect("GET /challenges?q=");
    assert!(listed.items.is_empty(), "{:?}", listed.items);
}

/// A hostile value in a JSON body field is sent as one value and stored verbatim.
#[tokio::test]
async fn hostile_body_values_are_one_value() {
    let env = live_env!();
    let name = hostile(&unique());
    let (client, _) = register(env, &name).await;
    let me = client.me().get().await.unwrap();
    assert_eq!(me.display_name, name);
    assert_eq!(
        me.role,
        ctfy::models::platform::AdminUserInfoRole::User,
        "a JSON injection in display_name changed the role"
    );

    let comp_id = env.var("COMPETITION_ID");
    let team_name = format!("t{}\",\"captain_user_id\":\"x\r\n\0ü", unique());
    let team = client
        .competition(comp_id)
        .unwrap()
        .register(Registration::Create {
            name: team_name.clone(),
            description: name.clone(),
        })
        .await
        .expect("team with a hostile name");
    assert_eq!(team.name, team_name);
    assert_eq!(team.description, name);
    assert_eq!(team.captain_user_id, me.id);

    // An answer and a question id with injections: graded and recorded as one value.
    let qa = env.var("QA_CHALLENGE_ID");
    let res = client
        .submissions()
        .submit_qa(comp_id, qa, name.as_str())
        .question_id("answer")
        .await
        .expect("QA submission");
    assert!(!res.correct);
    let rows = client
        .submissions()
        .list()
        .challenge_id(qa)
        .await
        .expect("GET /submissions");
    let row = rows.items.iter().find(|r| r.id == res.id).expect("the row");
    assert_eq!(row.claimed_flag, name);

    let question = "answer\",\"question_id\":\"transport";
    let err = client
        .submissions()
        .submit_qa(comp_id, qa, "tcp")
        .question_id(question)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
    assert_eq!(err.code(), Some("unknown_question_id"), "{err}");
    assert_eq!(
        err.api().unwrap().detail_field("question_id"),
        Some(&serde_json::json!(question))
    );
}
