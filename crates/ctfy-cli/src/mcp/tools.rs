//! The tools, one entry each. An entry is everything about its tool: the name, title,
//! description, declared defaults and output type that `tools/list` declares (through
//! [`super::table`]), and the body that `tools/call` runs, given the platform client of the
//! call and the typed arguments. Adding a tool is adding an entry; [`router`] registers every
//! entry as an rmcp dynamic route.

use std::sync::Arc;

use futures::FutureExt as _;
use rmcp::handler::server::common::{schema_for_empty_input, schema_for_input};
use rmcp::handler::server::router::tool::{ToolRoute, ToolRouter};
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{CallToolResponse, JsonObject, Tool};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::table::{Output, ToolSpec, attachment_schema, instance_ready_schema, template_schema};
use super::*;

/// The input schema of the argument type `T`, as rmcp's `#[tool]` derives it.
fn input_schema<T: schemars::JsonSchema + 'static>() -> Arc<JsonObject> {
    schema_for_input::<T>()
        .unwrap_or_else(|e| panic!("the input schema of {}: {e}", std::any::type_name::<T>()))
}

/// The dynamic route of one tool: its arguments are read into `A` (a tool error naming what
/// does not fit, as rmcp's own parameter extraction gives), then `call` runs with the client
/// of the server answering the call.
fn dyn_route<A, F, Fut>(
    name: &'static str,
    description: &'static str,
    schema: Arc<JsonObject>,
    call: F,
) -> ToolRoute<CtfyMcp>
where
    A: DeserializeOwned + Send + 'static,
    F: Fn(PlatformClient, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CallToolResult> + Send + 'static,
{
    ToolRoute::new_dyn(
        Tool::new(name, description, schema),
        move |context: ToolCallContext<'_, CtfyMcp>| {
            let client = context.service.client.clone();
            let arguments = context.arguments.unwrap_or_default();
            let pending =
                serde_json::from_value::<A>(Value::Object(arguments)).map(|a| call(client, a));
            async move {
                match pending {
                    Ok(running) => Ok(CallToolResponse::Complete(running.await)),
                    Err(e) => Err(ErrorData::invalid_params(
                        format!("failed to deserialize parameters: {e}"),
                        None,
                    )),
                }
            }
            .boxed()
        },
    )
}

/// One entry's route: a body without arguments, or with arguments of a type.
macro_rules! route {
    ($name:literal, $description:literal, |$c:ident| $body:block) => {
        dyn_route(
            $name,
            $description,
            schema_for_empty_input(),
            |$c: PlatformClient, _: JsonObject| async move {
                let $c = &$c;
                $body
            },
        )
    };
    ($name:literal, $description:literal, |$c:ident, $a:ident: $args:ty| $body:block) => {
        dyn_route(
            $name,
            $description,
            input_schema::<$args>(),
            |$c: PlatformClient, $a: $args| async move {
                let $c = &$c;
                $body
            },
        )
    };
}

/// The table: `TOOLS` (what `tools/list` declares of each tool) and `router()` (a dynamic
/// route per tool), both from the same entries.
macro_rules! tools {
    ($(
        Entry {
            name: $name:literal,
            title: $title:literal,
            output: $output:expr,
            defaults: &[$(($param:literal, $default:literal)),* $(,)?],
            description: $description:literal,
            call: |$c:ident $(, $a:ident: $args:ty)?| async move $body:block $(,)?
        }
    ),* $(,)?) => {
        /// Every tool's entry, in the order of the table.
        pub(crate) static TOOLS: &[ToolSpec] = &[$(
            ToolSpec {
                name: $name,
                title: $title,
                description: $description,
                output: $output,
                defaults: &[$(($param, $default)),*],
            },
        )*];

        /// The router of every tool in the table.
        pub(crate) fn router() -> ToolRouter<CtfyMcp> {
            let mut router = ToolRouter::new();
            $(router.add_route(route!($name, $description, |$c $(, $a: $args)?| $body));)*
            router
        }
    };
}

tools![
    Entry {
        name: "list_competitions",
        title: "List Competitions",
        output: Output::List("CompetitionInfo"),
        defaults: &[],
        description: "Where a session begins: the competitions this platform holds, each with its id, \
            name, format and time window. Narrow it with `phase` (upcoming, running or past; \
            empty for all) and page with offset/limit (50 rows unless you ask otherwise; ask \
            again with a larger offset for more). What to do next: \
            register_for_competition(competition_id) to be on a team there, then \
            list_competition_challenges(competition_id) to pick a target, then \
            start_instance(challenge_id, competition_id=...). get_competition gives one event in \
            full.",
        call: |c, a: ListCompetitionsArgs| async move {
            steps(async {
                let mut req = c
                    .competitions()
                    .list()
                    .offset(count(a.offset))
                    .limit(count(a.limit));
                if !a.phase.is_empty() {
                    req = req.phase(a.phase.as_str());
                }
                Ok(req.await?.items)
            })
            .await
        },
    },
    Entry {
        name: "get_competition",
        title: "Get Competition",
        output: Output::Model("CompetitionDetail"),
        defaults: &[],
        description: "One competition in full: its challenges in the order the organiser curated \
            (`challenges`), its time window, the fields that describe its rules and format, and \
            your own standing in it (whether you are registered). This is the check to make \
            before start_instance. For an event that is over, `can_replay` tells in advance \
            whether replay_competition would accept it. When the event names a contributor \
            agreement for authored challenges, `authoring_terms_version` and \
            `authoring_terms_url` say which.",
        call: |c, a: CompetitionArg| async move {
            reply(c.competitions().get(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "replay_competition",
        title: "Replay Competition",
        output: Output::Model("CompetitionInfo"),
        defaults: &[],
        description: "Play a contest that has already ended, on a clock of your own: the way to upsolve \
            it. The reply is the replay, an ordinary competition with a new id in which you are \
            registered already. From then on use THAT `id` everywhere (start_instance, \
            submit_answer, submit_patch, the boards): the id you passed names the finished \
            contest, and nothing done under it is scored. Asking again is safe and free: it \
            resumes the replay you already started rather than opening a second one, so one \
            attempt is never split over two sittings. Refused with HTTP 400 whenever a replay \
            makes no sense for the contest: it has not finished, it has no time window, it ran \
            in several sessions, it never ran, or it is itself a replay. get_competition(id) \
            answers `can_replay` beforehand, so you need not ask to find out.",
        call: |c, a: CompetitionArg| async move {
            reply(
                c.competitions()
                    .start_virtual(a.competition_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "get_virtual_standings",
        title: "Get Virtual Standings",
        output: Output::Model("VirtualGhostBoard"),
        defaults: &[],
        description: "Your replay measured against the teams that played the contest on the day, at the \
            same point of the clock: forty minutes into your run you are ranked against their \
            board as it stood forty minutes into theirs, which is what turns a replay into a \
            race. Give the id of the REPLAY (the one replay_competition returned), not the id of \
            the original contest. The replay's own scoreboard has a single team, yours, and \
            tells you nothing, so this is the board to read while replaying.",
        call: |c, a: CompetitionArg| async move {
            reply(c.competitions().ghosts(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "register_for_competition",
        title: "Register For Competition",
        output: Output::Model("TeamDetail"),
        defaults: &[("mode", "\"solo\"")],
        description: "Put yourself on a team in a competition. Do it before anything else: \
            start_instance is refused (`not_registered`) for a player with no team there, with \
            no way around it. mode `solo` (the default, what a lone agent wants) makes a \
            one-person team and is idempotent: calling it again returns the same team. \
            `create` makes a named team (name, description) others can join; `join` enters an \
            existing team by its invite code. Some events also want an entry form: see \
            get_registration_form.",
        call: |c, a: RegisterArgs| async move {
            steps(async {
                let how = match a.mode {
                    RegisterMode::Solo => Registration::Solo,
                    RegisterMode::Create => Registration::Create {
                        name: a.name,
                        description: a.description,
                    },
                    RegisterMode::Join => Registration::Join { code: a.code },
                };
                Ok(c.competition(a.competition_id.as_str())?
                    .register(how)
                    .await?)
            })
            .await
        },
    },
    Entry {
        name: "get_registration_form",
        title: "Get Registration Form",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[],
        description: "A competition's entry form together with what you have already answered. The \
            organiser chooses, per event, which fields exist and which of them are mandatory, so \
            read this before submit_registration instead of guessing field names. `form` \
            describes the fields (with which are required), `missing_required` lists the \
            mandatory ones still empty, and the other keys are your current answers. Many events \
            ask for nothing: then `missing_required` is empty and register_for_competition was \
            all there was to do. The platform serves this read to signed-in sessions; an API \
            token may be refused with HTTP 403.",
        call: |c, a: CompetitionArg| async move {
            reply(c.registration().get(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "submit_registration",
        title: "Submit Registration",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[("gender", "\"\"")],
        description: "Fill in a competition's entry form. Beware: this REPLACES the whole set of answers \
            you gave before; it is not a partial update. Any field you leave out is erased, so \
            to correct a single answer you send every other value again as well: call \
            get_registration_form first and send back what it shows, with your change. Fields \
            the event does not collect are dropped silently rather than refused, so an extra \
            value does no harm. The reply's `missing_required` says whether the form is now \
            complete (empty: nothing left). `gender` is one of male, female, other, undisclosed, \
            or empty to leave it unanswered.",
        call: |c, a: SubmitRegistrationArgs| async move {
            steps(async {
                let req = c
                    .registration()
                    .submit(a.competition_id.as_str())
                    .real_name(a.real_name)
                    .phone(a.phone)
                    .mailing_address(a.mailing_address)
                    .gender(a.gender.as_str())
                    .organization(a.organization)
                    .academic_stage(a.academic_stage)
                    .grade(a.grade)
                    .undergrad_school(a.undergrad_school)
                    .specialties(a.specialties.unwrap_or_default())
                    .team_honors(a.team_honors);
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "list_competition_challenges",
        title: "List Competition Challenges",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
        description: "The challenges of one competition, in the order its organiser curated: the list to \
            choose a target from once list_competitions has given you the event. Narrow it by \
            `difficulty` (easy, medium, hard) or `tag`, and page with offset/limit (50 rows \
            unless you ask for fewer). Then call start_instance(challenge_id, \
            competition_id=...) for the one you pick; get_challenge(challenge_id, \
            competition_id=...) tells you its questions first. Question-and-answer quiz items \
            have no instance to start and are listed by list_qa_challenges instead.",
        call: |c, a: CompetitionChallengesArgs| async move {
            steps(async {
                let mut req = c
                    .competition(a.competition_id.as_str())?
                    .challenges()
                    .offset(count(a.offset))
                    .limit(count(a.limit));
                if let Some(d) = a.difficulty.filter(|d| !d.is_empty()) {
                    req = req.difficulty(d);
                }
                if !a.tag.is_empty() {
                    req = req.tag(a.tag);
                }
                Ok(req.await?.items)
            })
            .await
        },
    },
    Entry {
        name: "search_challenges",
        title: "Search Challenges",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
        description: "Keyword search over the platform's whole challenge catalog, across every competition \
            at once (not scoped to one event). `q` is matched against ids, names and \
            descriptions, for instance \"idor\", \"injection\", \"sso\" or an event's prefix \
            such as \"CTFARENA\"; narrow by `difficulty` and cap the rows with `limit` (20 \
            unless you ask otherwise). For playing an event, prefer list_competitions then \
            list_competition_challenges, which give that event's own set and order; use this for \
            practice or to find challenges on a topic.",
        call: |c, a: SearchChallengesArgs| async move {
            steps(async {
                let mut req = c.challenges().list().q(a.q).limit(count(a.limit));
                if let Some(d) = a.difficulty.filter(|d| !d.is_empty()) {
                    req = req.difficulty(d);
                }
                Ok(req.await?.items)
            })
            .await
        },
    },
    Entry {
        name: "list_challenges",
        title: "List Challenges",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
        description: "The platform's entire challenge catalog, not scoped to any competition, optionally \
            narrowed by `difficulty`, `tag` or `category` (web, pwn, reverse, crypto, misc) and \
            paged with offset/limit (50 rows unless you ask otherwise). It is for practice and \
            browsing; when you play an event, list_competition_challenges(competition_id) gives \
            that event's set in its curated order. The solve counts here are per team over the \
            whole platform: whether YOU have solved a challenge is what get_my_solves answers.",
        call: |c, a: ListChallengesArgs| async move {
            steps(async {
                let mut req = c
                    .challenges()
                    .list()
                    .offset(count(a.offset))
                    .limit(count(a.limit));
                if let Some(d) = a.difficulty.filter(|d| !d.is_empty()) {
                    req = req.difficulty(d);
                }
                if !a.tag.is_empty() {
                    req = req.tag(a.tag);
                }
                if !a.category.is_empty() {
                    req = req.category(a.category);
                }
                Ok(req.await?.items)
            })
            .await
        },
    },
    Entry {
        name: "get_challenge",
        title: "Get Challenge",
        output: Output::Model("ChallengeInfo"),
        defaults: &[],
        description: "One challenge's catalog entry, the place to read what a challenge asks before \
            attacking it.\n\
            \n\
            `questions` lists every question the challenge declares: its id, its prompt, its \
            mode and, for choice questions, its choices. A prompt stays empty while its question \
            is locked behind another one (a `requires:` chain) and appears once that one is \
            answered. The question id is what submit_answer takes as `question_id`; a challenge \
            with a single question calls it \"flag\".\n\
            \n\
            Five fields say what is already yours (the response schema does not describe them, \
            so here they are): `my_solved_question_ids` and `my_fully_solved` are what YOU \
            captured; `my_team_solved_question_ids` and `my_team_fully_solved` are what your \
            whole team holds. An agent plays on a solo team of its own, so the team's can only \
            exceed yours in an event where a human plays beside you. `my_team_authored` means \
            your team wrote this challenge: solving it scores nothing for you. You may still \
            start an instance and submit, which is the only way to check from the outside that \
            your upload can be answered; the capture is just not recorded.\n\
            \n\
            `defence` appears only on a defensible (AWD+) challenge and comes from the gamebox's \
            own declaration. For defending through a shell: `defence.shell_service` is where \
            your shell lands and `defence.shell_is_scored` whether that service is the one \
            attacked and probed; `defence.live_files` gives each file's path in the shell and \
            where its shipped original is kept; `defence.restart_command` is what makes an edit \
            take effect. A running service keeps the code it loaded, so an edit does nothing \
            until you run that command, and nothing brings back a service that died: it stays \
            down, losing SLA every round, until you run it. An empty command means the challenge \
            does not say, never that edits apply by themselves.\n\
            \n\
            Pass `competition_id` whenever you play an event: authorship is decided per \
            competition, so without it `my_team_authored` reads false even on your own team's \
            upload, and the solve counts cover every event on the platform.\n\
            \n\
            `author_display_name` names the player who wrote an uploaded challenge, when they \
            asked to be named. It is empty for the platform's own corpus, for uploads credited \
            anonymously, wherever the event it came from keeps its entrants' names private, and \
            as long as any competition you can see that shows the challenge is still running \
            (the name appears once the last of them ends). `author_user_id` is that player's \
            account id, present exactly when the name is.",
        call: |c, a: GetChallengeArgs| async move {
            steps(async {
                let mut req = c.challenges().get(a.challenge_id.as_str());
                if !a.competition_id.is_empty() {
                    req = req.competition_id(a.competition_id.as_str());
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "list_challenge_attachments",
        title: "List Challenge Attachments",
        output: Output::Model("AttachmentList"),
        defaults: &[],
        description: "The files a challenge ships to everyone from its `attachments/` directory: binaries, \
            data files, notes. Reverse, pwn, crypto and misc challenges usually have some; web \
            challenges often none. The answer is `{files: [...]}`, with an empty list when the \
            challenge ships nothing. Fetch one with download_challenge_attachment(challenge_id, \
            filename), passing the row's `name` (its path relative to that directory). Files \
            made per team are not listed here: they belong to an instance \
            (list_instance_attachments once it runs).",
        call: |c, a: ChallengeArg| async move {
            reply(c.challenges().attachments(a.challenge_id.as_str()).await)
        },
    },
    Entry {
        name: "start_instance",
        title: "Start Instance",
        output: Output::Custom(instance_ready_schema),
        defaults: &[],
        description: "Launch a target for a challenge and wait until it is ready to be attacked. The reply \
            carries the instance `id` and its attack surface: the hosts, ports and credentials \
            to use. KEEP the `id`: every other instance tool takes it as its first argument \
            (list_instances finds it again if you lose it). Pass `competition_id` whenever you \
            play an event; you need a team there first (register_for_competition), otherwise the \
            start is refused. `ttl` asks for a lifetime in seconds, which the platform caps at \
            its maximum; renew_instance extends it later, reset_instance swaps it for a fresh \
            copy.",
        call: |c, a: StartInstanceArgs| async move {
            steps(async {
                let mut req = c.instances().start(a.challenge_id.as_str());
                if let Some(ttl) = a.ttl {
                    req = req.ttl(secs(ttl));
                }
                if !a.competition_id.is_empty() {
                    req = req.competition_id(a.competition_id.as_str());
                }
                Ok(InstanceReady::from(req.await?))
            })
            .await
        },
    },
    Entry {
        name: "get_instance",
        title: "Get Instance",
        output: Output::Model("InstanceInfo"),
        defaults: &[],
        description: "Everything about one of your running instances (its full record: challenge, state, \
            surface, deadline, questions, files).\n\
            \n\
            For a challenge with several questions (milestones), `questions` gives each \
            question's id, its current prompt (empty while it is still locked behind a \
            `requires:` chain) and your team's progress on it (`unlocked`, \
            `answered_correctly`). Walk that list to choose which question to work on next, and \
            read this again after every correct submit_answer: a question it unlocked shows its \
            prompt only then.\n\
            \n\
            `attachments` lists the files that belong to THIS instance, such as a binary the \
            challenge compiled for your team or a note rendered with your own answer, once the \
            instance is ready (the list is empty before). Fetch each with \
            download_instance_attachment(instance_id, name): the challenge-level download only \
            serves the shared static files.",
        call: |c, a: InstanceArg| async move { reply(c.instances().get(a.instance_id.as_str()).await) },
    },
    Entry {
        name: "get_instance_status",
        title: "Get Instance Status",
        output: Output::Model("InstanceStatusResponse"),
        defaults: &[],
        description: "Look at an instance again without stopping it. The reply is the instance's status \
            record: `status` (starting, ready, error and the like), the attack surface once the \
            status is \"ready\", and the error text when it is \"error\". Use it after \
            start_instance when you have lost track of the surface or suspect the target died, \
            instead of stopping and starting it again (which costs time and, on a full platform, \
            perhaps the slot). If it is broken for good, reset_instance swaps it for a fresh one \
            in one step.",
        call: |c, a: InstanceArg| async move {
            reply(c.instances().status(a.instance_id.as_str()).await)
        },
    },
    Entry {
        name: "get_instance_traffic",
        title: "Get Instance Traffic",
        output: Output::AnyObject,
        defaults: &[],
        description: "The HTTP traffic captured on one of your running instances: every request that \
            reached the box, whoever sent it, attackers included. In an AWD match this is the \
            whole defensive loop: read the traffic, find the payload used against you, close the \
            hole. Without it a defender can be exploited round after round and never learn how.\n\
            \n\
            Send back the `cursor` of the previous reply on EVERY call. An empty cursor means \
            \"from the beginning\", so polling without one reads the whole capture again each \
            time: megabytes of flows you have already seen, poured into your own context.\n\
            \n\
            `truncated: true` means call again straight away rather than at your next interval: \
            the platform already holds more and stopped only because the page was full. `limit` \
            caps the flows per page (20 unless you ask otherwise).\n\
            \n\
            `[redacted by ctfy]` inside a body is not a value. Before flows reach you the \
            platform replaces every answer it minted for this instance; reading one out of your \
            own capture would be getting the answer without solving anything. Never submit it.\n\
            \n\
            `capture` says whether anything is recording at all: \"on\"; \"off\" (the instance \
            has no proxy sidecar, so the list stays empty however long you watch); or \"\" (the \
            platform did not say).\n\
            \n\
            `redaction: \"unscrubbable\"` means this page was WITHHELD, not that nothing \
            happened: `flows` is empty and `unscrubbable` names the questions whose answers the \
            platform could not replace in the bytes, so serving the page would have handed one \
            over. An empty list under \"nothing_to_redact\" really is a quiet box; under \
            \"unscrubbable\" someone has to fix the challenge before you can read your own \
            traffic. Say so instead of concluding you were not attacked; the cursor does not \
            move, so the flows are still there once it is fixed.",
        call: |c, a: TrafficArgs| async move {
            steps(async {
                let mut req = c
                    .instances()
                    .traffic(a.instance_id.as_str())
                    .limit(count(a.limit));
                if !a.cursor.is_empty() {
                    req = req.cursor(a.cursor);
                }
                if !a.competition_id.is_empty() {
                    req = req.competition_id(a.competition_id.as_str());
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "stop_instance",
        title: "Stop Instance",
        output: Output::Text,
        defaults: &[],
        description: "Stop one of your running instances and give your team's slot back. The answer is a \
            line saying it stopped. What you solved stays solved: progress belongs to your team \
            and the challenge, not to the instance. An instance also stops by itself once every \
            question of its challenge is answered. To get a fresh copy of a broken target, \
            reset_instance does it in one step without releasing the slot.",
        call: |c, a: InstanceArg| async move {
            match c.instances().stop(a.instance_id.as_str()).await {
                Ok(_) => CallToolResult::success(vec![ContentBlock::text(format!(
                    "Instance {} stopped.",
                    a.instance_id
                ))]),
                Err(e) => reply(Err::<(), _>(e)),
            }
        },
    },
    Entry {
        name: "renew_instance",
        title: "Renew Instance",
        output: Output::Model("RenewResponse"),
        defaults: &[],
        description: "Extend the lifetime of a running instance. The reply's `expires_at` (Unix seconds) \
            is the new deadline, the one fact a renewal produces and the one you need to decide \
            when to renew next. Do not work it out from `ttl` yourself: the seconds you ask for \
            are ADDED to the time the box has left, the sum is capped at the platform's maximum \
            lifetime counted from now, and without `ttl` the platform picks its default \
            increment, so only the reply knows the deadline you were granted. Renewing a box \
            already at the cap succeeds (HTTP 200) and leaves the deadline where it was; \
            `expires_at` 0 means the instance has no deadline and there was nothing to extend.",
        call: |c, a: InstanceTtlArgs| async move {
            steps(async {
                let mut req = c.instances().renew(a.instance_id.as_str());
                if let Some(ttl) = a.ttl {
                    req = req.ttl(secs(ttl));
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "list_instances",
        title: "List Instances",
        output: Output::List("InstanceInfo"),
        defaults: &[],
        description: "Your instances: their ids, challenges, states and attack surfaces, optionally only \
            those of one `challenge_id`, of one `status` (starting, ready, error) or matching a \
            search `q`, paged with offset/limit (50 rows unless you ask otherwise). This is \
            where to recover an instance id after losing track of it, and where to check that \
            nothing forgotten is holding one of your team's slots (stop_instance frees one).",
        call: |c, a: ListInstancesArgs| async move {
            steps(async {
                let mut req = c
                    .instances()
                    .list()
                    .offset(count(a.offset))
                    .limit(count(a.limit));
                if !a.challenge_id.is_empty() {
                    req = req.challenge_id(a.challenge_id.as_str());
                }
                if !a.status.is_empty() {
                    req = req.status(a.status.as_str());
                }
                if !a.q.is_empty() {
                    req = req.q(a.q);
                }
                Ok(req.await?.items)
            })
            .await
        },
    },
    Entry {
        name: "verify_answer",
        title: "Verify Answer",
        output: Output::Bool,
        defaults: &[],
        description: "Try a candidate answer for a question of one of your instances without submitting \
            it: the same grader as submit_answer, aware of the question's mode (dynamic, static, \
            single select, multi select), but nothing is written to the submission record and it \
            is not an attempt. The reply is true or false. Use it to test a guess without \
            leaving a trail of wrong submissions; then submit_answer the one that passes, since \
            only a submission scores. `question_id` is \"flag\" unless the challenge has several \
            questions; a multi-select answer is a list of strings.",
        call: |c, a: AnswerArgs| async move {
            steps(async {
                let r = c
                    .submissions()
                    .verify(a.instance_id.as_str(), a.answer)
                    .question_id(a.question_id.as_str())
                    .await?;
                Ok(r.correct)
            })
            .await
        },
    },
    Entry {
        name: "submit_answer",
        title: "Submit Answer",
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
        description: "Submit an answer to one question of a running instance. A challenge declares one \
            question or several: get_challenge lists them (id, prompt, mode, choices). A \
            one-question challenge takes the default `question_id` \"flag\"; with several you \
            must name the question. A multi-select question takes a list of strings, the other \
            modes one string. The reply says whether the answer was correct and whether the \
            whole challenge is now solved (`challenge_fully_solved`): the instance stops by \
            itself only when every declared question has been answered correctly. Choice \
            questions count wrong answers against a small per-question cap, so check doubtful \
            guesses with verify_answer first. `checker` questions take no answer at all: use \
            verify_exploit.",
        call: |c, a: AnswerArgs| async move {
            reply(
                c.submissions()
                    .submit(a.instance_id.as_str(), a.answer)
                    .question_id(a.question_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "download_challenge_attachment",
        title: "Download Challenge Attachment",
        output: Output::Custom(attachment_schema),
        defaults: &[],
        description: "Download one of a challenge's shared files. `filename` is a `name` from \
            list_challenge_attachments. Text comes back readable, any other bytes come back \
            base64-encoded, and `encoding` tells which (utf-8 or base64); a file over 1 MiB \
            comes back as `too-large` with a note and no content rather than cut short. Files \
            marked per team do not exist at challenge level: they are rendered or compiled for \
            each instance, so this answers HTTP 409 for them and points at the instance route. \
            Start an instance and use download_instance_attachment for those.",
        call: |c, a: ChallengeFileArgs| async move {
            steps(async {
                let d = c
                    .challenges()
                    .download_attachment(a.challenge_id.as_str(), a.filename.as_str())
                    .await?;
                Ok(AttachmentContent::of(a.filename, &d.bytes))
            })
            .await
        },
    },
    Entry {
        name: "list_instance_attachments",
        title: "List Instance Attachments",
        output: Output::Model("AttachmentList"),
        defaults: &[],
        description: "The files that belong to YOUR running instance. They differ from \
            list_challenge_attachments whenever a challenge ships per-team artefacts: those are \
            rendered or compiled for each instance, so the names and the bytes listed here are \
            yours and nobody else's (a binary built for your team, a note carrying your own \
            answer). The list fills once the instance is ready. Fetch one with \
            download_instance_attachment(instance_id, name).",
        call: |c, a: InstanceArg| async move {
            reply(c.instances().attachments(a.instance_id.as_str()).await)
        },
    },
    Entry {
        name: "download_instance_attachment",
        title: "Download Instance Attachment",
        output: Output::Custom(attachment_schema),
        defaults: &[],
        description: "Download one file of YOUR running instance: a `name` from list_instance_attachments \
            or from the `attachments` of get_instance. This is the per-team channel: for a \
            challenge with templated or compiled files it returns your instance's own copy, and \
            nowhere else holds those bytes. Text comes back readable, other bytes in base64, \
            `encoding` says which; above 1 MiB it answers `too-large` with a note instead of a \
            truncated file.",
        call: |c, a: InstanceFileArgs| async move {
            steps(async {
                let d = c
                    .instances()
                    .download_attachment(a.instance_id.as_str(), a.filename.as_str())
                    .await?;
                Ok(AttachmentContent::of(a.filename, &d.bytes))
            })
            .await
        },
    },
    Entry {
        name: "list_competition_attachments",
        title: "List Competition Attachments",
        output: Output::Model("CompetitionAttachmentsResponse"),
        defaults: &[],
        description: "A competition's documents: rules, handbook, notices, as FILES. Read them before you \
            play: organisers often publish what is in scope, what is forbidden and how flags are \
            submitted only in such a file, not on the competition's page. Each row carries an \
            `id` (what download_competition_attachment takes), a `filename`, a `content_type` \
            sniffed from the bytes and a `locale`: \"\" for a file meant for every reader, or a \
            language such as \"en\" or \"zh-CN\" for that language's copy. When the same \
            document exists in several languages, read the one in yours.",
        call: |c, a: CompetitionArg| async move {
            reply(
                c.competitions()
                    .attachments(a.competition_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "download_competition_attachment",
        title: "Download Competition Attachment",
        output: Output::Custom(attachment_schema),
        defaults: &[],
        description: "Download one competition document by its `attachment_id` (the `id` of a row from \
            list_competition_attachments). Plain text and markdown come back readable \
            (`encoding` \"utf-8\"); PDF, Word, Excel, PowerPoint files and images come back \
            base64-encoded: decode them and pull the text out with whatever tool you have. A \
            file larger than this tool's limit (1 MiB) is never cut short: it answers \
            `too-large` with a note and no content.",
        call: |c, a: CompetitionFileArgs| async move {
            steps(async {
                let listing = c
                    .competitions()
                    .attachments(a.competition_id.as_str())
                    .await?;
                let name = listing
                    .attachments
                    .iter()
                    .find(|x| x.id == a.attachment_id)
                    .map(|x| x.filename.clone())
                    .unwrap_or_else(|| a.attachment_id.clone());
                let d = c
                    .competitions()
                    .download_attachment(a.competition_id.as_str(), a.attachment_id.as_str())
                    .await?;
                Ok(AttachmentContent::of(name, &d.bytes))
            })
            .await
        },
    },
    Entry {
        name: "submit_awd_flags",
        title: "Submit AWD Flags",
        output: Output::Model("AwdFlagSubmitResponse"),
        defaults: &[],
        description: "AWD: submit the flags you captured from other teams' boxes. Send them as ONE batch, \
            not one flag per call: a working exploit takes many boxes a round and you are \
            expected to hand in all you hold in a single request, and the rate limit counts \
            requests, so calling once per flag only throttles you. The verdicts come back by \
            position, one per value sent and in the same order, so even a value that matches \
            nothing keeps its slot in the answer. Resending is free: a capture is counted once \
            per attacker, victim, service and round, so a retried batch reports \
            `already_captured` instead of scoring twice. Flags change every round \
            (get_awd_match): an old one is worthless.",
        call: |c, a: AwdFlagsArgs| async move {
            reply(
                c.awd()
                    .submit_flags(a.competition_id.as_str(), a.flags)
                    .await,
            )
        },
    },
    Entry {
        name: "get_ssh_credential",
        title: "Get SSH Credential",
        output: Output::Model("SshCredential"),
        defaults: &[],
        description: "Mint a short-lived SSH credential for YOUR OWN box, to defend it by fixing it in \
            place. In a classic AWD match this is what defence is: a shell on the box you are \
            scored on, repaired the way a human player would. submit_patch is a different thing: \
            it judges a sandbox copy and changes nothing on the box the checker probes.\n\
            \n\
            Name the box in exactly one of two ways. Inside a match give `competition_id`: the \
            box is your team's, started for you by the platform, so the match identifies it. \
            Outside a match give `instance_id`, a box you started yourself. Naming neither is \
            refused rather than guessed, and so is naming both.\n\
            \n\
            You receive a throwaway private key, a certificate, a user name and the bastion's \
            host and port. Write the key and the certificate to files, `chmod 600` the key, and \
            connect with\n\
            \n\
            `ssh -i KEY -o CertificateFile=CERT -p PORT USER@HOST`\n\
            \n\
            Two things to keep in mind. The credential expires within minutes: it only has to \
            last until you connect, and the session it opens outlives it, so do not keep one for \
            later; ask for a fresh one for each connection. And fix only what you must: the \
            checker probes your service every round, and a service you broke costs more than the \
            attack you blocked.",
        call: |c, a: SshArgs| async move {
            steps(async {
                match (a.competition_id.is_empty(), a.instance_id.is_empty()) {
                    (false, true) => Ok(c.awd().ssh_credential(a.competition_id.as_str()).await?),
                    (true, false) => Ok(c.instances().ssh_credential(a.instance_id.as_str()).await?),
                    _ => Err(Fail(
                        "give exactly one of competition_id (your attack-defence box) and instance_id (an instance you started)".into(),
                    )),
                }
            }).await
        },
    },
    Entry {
        name: "get_awd_match",
        title: "Get AWD Match",
        output: Output::Model("AwdMatchStatus"),
        defaults: &[],
        description: "The AWD match clock: which round is running now and when it ends. Flags rotate at \
            every round, so a flag captured in an earlier round is already worthless. Check the \
            round before you spend turns on a long exploit, and again before you submit what it \
            yields with submit_awd_flags. The board of a round (get_awd_board) is filled only \
            once that round has settled, after it ends.",
        call: |c, a: CompetitionArg| async move {
            reply(c.awd().match_(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "get_awd_targets",
        title: "Get AWD Targets",
        output: Output::Model("AwdTargetsResponse"),
        defaults: &[],
        description: "Every gamebox of this AWD match and the address it answers on: the attack surface, \
            and the only place to find it. A gamebox publishes no ports and the match network is \
            internal, so these addresses are the sole way to reach one (from outside the arena \
            you need join_awd_arena first). Call it before attacking, and again after a round to \
            notice boxes that went down. Your own box is in the list with `is_own: true`: you \
            need it to know what to defend, and a flag taken from it is refused, so a round \
            spent attacking it is a round in which you attacked nobody.",
        call: |c, a: CompetitionArg| async move {
            reply(c.awd().targets(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "join_awd_arena",
        title: "Join AWD Arena",
        output: Output::Model("AwdVpnPeer"),
        defaults: &[],
        description: "Put THIS machine on the match's arena network through WireGuard. Use it when you \
            play from your own host rather than from a container the platform placed in the \
            arena. The arena can be reached only through that tunnel: gameboxes publish no ports \
            and the match network is an internal bridge, so without a peer here the addresses \
            from get_awd_targets are unreachable from anything of yours.\n\
            \n\
            The reply's `config` is a complete wg-quick file. Save it and bring it up (`wg-quick \
            up ./arena.conf`); it routes only the match network, so the rest of this machine's \
            traffic is untouched.\n\
            \n\
            Pass `public_key` if you made your own key pair and would rather the platform never \
            saw the private half: the file then carries a placeholder for you to fill in. Leave \
            it empty and the platform makes a pair and returns the private key this ONE time; \
            `private_key_included` says which case you got.\n\
            \n\
            Calling again is safe for your address, which is kept, but it rotates the key, so \
            every earlier file stops working: to find out whether you are already on, ask \
            get_awd_arena_peer instead. Your team needs a gamebox in the arena first (your peer \
            ends on the node that holds it), so the match must have been provisioned.",
        call: |c, a: JoinArenaArgs| async move {
            steps(async {
                let mut req = c.awd().vpn(a.competition_id.as_str());
                if !a.public_key.is_empty() {
                    req = req.public_key(a.public_key);
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "get_awd_arena_peer",
        title: "Get AWD Arena Peer",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
        description: "Whether you are already on the arena network: ask this, not join_awd_arena. Joining \
            rotates your key every time, so using it to check your connection would tear down \
            the very tunnel you are checking. This read changes nothing. `peer` is null when you \
            hold none; otherwise it carries your address on the arena, the node your tunnel ends \
            on, and the same wg-quick file with a placeholder in place of the private key (the \
            platform never stored it, so it cannot give it back). Ask it after a restart, before \
            deciding whether you need to join.",
        call: |c, a: CompetitionArg| async move {
            reply(c.awd().arena_peer(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "test_awd_arena_link",
        title: "Test AWD Arena Link",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
        description: "Is your tunnel really carrying traffic? This asks the worker now, and answers three \
            separate questions because each has its own repair. No handshake at all: NAT, a \
            firewall on the tunnel's UDP port, or a wrong address. A handshake but no ping: the \
            tunnel is up and its far end filters ICMP. Small packets pass and large ones do not: \
            the path cannot carry the tunnel's MTU, the failure nothing else reveals, since the \
            handshake succeeds and `wg show` looks perfect while every large response hangs. Use \
            it right after bringing the tunnel up, rather than guessing from a timeout against a \
            gamebox. It probes only your own peer and changes nothing; it is rate limited \
            because it makes the platform dial a worker node.",
        call: |c, a: CompetitionArg| async move {
            reply(c.awd().probe_arena_peer(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "leave_awd_arena",
        title: "Leave AWD Arena",
        output: Output::Bool,
        defaults: &[],
        description: "Take this machine off the arena network again. The answer is true when there was a \
            peer to remove, false when you had none. It takes effect at the next round, not at \
            once: your peer lives on a worker node's WireGuard device, and the platform reaches \
            that device through the configuration it pushes again at each round. Until then the \
            tunnel may keep working. join_awd_arena puts you back on, with a new key.",
        call: |c, a: CompetitionArg| async move {
            steps(async {
                let r = c.awd().revoke_vpn(a.competition_id.as_str()).await?;
                Ok(r.get("revoked").copied().unwrap_or(false))
            })
            .await
        },
    },
    Entry {
        name: "get_awd_board",
        title: "Get AWD Board",
        output: Output::Model("AwdBoardResponse"),
        defaults: &[],
        description: "AWD standings for one round, with each team's per-service status. Without `tick` it \
            shows the last SETTLED round, not the one in progress: a round is settled when it \
            ends, so the running round would show an empty board. Pass `tick` (a round number) \
            to read an earlier round: a settled round's rows never change again, so history read \
            once stays true. get_awd_match tells which round is running.",
        call: |c, a: AwdBoardArgs| async move {
            steps(async {
                let mut req = c.awd().board(a.competition_id.as_str());
                if let Some(t) = a.tick {
                    req = req.tick(t);
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "reset_instance",
        title: "Reset Instance",
        output: Output::Model("StartResponse"),
        defaults: &[],
        description: "Swap a running instance for a freshly built one, in one atomic step. The reply is \
            the NEW instance id; the old one is gone, so use the new id from now on. Prefer this \
            to stop then start: your team's slot is never released in between, so a reset works \
            even on a full platform, and every refusal is decided before the running target is \
            torn down. The minted answers are new. Solves, the `requires:` chain of unlocked \
            questions and the per-question counts of wrong attempts belong to your team and the \
            challenge, and carry over untouched: a reset neither loses progress nor buys fresh \
            attempts. `ttl` works as for start_instance.",
        call: |c, a: InstanceTtlArgs| async move {
            steps(async {
                let mut req = c.instances().reset(a.instance_id.as_str());
                if let Some(ttl) = a.ttl {
                    req = req.ttl(secs(ttl));
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "list_qa_challenges",
        title: "List QA Challenges",
        output: Output::List("QaChallengeView"),
        defaults: &[],
        description: "A competition's pure question-and-answer challenges: multiple-choice and \
            short-answer quiz items. They have NO instance: there is nothing to start and \
            nothing to attack. The question text and any `choices` are in the item itself, and \
            you answer with submit_qa_answer; start_instance and submit_answer do not apply to \
            them at all. Each row already carries your team's solve state per question and the \
            wrong attempts you have left, so this list also tells you which items remain to be \
            done.",
        call: |c, a: CompetitionArg| async move {
            reply(
                c.submissions()
                    .list_qa_challenges(a.competition_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "submit_qa_answer",
        title: "Submit QA Answer",
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
        description: "Answer a pure question-and-answer challenge, with no instance involved: use it for \
            anything list_qa_challenges returns. Both `challenge_id` and `competition_id` are \
            required, because there is no instance to find them from (which is also why \
            submit_answer cannot answer these). The answer's shape follows the question's mode, \
            as for submit_answer: a letter or the exact string for single select and static \
            questions, a list of strings for multi select. Most imported multiple-choice items \
            use the question id \"answer\" (the default) with choices \"A\" to \"D\". Choice \
            questions have a per-question cap on wrong answers, and a four-choice item runs out \
            after a handful of tries: read the question and answer it, do not enumerate the \
            options.",
        call: |c, a: QaAnswerArgs| async move {
            reply(
                c.submissions()
                    .submit_qa(a.competition_id.as_str(), a.challenge_id.as_str(), a.answer)
                    .question_id(a.question_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "verify_exploit",
        title: "Verify Exploit",
        output: Output::Model("CheckAnswerResponse"),
        defaults: &[],
        description: "Ask the platform to judge a `checker` question: one with no answer string to submit. \
            Some objectives have no natural flag: change a banner, escalate a privilege, delete \
            a record, drive an application's API until its state says the job is done. For those \
            the challenge ships a trusted judge, a sidecar you cannot reach, and grading goes \
            \"do it, then ask\": the platform runs the judge and records a solve only when it \
            confirms the effect.\n\
            \n\
            Call this AFTER you have achieved the objective. Nothing you could pass to \
            submit_answer will ever solve such a question: the token it would take exists only \
            inside the judge, and only the judge may produce it.\n\
            \n\
            Which questions work this way: get_challenge and get_instance show them with `mode: \
            \"checker\"`. Every other question is graded on a submitted string, with \
            submit_answer.\n\
            \n\
            It fails closed: a judge that errors, times out or is missing answers `passed: \
            false` and records nothing, so a broken instance never counts as a solve.",
        call: |c, a: CheckArgs| async move {
            reply(
                c.submissions()
                    .check(a.instance_id.as_str())
                    .question_id(a.question_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "get_defence_source",
        title: "Get Defence Source",
        output: Output::TextMap,
        defaults: &[],
        description: "AWD+: the source you defend. In AWD+ every team receives the same vulnerable service \
            together with its source, and this is that source, as {path relative to the \
            challenge: base64 of the bytes}: exactly the shape submit_patch takes. So the loop \
            is: read this, fix the bug in one of these files, send the same map back with your \
            version in place of the original. Only the files the challenge lets you replace (its \
            `patch.targets`) are served; the reference exploit and the checker live beside them \
            on the server and are deliberately withheld, since finding the bug from the code is \
            the task. It needs no instance, so you can read the code before launching anything, \
            and after the event is over.",
        call: |c, a: ChallengeArg| async move {
            steps(async { Ok(c.patches().source(a.challenge_id.as_str()).await?.files) }).await
        },
    },
    Entry {
        name: "submit_patch",
        title: "Submit Patch",
        output: Output::Model("PatchSubmissionInfo"),
        defaults: &[],
        description: "AWD+: submit a DEFENCE, a patch rather than an answer, for the challenge of \
            `instance_id`. `files` maps a path relative to the challenge to the base64 of its \
            new bytes, the shape get_defence_source returns. The defence is judged by building \
            and running your code: the platform applies your files to a pristine copy of the \
            challenge, runs the reference exploit against it, then runs the checker. You score \
            when the exploit stops working AND the checker still passes; functionality counts, \
            so deleting the vulnerable feature fails (it breaks the checker as well as the \
            exploit). Judging takes a while: follow the verdict with list_patches.",
        call: |c, a: PatchArgs| async move {
            steps(async {
                let files = a.files.filter(|f| !f.is_empty());
                let Some(files) = files else {
                    return Ok(c.patches().submit_live(a.instance_id.as_str()).await?);
                };
                let mut decoded = BTreeMap::new();
                for (path, b64) in files {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64.as_bytes())
                        .map_err(|e| Fail(format!("files[{path:?}] is not valid base64: {e}")))?;
                    decoded.insert(path, bytes);
                }
                Ok(c.patches().submit(a.instance_id.as_str(), decoded).await?)
            })
            .await
        },
    },
    Entry {
        name: "save_report",
        title: "Save Report",
        output: Output::Model("ReportSaveResponse"),
        defaults: &[],
        description: "Save your team's ENGAGEMENT REPORT for one range (`challenge_id`). In an \
            exercise-format competition the report is the only way to submit anything: there are \
            no per-question answers to send, and this document is what you are scored on. One \
            report per range: each range is an estate of its own with its own kill chain, so \
            write up the range you are working on and save it under that range's challenge id.\n\
            \n\
            Write it as a real engagement report: what you found, how you got there, and the \
            evidence for each finding. That means PASTING the exact tokens you extracted from \
            the range into the text: they prove you were where you say you were, and quoting one \
            is how its milestone is credited; there is no other place to submit it.\n\
            \n\
            Save early and often. Every version is kept and the LATEST is the one graded, so \
            each save replaces the whole document rather than appending to it. An empty save is \
            refused, so that a mistake cannot wipe the version you would be graded on.\n\
            \n\
            The reply's `newly_credited` counts the evidence in THIS save that your team did not \
            already hold. Zero is not a verdict on the report: it only means nothing in it was \
            new, the normal result of saving a draft again. It is not a running total and says \
            nothing about how much remains to be found. A handed-in report (finalize_report) \
            cannot be saved until reopen_report.",
        call: |c, a: SaveReportArgs| async move {
            reply(
                c.reports()
                    .save(
                        a.competition_id.as_str(),
                        a.challenge_id.as_str(),
                        a.content,
                    )
                    .await,
            )
        },
    },
    Entry {
        name: "get_report",
        title: "Get Report",
        output: Output::Model("ReportInfo"),
        defaults: &[],
        description: "Read back your team's current engagement report for one range (`challenge_id`): the \
            latest saved version, the one that gets graded. It is an error when nothing has been \
            saved yet, which is deliberately different from an empty report: the platform \
            refuses to store an empty one. list_report_versions shows the earlier versions.",
        call: |c, a: ReportArgs| async move {
            reply(
                c.reports()
                    .get(a.competition_id.as_str(), a.challenge_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "list_report_versions",
        title: "List Report Versions",
        output: Output::Model("ReportVersionsResponse"),
        defaults: &[],
        description: "Every saved version of your team's engagement report for one range, newest first. \
            Each save_report adds one and none is ever deleted; only the newest is graded. Use \
            it to see what changed between drafts or to recover text a later save dropped (then \
            save it again: saving is the only way to make a version current).",
        call: |c, a: ReportArgs| async move {
            reply(
                c.reports()
                    .versions(a.competition_id.as_str(), a.challenge_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "finalize_report",
        title: "Finalize Report",
        output: Output::Model("ReportStanding"),
        defaults: &[],
        description: "Hand in a range's report and ask for it to be judged now. Use it when the write-up \
            is finished. Two things happen. The version you saved last becomes the deliverable: \
            save_report refuses a new version until you call reopen_report. And the grader looks \
            at it now, instead of waiting for the report to sit unchanged for the deployment's \
            quiet period. Handing in is never refused for want of grading requests \
            (request_report_grading has a per-range allowance): past that allowance the report \
            is still handed in and is judged once it goes quiet, which it then must, since a \
            handed-in report cannot be saved again.",
        call: |c, a: ReportArgs| async move {
            reply(
                c.reports()
                    .finalize(a.competition_id.as_str(), a.challenge_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "reopen_report",
        title: "Reopen Report",
        output: Output::Model("ReportStanding"),
        defaults: &[],
        description: "Take a handed-in report back so that it can be edited again with save_report. It \
            works while the competition's report window is open. A grading request already spent \
            is not given back, so handing in again afterwards does not buy a second jump past \
            the quiet period.",
        call: |c, a: ReportArgs| async move {
            reply(
                c.reports()
                    .reopen(a.competition_id.as_str(), a.challenge_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "request_report_grading",
        title: "Request Report Grading",
        output: Output::Model("ReportStanding"),
        defaults: &[],
        description: "Ask for the saved version of a report to be judged NOW, while you keep writing: a \
            verdict on the draft so far, with the report still editable (finalize_report is the \
            version of this that also hands it in). It is bounded per range: \
            `grade_requests_limit` on the reply is the allowance, and 0 means there is none. \
            Asking twice about the same saved version costs nothing more; saving a new version \
            withdraws the request, since carrying on writing withdraws the claim that the \
            document was ready.",
        call: |c, a: ReportArgs| async move {
            reply(
                c.reports()
                    .request_grading(a.competition_id.as_str(), a.challenge_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "get_authoring_template",
        title: "Get Authoring Template",
        output: Output::Custom(template_schema),
        defaults: &[("category", "\"web\""), ("stack", "null")],
        description: "Start a challenge of your own from a template that already works. It comes back as \
            files you can read and edit (text inline, the paths of binary files listed), then \
            hand to upload_authored_challenge. The tree starts under `docker compose up`, its \
            reference exploit solves it and the challenge audit finds nothing, so the whole loop \
            can be checked before you have written a line; AUTHORING.md at its root says what to \
            replace and what the audit refuses. `stack` belongs to category \"web\" alone: it is \
            required there and refused for every other category. Getting the pair wrong is an \
            HTTP 400 whose message lists every valid combination: read it rather than guessing \
            again.",
        call: |c, a: TemplateArgs| async move {
            steps(async {
                let mut req = c.authoring().template().category(a.category.as_str());
                if let Some(s) = a.stack {
                    req = req.stack(s.as_str());
                }
                let d = req.await?;
                unpack_tree(&d.bytes)
            })
            .await
        },
    },
    Entry {
        name: "upload_authored_challenge",
        title: "Upload Authored Challenge",
        output: Output::Model("AuthoredChallengeInfo"),
        defaults: &[
            ("license", "\"\""),
            ("provenance", "\"\""),
            ("ai_assisted", "\"\""),
            ("credit", "\"anonymous\""),
            ("destination", "\"public\""),
        ],
        description: "Upload a challenge YOU wrote, for the rest of the field to solve.\n\
            \n\
            Send the tree in exactly ONE of three forms:\n\
            - `path`: a directory on the machine running this server. The server packs it into \
            the same .tar.gz that `ctfy authoring upload` sends (leaving out .git, __pycache__, \
            node_modules, .venv and .DS_Store), so binaries travel as bytes and no source goes \
            over as text. Prefer it whenever the server can read your files.\n\
            - `files`: a map from a path relative to the challenge directory to that file's text \
            (metadata.yaml, docker-compose.yml, services/..., solution/exploit.py). For a small \
            tree made only of text.\n\
            - `archive_base64`: the base64 of the challenge's .tar.gz, for the platform's own \
            HTTP endpoint (/api/v1/mcp); refused here, where `path` does the same job.\n\
            Every form reaches the same upload route as the CLI's archive, with the same \
            unpacking checks and limits. Send the whole tree every time: an upload replaces the \
            previous one, it is never merged into it.\n\
            \n\
            `slug` is your OWN label, not the id: the platform mints the challenge id \
            (AUTHORED-...) and answers with it, so read `id` from the reply rather than \
            composing one. Labels are per team (two teams may both name theirs \"vault\"). \
            Uploading the same slug again replaces that tree while it is still pending and keeps \
            its id; once it has been ruled on, the verdict stands: an approved upload then takes \
            a revision (revise_authored_challenge), a rejected one is kept and a new version \
            needs a new slug.\n\
            \n\
            The upload is recorded as pending and is NOT judged here: a verdict is a person \
            reading your work, with the audit's findings at hand. Call \
            get_authored_challenge_audit straight away: that is the automatic half, it runs on \
            upload, and each finding is one a reviewer would otherwise send back to you. The \
            verdict appears on list_authored_challenges.\n\
            \n\
            `auto_smoke` on the reply says whether the deployment will smoke-test the upload for \
            you: start its estate on an isolated worker and run your solution/exploit.py against \
            it. \"queued\" means a `smoke_verdict` shows up on list_authored_challenges within \
            minutes: \"unsolved\" points at your exploit, \"estate_failed\" at your compose \
            file, \"malformed\" at your metadata. Runs are budgeted per person over a rolling \
            day (\"budget_spent\" says when the next one is available), so fix what a verdict \
            says before uploading again instead of re-uploading for another run. \"off\", \
            \"no_pool\" and \"nothing_to_run\" mean no run is coming; null means the server did \
            not say.\n\
            \n\
            Prefer source to a prebuilt binary, even though an archive can carry one: an \
            `attachment-builder` service compiles a per-team artefact when an instance starts, \
            which is what a reverse or pwn challenge wants anyway, and a reviewer reads source.\n\
            \n\
            The platform's limits (size, member names, what a compose file may ask of the docker \
            daemon) are not repeated here: every form meets the same ones, because every form \
            arrives as the same archive. A refusal lists every reason at once, so one fix and \
            one retry are enough: read them rather than trimming the tree on a guess. Over an \
            HTTP endpoint the base64 travels inside a single JSON request, so an archive too big \
            for that request is refused as `request_too_large`; `ctfy authoring upload`, or \
            `path` on a local server, sends it as a file.\n\
            \n\
            The contributor agreement belongs to the human, not to you. When the competition \
            names one (`authoring_terms_version` and `authoring_terms_url` in get_competition), \
            the upload is refused unless `accepted_terms_version` is that version AND `license`, \
            `provenance` and `ai_assisted` are answered. These are declarations that the person \
            whose token this is makes about their work: accept and declare only what they told \
            you to. In particular, a challenge you (an AI) wrote IS AI-assisted, and answering \
            \"no\" for it breaks the agreement. An event that names no agreement needs none of \
            these fields.\n\
            \n\
            Where it goes is the person's choice as well. `destination` \"eval_only\" sends it \
            to the evaluation pool instead of the public catalog: kept out of every public \
            listing and played only in a non-public competition that curates it. The pool takes \
            only `original` work with `eval_use` granted and refuses anything else as \
            `authored_destination_refused`. It accepts AI-assisted work and marks it as such on \
            the evaluation board, so results on it can be told apart.\n\
            \n\
            The account needs a verified email address, on every deployment, because what it \
            uploads runs on the platform's machines. `authoring_requires_verified_email` is not \
            fixed by retrying or by another tree: the person confirms their address in the web \
            interface's settings, then you upload again (get_me's `email_verified` tells in \
            advance).",
        call: |c, a: UploadArgs| async move {
            steps(async {
                let archive = archive_of(&a.slug, a.files, &a.path, &a.archive_base64)?;
                let filename = format!("{}.tar.gz", a.slug);
                let mut req = c
                    .authoring()
                    .upload(
                        a.competition_id.as_str(),
                        filename,
                        "application/gzip",
                        archive,
                        a.slug,
                    )
                    .eval_use(a.eval_use)
                    .credit(match a.credit {
                        Credit::DisplayName => "display_name",
                        Credit::Anonymous => "anonymous",
                    })
                    .destination(match a.destination {
                        Destination::Public => "public",
                        Destination::EvalOnly => "eval_only",
                    });
                if !matches!(a.license, License::Unset) {
                    req = req.license(a.license.as_str());
                }
                if !matches!(a.provenance, Provenance::Unset) {
                    req = req.provenance(a.provenance.as_str());
                }
                if !matches!(a.ai_assisted, AiAssisted::Unset) {
                    req = req.ai_assisted(a.ai_assisted.as_str());
                }
                if !a.source_url.is_empty() {
                    req = req.source_url(a.source_url);
                }
                if !a.accepted_terms_version.is_empty() {
                    req = req.accepted_terms_version(a.accepted_terms_version);
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "revise_authored_challenge",
        title: "Revise Authored Challenge",
        output: Output::Model("AuthoredRevisionInfo"),
        defaults: &[],
        description: "Propose a corrected version of one of your APPROVED challenges. `challenge_id` is \
            the approved upload's id from list_authored_challenges; any author recorded on the \
            upload may propose one. Send the whole new tree in exactly one form, as for \
            upload_authored_challenge: `path` (a directory this server reads and packs), `files` \
            (relative path to text, for small text-only trees), or `archive_base64` (the \
            platform's own HTTP endpoint only, refused here).\n\
            \n\
            Players see no change yet: a reviewer reads your revision as a diff against the live \
            version, then a platform administrator applies it. list_authored_challenges shows it \
            in the upload's `revision` field: pending, approved (waiting to be applied) or \
            rejected, with a `review_note` saying why. Proposing again replaces your previous \
            proposal, whatever its verdict.\n\
            \n\
            Keep every question the live version has: solves are recorded against question ids, \
            so a revision that removes one is refused with `authored_revision_drops_questions`, \
            naming it. Adding questions is fine. A tree identical to the live one is refused as \
            `authored_revision_unchanged`. The event's authoring window does not apply: a \
            revision fixes a challenge that outlives its event.",
        call: |c, a: ReviseArgs| async move {
            steps(async {
                let archive = archive_of(&a.challenge_id, a.files, &a.path, &a.archive_base64)?;
                let filename = format!("{}.tar.gz", a.challenge_id);
                Ok(c.authoring()
                    .revise(
                        a.competition_id.as_str(),
                        a.challenge_id.as_str(),
                        filename,
                        "application/gzip",
                        archive,
                    )
                    .await?)
            })
            .await
        },
    },
    Entry {
        name: "list_authored_challenges",
        title: "List Authored Challenges",
        output: Output::List("AuthoredChallengeRow"),
        defaults: &[],
        description: "Your team's own uploads for one competition, and where each stands.\n\
            \n\
            `review_status` is the field to read: \"pending\" until an operator rules, then \
            \"approved\" or \"rejected\". A rejection carries `review_note`, which is all the \
            author is told and is exactly what to fix.\n\
            \n\
            \"approved\" does not mean entrants can launch it: publishing is a separate step \
            that may come days later and can be undone. `in_catalog` is that fact, read from \
            this deployment's disk rather than inferred from the verdict, and it is what answers \
            \"why is my challenge not on the board?\".\n\
            \n\
            `smoke_verdict` is what running your own solution/exploit.py against the live estate \
            found, \"\" while no run has finished. `smoke_in_flight` is \"queued\" or \
            \"running\" while a run is on its way: wait for it instead of uploading again, which \
            would spend another of your budgeted runs on the same tree.\n\
            \n\
            `revision` is a fixed version you proposed (revise_authored_challenge) that nobody \
            has applied yet, with its own `review_status` and `review_note`; null when there is \
            none.\n\
            \n\
            Only your team's uploads are listed, never the whole event's: before the release \
            point, a list of everybody's challenge names would preview what the field will have \
            to solve.",
        call: |c, a: CompetitionArg| async move {
            reply(c.authoring().list(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "get_authored_challenge_audit",
        title: "Get Authored Challenge Audit",
        output: Output::Model("AuthoredAuditReport"),
        defaults: &[],
        description: "What the automatic challenge audit says about one of your uploads: a list of defects \
            you can fix and re-upload against, without waiting for a reviewer to read the tree \
            and write the same findings by hand. Each finding names a rule id (such as META007, \
            STRUCT011 or EXPLOIT007) that you can look up, and what it found. Read `outcome` \
            FIRST: \"ok\" means the audit ran and its counts are its verdict; \"timed_out\" and \
            \"failed\" mean it could not say anything, so an empty `findings` list is not by \
            itself a clean bill. It runs on every upload: call it right after \
            upload_authored_challenge.",
        call: |c, a: ReportArgs| async move {
            reply(
                c.authoring()
                    .audit(a.competition_id.as_str(), a.challenge_id.as_str())
                    .await,
            )
        },
    },
    Entry {
        name: "get_authoring_reception",
        title: "Get Authoring Reception",
        output: Output::Model("AuthoringReceptionInfo"),
        defaults: &[],
        description: "How the field fared against the challenges your team wrote. The board's authoring \
            column says how much you earned; this says which of your uploads earned it and how \
            close each came to the band the scoring curve pays for. One row per challenge you \
            wrote: how many entrants of your own division fully solved it, out of how many could \
            have, the solve rate that gives, and the multiplier the curve paid.\n\
            \n\
            Read `state` on each row before its numbers. \"priced\" is the only state with a \
            rate. \"not_curated\" means the organiser has not put that challenge into this \
            event's set yet, so it pays nothing, which has nothing to do with how hard it is. \
            \"no_field\" means nobody else is in your division, so there is no rate to compute. \
            Both show as a blank cell, and only one of them says anything about your challenge.\n\
            \n\
            You are not in your own denominator: an author cannot solve their own upload, so \
            `field_size` counts the rest of your division.\n\
            \n\
            Only APPROVED uploads have a row, so an empty list can mean two things. A tree still \
            awaiting review has been in front of nobody, so it is absent rather than unsolved: \
            list_authored_challenges says where your uploads stand in review; this answers only \
            what happened to the ones that reached players.\n\
            \n\
            `scored` is false on every competition that does not run peer authoring \
            (`peer_authoring`): not an error, just an event that does not pay for authoring. A \
            silent competition refuses this read outright.",
        call: |c, a: CompetitionArg| async move {
            reply(c.authoring().reception(a.competition_id.as_str()).await)
        },
    },
    Entry {
        name: "list_patches",
        title: "List Patches",
        output: Output::List("PatchSubmissionInfo"),
        defaults: &[],
        description: "Your team's AWD+ defence submissions and their verdicts: where to watch the outcome \
            of submit_patch, optionally for one `challenge_id`. `verdict` stays empty while a \
            submission is queued or building, then becomes \"fixed\" (the reference exploit \
            stopped working and the checker still passed) or \"not_fixed\". A `status` of \
            \"errored\" means the platform never reached a judgement at all, so the patch was \
            neither accepted nor rejected on its merits: look at what went wrong and submit \
            again rather than reading it as a failed fix.",
        call: |c, a: ChallengeFilterArg| async move {
            steps(async {
                let mut req = c.patches().list();
                if !a.challenge_id.is_empty() {
                    req = req.challenge_id(a.challenge_id.as_str());
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "list_submissions",
        title: "List Submissions",
        output: Output::List("SubmissionState"),
        defaults: &[],
        description: "Your team's submission history, optionally for one `challenge_id`, paged with \
            offset/limit (50 rows unless you ask otherwise). Each row has `challenge_id`, \
            `question_id`, `submitted_at` and `correct`. Read it when you resume a session: it \
            shows what has already been tried on a challenge, so you skip answers already \
            refused (each wrong answer on a choice question uses up part of a small cap) and \
            questions already answered.",
        call: |c, a: ListSubmissionsArgs| async move {
            steps(async {
                let mut req = c
                    .submissions()
                    .list()
                    .offset(count(a.offset))
                    .limit(count(a.limit));
                if !a.challenge_id.is_empty() {
                    req = req.challenge_id(a.challenge_id.as_str());
                }
                Ok(req.await?.items)
            })
            .await
        },
    },
    Entry {
        name: "get_scoreboard",
        title: "Get Scoreboard",
        output: Output::List("ScoreboardEntry"),
        defaults: &[],
        description: "The current scoreboard: teams ranked by score, paged with offset/limit (50 rows \
            unless you ask otherwise). `category` is accepted but the platform ignores it on \
            this global board. For an AWD match the per-round board is get_awd_board; for a \
            replay, get_virtual_standings ranks you against the live field.",
        call: |c, a: ScoreboardArgs| async move {
            steps(async {
                Ok(c.scoreboard()
                    .get()
                    .offset(count(a.offset))
                    .limit(count(a.limit))
                    .await?
                    .items)
            })
            .await
        },
    },
    Entry {
        name: "get_challenge_stats",
        title: "Get Challenge Stats",
        output: Output::List("ChallengeStats"),
        defaults: &[],
        description: "Per-challenge statistics across the platform: solves, attempts and success rate for \
            each challenge, paged with offset/limit (50 rows unless you ask otherwise). A low \
            success rate with many attempts marks a hard or tricky challenge; use it to choose \
            where to spend your turns. Whether you solved one yourself is get_my_solves.",
        call: |c, a: PagingArgs| async move {
            steps(async {
                Ok(c.scoreboard()
                    .challenge_stats()
                    .offset(count(a.offset))
                    .limit(count(a.limit))
                    .await?
                    .items)
            })
            .await
        },
    },
    Entry {
        name: "get_my_solves",
        title: "Get My Solves",
        output: Output::List("MySolveSummary"),
        defaults: &[],
        description: "The challenges THIS ACCOUNT has already captured: one row per challenge of which you \
            personally captured at least one question, with the best rank those captures earned \
            (1 to 3: first, second, third blood) and whether every one of them counted on the \
            competition's board.\n\
            \n\
            Call it before working through a catalog: list_challenges says how many teams solved \
            each challenge, not whether YOU did, so an agent resuming a session without this \
            re-attacks what it already holds and spends the per-question wrong-attempt cap doing \
            it.\n\
            \n\
            The subject is the account, not the team. On a shared roster a team-mate's capture \
            is not here: `my_team_solved_question_ids` on the challenge's catalog row \
            (get_challenge) is for that, and it is the field a \"have we done this?\" check \
            should read. A solo agent entrant is its own team, so usually the two agree.\n\
            \n\
            Without `competition_id` it spans every team the account has ever been on: the right \
            answer to \"what have I ever solved\" and the wrong one to \"have I solved this \
            HERE\", so pass `competition_id` whenever the question is about one event. An \
            exercise-format (silent) event returns nothing by design: its report is its whole \
            submission surface.",
        call: |c, a: OptionalCompetitionArg| async move {
            steps(async {
                let mut req = c.me().solves();
                if !a.competition_id.is_empty() {
                    req = req.competition_id(a.competition_id.as_str());
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "get_my_milestone_progress",
        title: "Get My Milestone Progress",
        output: Output::List("MilestoneProgress"),
        defaults: &[],
        description: "Partial progress per challenge for THIS ACCOUNT: the finer half of get_my_solves, \
            with the same subject (the account, not the team). One row per challenge of which \
            the account captured at least one question, listing exactly which question ids are \
            done and how many questions the challenge declares. On a multi-question challenge \
            this is what says \"3 of 5\" instead of just \"not finished\". Pass `competition_id` \
            to keep to one event; without it, every team you played for counts.",
        call: |c, a: OptionalCompetitionArg| async move {
            steps(async {
                let mut req = c.me().milestone_progress();
                if !a.competition_id.is_empty() {
                    req = req.competition_id(a.competition_id.as_str());
                }
                Ok(req.await?)
            })
            .await
        },
    },
    Entry {
        name: "get_me",
        title: "Get Me",
        output: Output::Model("MeResponse"),
        defaults: &[],
        description: "Your account as the platform sees it: profile, role, `email_verified` (uploading \
            challenges needs a verified address) and `competition_teams`, your team in each \
            competition you entered. Needs a platform token: the one this server was started \
            with (CTFY_TOKEN or --token), or over HTTP the request's bearer token. A quick way \
            to confirm whose token is in use.",
        call: |c| async move { reply(c.me().get().await) },
    },
    Entry {
        name: "health",
        title: "Health",
        output: Output::Model("HealthResponse"),
        defaults: &[],
        description: "Whether the platform is up, and how loaded: `status`, the platform's `version`, the \
            environment it runs in, how many instances are running and its `capacity`. Needs no \
            token. Call it first when other calls fail, to tell a platform that is down or full \
            from a refusal about you.",
        call: |c| async move { reply(c.health().await) },
    },
];
