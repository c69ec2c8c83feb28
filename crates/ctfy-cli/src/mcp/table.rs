//! The tool table: what `tools/list` declares for each tool beyond its parameters (title,
//! declared defaults, output schema), and the generic `tools/call` handling around the tool
//! bodies: unknown arguments refused, numeric strings accepted for numbers, and
//! `structuredContent` beside the text block.

use std::sync::{Arc, LazyLock};

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, JsonObject, Tool};
use serde_json::{Map, Value, json};

/// The component schemas of the platform's OpenAPI document (the models the SDK's types are
/// generated from) that the output schemas use: written from `spec/openapi.json` by
/// `scripts/gen_mcp_schemas.py`, so the published crate carries them.
const SCHEMAS: &str = include_str!("schemas.json");

/// What a tool answers with, for its `outputSchema`.
#[derive(Clone, Copy)]
pub(crate) enum Output {
    /// One object of this OpenAPI component.
    Model(&'static str),
    /// A list of this OpenAPI component, wrapped as `{"result": [...]}`.
    List(&'static str),
    /// A string, wrapped as `{"result": "..."}`.
    Text,
    /// A boolean, wrapped as `{"result": true}`.
    Bool,
    /// Any object.
    AnyObject,
    /// An object of strings (path → text).
    TextMap,
    /// An object this server builds itself (not a platform model).
    Custom(fn() -> Value),
}

/// One tool's entry.
pub(crate) struct ToolSpec {
    /// The tool's name (the body of the same name in the router).
    pub name: &'static str,
    /// A short human-readable name.
    pub title: &'static str,
    /// What the model reads to choose and call the tool: what it does, what its fields mean,
    /// what to call next, what is refused and why.
    pub description: &'static str,
    /// What it answers with.
    pub output: Output,
    /// Parameter → its default as JSON text, declared in the input schema.
    pub defaults: &'static [(&'static str, &'static str)],
}

impl Output {
    /// Whether results are wrapped as `{"result": …}`.
    fn wraps(self) -> bool {
        matches!(self, Output::List(_) | Output::Text | Output::Bool)
    }
}

fn instance_ready_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The instance id: every other instance tool takes it."},
            "surface": {"type": "object", "description": "What can be attacked: web services, TCP ports, SSH and the like, with their addresses."},
            "cert_volume": {"type": "string", "description": "The CA-certificate volume, when the instance has one."}
        },
        "required": ["id", "surface"]
    })
}

fn attachment_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "filename": {"type": "string"},
            "size": {"type": "integer", "description": "Bytes."},
            "encoding": {"type": "string", "enum": ["utf-8", "base64", "too-large"]},
            "content": {"type": "string", "description": "The text, the base64 of the bytes, or empty when too large."},
            "note": {"type": "string"}
        },
        "required": ["filename", "size", "encoding", "content", "note"]
    })
}

fn template_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "files": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Relative path → text of each text file."},
            "binary": {"type": "array", "items": {"type": "string"}, "description": "Paths of the files that are not text."}
        },
        "required": ["files", "binary"]
    })
}

/// Every tool, in the order `tools/list` gives them.
pub(crate) static TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "list_competitions",
        title: "List Competitions",
        description: "The first call of a session: the competitions on this platform, optionally only \
            those in one phase (upcoming, running or past). Page with offset/limit (default 50 \
            rows). Next: register_for_competition(competition_id) to get on a team, then \
            list_competition_challenges(competition_id) to choose a target and \
            start_instance(challenge_id, competition_id=...).",
        output: Output::List("CompetitionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_competition",
        title: "Get Competition",
        description: "One competition in full: its challenges in the organiser's order (`challenges`), \
            its window, its rules fields and where you stand (whether you are registered). \
            Read it before start_instance; `can_replay` says whether replay_competition would \
            be accepted for a finished contest.",
        output: Output::Model("CompetitionDetail"),
        defaults: &[],
    },
    ToolSpec {
        name: "replay_competition",
        title: "Replay Competition",
        description: "Play a contest that has ended on your own clock (upsolving). The answer is a new \
            competition, the replay, in which you are already registered: use ITS `id` from \
            then on (start_instance, submit_answer, submit_patch, the boards). Nothing done \
            under the original id is scored. Calling it again resumes the same replay instead \
            of starting a second one. Refused with HTTP 400 when the contest cannot be \
            replayed: not over yet, no time window, several sessions, never ran, or itself a \
            replay (get_competition's `can_replay` tells in advance).",
        output: Output::Model("CompetitionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_virtual_standings",
        title: "Get Virtual Standings",
        description: "How your replay compares with the teams that played the contest live, at the same \
            elapsed time: N minutes into your run you are ranked against the board as it was N \
            minutes into theirs. Pass the replay's id (returned by replay_competition), not \
            the original contest's. The replay's own scoreboard holds only your team, so this \
            is the board to read.",
        output: Output::Model("VirtualGhostBoard"),
        defaults: &[],
    },
    ToolSpec {
        name: "register_for_competition",
        title: "Register For Competition",
        description: "Put yourself on a team in a competition. Do it before anything else: \
            start_instance is refused (`not_registered`) for a player with no team there, with \
            no way around it. mode `solo` (the default, what a lone agent wants) makes a \
            one-person team and is idempotent: calling it again returns the same team. \
            `create` makes a named team (name, description) others can join; `join` enters an \
            existing team by its invite code. Some events also want an entry form: see \
            get_registration_form.",
        output: Output::Model("TeamDetail"),
        defaults: &[("mode", "\"solo\"")],
    },
    ToolSpec {
        name: "get_registration_form",
        title: "Get Registration Form",
        description: "A competition's entry form: which fields the organiser asks for (`form`, with \
            which are mandatory), the answers you have already given, and `missing_required`, \
            the mandatory fields still empty. Each event decides its own fields, so read this \
            before submit_registration instead of guessing names. When an event asks for \
            nothing, `missing_required` is empty and register_for_competition was all there \
            was to do. The platform serves this to signed-in sessions; an API token may be \
            refused (HTTP 403).",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_registration",
        title: "Submit Registration",
        description: "Answer a competition's entry form. This REPLACES every answer you gave before: a \
            field left out is erased, so to change one value send all the others again (read \
            them with get_registration_form first). Fields the event does not collect are \
            ignored, not refused. `missing_required` in the reply says whether the form is now \
            complete. gender is one of male, female, other, undisclosed, or empty.",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[("gender", "\"\"")],
    },
    ToolSpec {
        name: "list_competition_challenges",
        title: "List Competition Challenges",
        description: "The challenges of one competition in the organiser's order, optionally filtered by \
            difficulty or tag, paged with offset/limit (default 50). Pick one and call \
            start_instance(challenge_id, competition_id=...); QA quiz items have no instance \
            and are listed by list_qa_challenges instead.",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "search_challenges",
        title: "Search Challenges",
        description: "Keyword search over the whole platform's challenge catalog, across every \
            competition (e.g. \"idor\", \"injection\", \"sso\"), optionally by difficulty, at most \
            `limit` rows (default 20). For playing an event prefer list_competitions then \
            list_competition_challenges; this is for practice or finding a topic.",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_challenges",
        title: "List Challenges",
        description: "The platform's whole challenge catalog, not scoped to a competition, optionally by \
            difficulty, tag or category, paged with offset/limit (default 50). Use it for \
            practice or browsing; when playing an event, \
            list_competition_challenges(competition_id) gives that event's set. Solve counts \
            here are per team overall: whether YOU solved one is get_my_solves.",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_challenge",
        title: "Get Challenge",
        description: "One challenge's catalog entry. `questions` lists its questions (id, prompt, mode, \
            choices); the prompt stays empty while a question is locked behind another \
            (`requires:`). The question id is submit_answer's `question_id`; a one-question \
            challenge's is \"flag\". `my_solved_question_ids`/`my_fully_solved` are your own \
            captures, `my_team_solved_question_ids`/`my_team_fully_solved` your team's; \
            `my_team_authored` means your team wrote it, so solving scores nothing (you may \
            still play it to check that it is answerable). `defence` appears only on \
            defensible (AWD+) challenges: the shell service, whether it is the scored one, the \
            live files and the command that reloads an edit (a service keeps running the code \
            it loaded until restarted, and a dead service stays down until you restart it). \
            Pass `competition_id` when playing an event: authorship and solve counts are per \
            competition. `author_display_name`/`author_user_id` name a player author only when \
            they chose to be named and the event allows it.",
        output: Output::Model("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_challenge_attachments",
        title: "List Challenge Attachments",
        description: "The files a challenge ships for everyone (binaries, data, notes; often none for \
            web challenges): `{files: [...]}`, empty when there are none. Fetch one with \
            download_challenge_attachment(challenge_id, filename) using the row's `name`. \
            Per-team files are not here: they belong to an instance \
            (list_instance_attachments).",
        output: Output::Model("AttachmentList"),
        defaults: &[],
    },
    ToolSpec {
        name: "start_instance",
        title: "Start Instance",
        description: "Launch a target for a challenge and wait until it is ready. Returns the instance \
            `id` and its attack surface: the addresses, ports and credentials to attack. Keep \
            the `id`: every other instance tool takes it. Pass competition_id when playing an \
            event; you need a team there (register_for_competition), or the start is refused. \
            `ttl` asks for a lifetime in seconds (the platform caps it); renew_instance \
            extends it later.",
        output: Output::Custom(instance_ready_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance",
        title: "Get Instance",
        description: "Everything about one of your instances. For challenges with several questions, \
            `questions` carries each one's id, current prompt (empty while locked) and your \
            team's progress (`unlocked`, `answered_correctly`): choose the next question from \
            it, and read it again after each correct submit_answer to see newly unlocked \
            prompts. `attachments` lists files made for THIS instance (a binary built for your \
            team, a note carrying your answer) once it is ready; fetch them with \
            download_instance_attachment.",
        output: Output::Model("InstanceInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance_status",
        title: "Get Instance Status",
        description: "Check on an instance without stopping it: `status` (starting, ready, error, ...), \
            the attack surface when ready, the error text when it failed. Use it when you have \
            lost the surface or suspect the target died, instead of stop and start.",
        output: Output::Model("InstanceStatusResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance_traffic",
        title: "Get Instance Traffic",
        description: "The HTTP requests that reached one of your instances, from anyone, attackers \
            included: in an AWD match this is how a defender sees the payload used against it. \
            Paged: send back the `cursor` of the previous answer every time (an empty cursor \
            reads from the start again, re-reading everything); `truncated: true` means more \
            is already waiting, so call again at once. `[redacted by ctfy]` in a body replaces \
            an answer minted for this instance: it is not a value to submit. `capture` is \
            \"on\", \"off\" (nothing records; the list stays empty) or \"\" (unknown). `redaction: \
            \"unscrubbable\"` means the page was withheld because an answer could not be \
            scrubbed from it (`unscrubbable` names the questions): that is not an absence of \
            traffic, and the cursor does not move. `limit` caps the flows per page (default \
            20).",
        output: Output::AnyObject,
        defaults: &[],
    },
    ToolSpec {
        name: "stop_instance",
        title: "Stop Instance",
        description: "Stop one of your instances and free your team's slot. Answers with a line saying \
            it stopped.",
        output: Output::Text,
        defaults: &[],
    },
    ToolSpec {
        name: "renew_instance",
        title: "Renew Instance",
        description: "Extend an instance's lifetime. The reply's `expires_at` (Unix seconds) is the new \
            deadline; do not compute it yourself: `ttl` seconds are added to the time left, \
            the result is capped at the platform's maximum from now, and without `ttl` the \
            platform picks its default increment. At the cap the call succeeds and the \
            deadline stays; `expires_at` 0 means the instance has no deadline.",
        output: Output::Model("RenewResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_instances",
        title: "List Instances",
        description: "Your instances (ids, challenges, states, surfaces), optionally filtered by \
            challenge_id, status or a search `q`, paged with offset/limit (default 50): the \
            place to recover ids after losing track.",
        output: Output::List("InstanceInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "verify_answer",
        title: "Verify Answer",
        description: "Check a candidate answer for an instance's question without submitting it: the \
            same grading as submit_answer (dynamic, static, single or multi select), but \
            nothing is recorded and it does not count as an attempt. Answers true or false. \
            `question_id` defaults to \"flag\".",
        output: Output::Bool,
        defaults: &[],
    },
    ToolSpec {
        name: "submit_answer",
        title: "Submit Answer",
        description: "Submit an answer for one question of a running instance. get_challenge lists a \
            challenge's questions (id, prompt, mode, choices); a one-question challenge takes \
            the default `question_id` \"flag\", others need the explicit id. A multi-select \
            question takes a list of strings. The reply says whether it was correct and \
            whether the whole challenge is now solved (`challenge_fully_solved`); the instance \
            stops by itself only once every question is answered. Wrong answers count against \
            a per-question cap on choice questions.",
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_challenge_attachment",
        title: "Download Challenge Attachment",
        description: "Fetch one of a challenge's shared files (`filename`: a `name` from \
            list_challenge_attachments). Text comes back as is, other bytes in base64, and \
            `encoding` says which (`too-large`, with a note and no content, above 1 MiB). \
            Files marked per team exist only per instance: this answers HTTP 409 for them; \
            start an instance and use download_instance_attachment.",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "list_instance_attachments",
        title: "List Instance Attachments",
        description: "The files of YOUR running instance. They differ from the challenge's shared files \
            when the challenge renders or compiles a copy per team: these names and bytes are \
            yours alone. Fetch one with download_instance_attachment.",
        output: Output::Model("AttachmentList"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_instance_attachment",
        title: "Download Instance Attachment",
        description: "Fetch one file of YOUR instance (a name from list_instance_attachments or \
            `attachments` of get_instance): for challenges with per-team files this is the \
            only place they exist. Text inline, other bytes in base64 (`encoding` says which), \
            nothing above 1 MiB (`too-large`).",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "list_competition_attachments",
        title: "List Competition Attachments",
        description: "A competition's documents: rules, handbook, notices. Read them before playing; \
            organisers often publish scope, forbidden actions and flag format only as a file. \
            Each row has an `id` (for download_competition_attachment), `filename`, \
            `content_type` and `locale`: \"\" for every reader, or a language such as \"en\" or \
            \"zh-CN\" (prefer your language's copy when there are several).",
        output: Output::Model("CompetitionAttachmentsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_competition_attachment",
        title: "Download Competition Attachment",
        description: "Fetch one competition document by its `attachment_id` (a row's `id` from \
            list_competition_attachments). Text and markdown come back readable (`encoding` \
            utf-8); PDF, office files and images in base64, to decode and extract yourself. A \
            file above 1 MiB is not cut: it answers `too-large` with a note.",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_awd_flags",
        title: "Submit AWD Flags",
        description: "AWD: submit the flags you captured from other teams' boxes, all of them in ONE \
            call (the rate limit counts requests, so one flag per call only slows you down). \
            Verdicts come back in the order sent, one per flag. Resending is harmless: a \
            capture counts once per attacker, victim, service and round, and a repeat answers \
            `already_captured`.",
        output: Output::Model("AwdFlagSubmitResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_ssh_credential",
        title: "Get SSH Credential",
        description: "A short-lived SSH credential to YOUR OWN box, to defend it by fixing it in place \
            (in classic AWD this is defence; submit_patch judges a copy and changes nothing on \
            the scored box). Give exactly one of `competition_id` (in a match: your team's \
            box) or `instance_id` (a box you started); neither or both is refused. You get a \
            private key, a certificate, a user name and the bastion's host and port: write key \
            and certificate to files, chmod 600 the key, and run `ssh -i KEY -o \
            CertificateFile=CERT -p PORT USER@HOST`. The credential expires within minutes but \
            only has to last until you connect: ask for a new one for each connection. The \
            checker probes your service every round: fix only what you must, since a broken \
            service costs more than an attack.",
        output: Output::Model("SshCredential"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_match",
        title: "Get AWD Match",
        description: "The AWD match clock: the current round and when it ends. Flags change every round, \
            so an older capture is worthless: check the round before a long exploit and before \
            submitting.",
        output: Output::Model("AwdMatchStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_targets",
        title: "Get AWD Targets",
        description: "Every gamebox of the AWD match and the address it answers on: the only place to \
            learn them (boxes publish no ports and the match network is internal). Call it \
            before attacking and after rounds to notice boxes going down. Yours is marked \
            `is_own: true`: defend it, do not attack it (flags from it are refused).",
        output: Output::Model("AwdTargetsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "join_awd_arena",
        title: "Join AWD Arena",
        description: "Connect THIS machine to the match network over WireGuard, when you play from your \
            own host rather than from a container the platform placed in the arena (otherwise \
            get_awd_targets' addresses are unreachable). Returns a complete wg-quick file in \
            `config` routing only the match network; bring it up with `wg-quick up FILE`. Pass \
            `public_key` to keep your private key to yourself (the file then has a \
            placeholder); without it the platform makes a key pair and returns the private key \
            this once (`private_key_included`). Calling again keeps your address but rotates \
            the key, so earlier files stop working: to check whether you are on, use \
            get_awd_arena_peer. Your team needs a provisioned gamebox first.",
        output: Output::Model("AwdVpnPeer"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_arena_peer",
        title: "Get AWD Arena Peer",
        description: "Whether you are already on the arena network, without changing anything \
            (join_awd_arena would rotate your key and cut the tunnel you are checking). `peer` \
            is null when you have none; otherwise your address, the node your tunnel ends on \
            and the wg-quick file with a placeholder for the private key (the platform never \
            kept it). Ask this after a restart before deciding to join.",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "test_awd_arena_link",
        title: "Test AWD Arena Link",
        description: "Probe your own WireGuard peer now from the worker: whether there is a handshake \
            (none: NAT, a firewall on the UDP port or a wrong address), whether pings pass \
            (handshake without ping: the far end drops ICMP), and whether large packets pass \
            (small yes, large no: an MTU problem, which otherwise looks like hanging \
            responses). Use it right after bringing the tunnel up. Changes nothing; rate \
            limited.",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "leave_awd_arena",
        title: "Leave AWD Arena",
        description: "Remove this machine's peer from the arena network. true if there was one. Takes \
            effect at the next round, when the platform re-pushes the worker's WireGuard \
            configuration.",
        output: Output::Bool,
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_board",
        title: "Get AWD Board",
        description: "AWD standings and each team's per-service status for one round. Without `tick` it \
            shows the last SETTLED round (rounds settle when they end; the running one would \
            be empty). Pass `tick` for an earlier round; settled rounds never change.",
        output: Output::Model("AwdBoardResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "reset_instance",
        title: "Reset Instance",
        description: "Replace a running instance by a fresh one in one step. Returns the NEW instance id \
            (the old one is gone). Better than stop then start: your slot is kept throughout, \
            so it works on a full platform, and any refusal happens before the old target is \
            torn down. Minted answers change; solves, unlocked questions and wrong-attempt \
            counts stay, so a reset neither loses progress nor grants new attempts. `ttl` as \
            for start_instance.",
        output: Output::Model("StartResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_qa_challenges",
        title: "List QA Challenges",
        description: "A competition's question-and-answer items (multiple choice, short answer). They \
            have no instance: nothing to start, nothing to attack; the question and its \
            `choices` are in the item. Answer with submit_qa_answer (start_instance and \
            submit_answer do not apply). Each row carries your team's state per question and \
            the wrong attempts left, so it also tells what remains.",
        output: Output::List("QaChallengeView"),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_qa_answer",
        title: "Submit QA Answer",
        description: "Answer a question-and-answer item from list_qa_challenges. Both challenge_id and \
            competition_id are needed since no instance identifies them. A single-select or \
            static question takes a string (a letter or exact text), a multi-select one a list \
            of strings. Imported multiple-choice items mostly use question id \"answer\" (the \
            default) with choices A to D. Choice questions allow only a few wrong attempts: \
            read the question instead of trying every option.",
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "verify_exploit",
        title: "Verify Exploit",
        description: "Have the platform check a `checker` question: one graded by a hidden judge that \
            confirms an effect you caused (changed a banner, escalated a privilege, deleted a \
            record) instead of a string you submit. Do the deed first, then call this; no \
            answer passed to submit_answer can solve such a question. get_challenge and \
            get_instance mark them `mode: \"checker\"`. A judge that fails, times out or is \
            missing answers `passed: false` and records nothing.",
        output: Output::Model("CheckAnswerResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_defence_source",
        title: "Get Defence Source",
        description: "AWD+: the source of the vulnerable service every team defends, as {path relative \
            to the challenge: base64 of the bytes}: exactly the shape submit_patch takes, so \
            fix a file and send the map back with your version. Only the files you may replace \
            are served; the reference exploit and checker are withheld. Needs no instance, \
            before or after the event.",
        output: Output::TextMap,
        defaults: &[],
    },
    ToolSpec {
        name: "submit_patch",
        title: "Submit Patch",
        description: "AWD+: submit a defence (a patch, not an answer) for the challenge of \
            `instance_id`: `files` is {relative path: base64 of the new bytes}, the shape \
            get_defence_source returns. The platform builds your files into a clean copy, runs \
            the reference exploit and then the checker: you score when the exploit fails AND \
            the checker passes, so removing the feature scores nothing. Watch the verdict with \
            list_patches.",
        output: Output::Model("PatchSubmissionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "save_report",
        title: "Save Report",
        description: "Exercise format: save your team's engagement report for one range (challenge_id). \
            In these competitions the report is all that is scored; there are no answers to \
            submit. Write it like a real report: findings, how you reached them and the \
            evidence, pasting the exact tokens you extracted from the range (quoting a token \
            is how its milestone is credited). Every save is kept and the latest is graded; \
            each save replaces the whole text, and an empty one is refused. `newly_credited` \
            counts the evidence new to your team in this save (zero is normal when re-saving).",
        output: Output::Model("ReportSaveResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_report",
        title: "Get Report",
        description: "Read your team's current report for one range. An error when nothing was saved yet \
            (the platform stores no empty report).",
        output: Output::Model("ReportInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_report_versions",
        title: "List Report Versions",
        description: "Every saved version of your team's report for one range, newest first.",
        output: Output::Model("ReportVersionsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "finalize_report",
        title: "Finalize Report",
        description: "Hand a finished report in: the saved version becomes the deliverable (save_report \
            is refused until reopen_report) and grading is asked for now rather than after the \
            quiet period. Handing in is never refused for lack of grading requests: past the \
            limit it is graded when it goes quiet.",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "reopen_report",
        title: "Reopen Report",
        description: "Take a handed-in report back to edit it, while the competition's report window is \
            open. A grading request already used is not given back.",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "request_report_grading",
        title: "Request Report Grading",
        description: "Ask for the saved version of a report to be graded now while it stays editable. \
            Limited per range (`grade_requests_limit` in the reply, 0 for no limit); asking \
            twice for the same version costs nothing more, and saving a new version withdraws \
            the request.",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authoring_template",
        title: "Get Authoring Template",
        description: "A working challenge to start writing your own from: the files (text inline, binary \
            paths listed) to edit and hand to upload_authored_challenge. It starts with \
            `docker compose up`, its reference exploit solves it and the audit passes it; \
            AUTHORING.md at its root says what to replace. `stack` is for category web only: \
            required there, refused for the others (the HTTP 400 lists the valid pairs).",
        output: Output::Custom(template_schema),
        defaults: &[("category", "\"web\""), ("stack", "null")],
    },
    ToolSpec {
        name: "upload_authored_challenge",
        title: "Upload Authored Challenge",
        description: "Upload a challenge you wrote for other players to solve. Send the tree one way \
            only: `path`, a directory on this machine that this server packs like `ctfy \
            authoring upload` (skipping .git, __pycache__, node_modules, .venv, .DS_Store; \
            preferred); `files`, relative path to text, for small text-only trees; \
            `archive_base64` is for the platform's own HTTP endpoint and refused here. Each \
            upload replaces the whole tree. `slug` is your team's label, not the id: read the \
            minted `id` (AUTHORED-...) from the reply. Re-uploading a slug replaces it while \
            pending; after a verdict an approved upload takes revise_authored_challenge and a \
            rejected one needs a new slug. The upload is recorded pending for a human \
            reviewer: call get_authored_challenge_audit next (the automatic findings) and \
            watch list_authored_challenges for the verdict and `smoke_verdict` (`auto_smoke` \
            says whether a smoke run of solution/exploit.py is queued; runs are budgeted per \
            day). When the competition names authoring terms, the upload needs \
            `accepted_terms_version` and answers for `license`, `provenance` and \
            `ai_assisted`: these are the account holder's declarations, so give only what they \
            told you (a challenge an AI wrote is AI-assisted). `destination` eval_only sends \
            it to the evaluation pool (original work with `eval_use` only). The account needs \
            a verified email address. Prefer source to prebuilt binaries; the platform's \
            limits are in its refusal, which lists every reason at once.",
        output: Output::Model("AuthoredChallengeInfo"),
        defaults: &[
            ("license", "\"\""),
            ("provenance", "\"\""),
            ("ai_assisted", "\"\""),
            ("credit", "\"anonymous\""),
            ("destination", "\"public\""),
        ],
    },
    ToolSpec {
        name: "revise_authored_challenge",
        title: "Revise Authored Challenge",
        description: "Propose a new version of one of your APPROVED uploads (challenge_id from \
            list_authored_challenges). Send the whole tree as for upload_authored_challenge \
            (`path` here, or `files`). Players see nothing until a reviewer approves the diff \
            and an admin applies it; list_authored_challenges shows it under `revision` \
            (pending, approved, rejected with `review_note`). A new proposal replaces the \
            previous one. Every question of the live version must remain \
            (`authored_revision_drops_questions` otherwise); an identical tree is refused \
            (`authored_revision_unchanged`). The authoring window does not apply.",
        output: Output::Model("AuthoredRevisionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_authored_challenges",
        title: "List Authored Challenges",
        description: "Your team's uploads for one competition and where they stand. `review_status` is \
            pending, approved or rejected (`review_note` says what to fix). Approved is not \
            yet playable: `in_catalog` says whether it is published. `smoke_verdict` is the \
            result of running your solution/exploit.py against it (\"\" until a run ends; \
            `smoke_in_flight` while one is queued or running: wait instead of re-uploading). \
            `revision` is a proposed fix not yet applied, or null. Only your team's uploads \
            are listed, never the event's.",
        output: Output::List("AuthoredChallengeRow"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authored_challenge_audit",
        title: "Get Authored Challenge Audit",
        description: "The automatic audit of one of your uploads: findings with rule ids (like META007, \
            STRUCT011) to fix before a reviewer has to. Read `outcome` first: only `ok` means \
            the counts are a verdict; `timed_out` and `failed` mean no verdict, even with no \
            findings.",
        output: Output::Model("AuthoredAuditReport"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authoring_reception",
        title: "Get Authoring Reception",
        description: "How other players did on your team's approved challenges: per challenge, how many \
            of your division solved it out of how many could, the resulting rate and the score \
            multiplier it earned. Check `state` per row first: `priced` has numbers; \
            `not_curated` means the organiser has not put it in the event's set (pays \
            nothing); `no_field` means nobody else is in your division. You are not counted in \
            `field_size`. Uploads still under review have no row. `scored` is false on events \
            that do not reward authoring.",
        output: Output::Model("AuthoringReceptionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_patches",
        title: "List Patches",
        description: "Your team's AWD+ patches and their verdicts: follow submit_patch here. `verdict` \
            is empty while queued or building, then `fixed` (exploit stopped, checker passed) \
            or `not_fixed`; `status` `errored` means no verdict was reached.",
        output: Output::List("PatchSubmissionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_submissions",
        title: "List Submissions",
        description: "Your team's submissions (challenge, question, time, correct), optionally for one \
            challenge, paged with offset/limit (default 50): read it when resuming so as not \
            to repeat attempts.",
        output: Output::List("SubmissionState"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_scoreboard",
        title: "Get Scoreboard",
        description: "The current ranking of teams, paged with offset/limit (default 50). `category` is \
            accepted, but the platform ignores it on the global board.",
        output: Output::List("ScoreboardEntry"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_challenge_stats",
        title: "Get Challenge Stats",
        description: "Per-challenge figures: solves, attempts and success rate, paged with offset/limit \
            (default 50).",
        output: Output::List("ChallengeStats"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_my_solves",
        title: "Get My Solves",
        description: "The challenges THIS ACCOUNT captured at least one question of, with the best rank \
            earned (1 to 3: first, second, third blood) and whether every capture counted on \
            the board. Call it before working through a catalog, which counts solves per team, \
            not yours. It covers the account, not the team (a team-mate's capture is in \
            `my_team_solved_question_ids` of a challenge); without competition_id it spans \
            every team you ever played for, so pass it for one event.",
        output: Output::List("MySolveSummary"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_my_milestone_progress",
        title: "Get My Milestone Progress",
        description: "Per challenge, which question ids this account has solved and how many the \
            challenge has (\"3 of 5\"), optionally for one competition: the detailed companion \
            of get_my_solves.",
        output: Output::List("MilestoneProgress"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_me",
        title: "Get Me",
        description: "Your account: profile, `email_verified` (uploading challenges needs a \
            verified address), role, and `competition_teams`, your team in each competition. \
            Needs a token.",
        output: Output::Model("MeResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "health",
        title: "Health",
        description: "Whether the platform is up: `status`, its `version`, the environment it runs \
            in, how many instances are running and its `capacity`. Needs no token; a first check \
            when calls fail.",
        output: Output::Model("HealthResponse"),
        defaults: &[],
    },
];

/// The entry of the tool `name`.
pub(crate) fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The OpenAPI component schemas, with references rewritten to `#/$defs/…`.
static COMPONENTS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let text = SCHEMAS.replace("#/components/schemas/", "#/$defs/");
    serde_json::from_str(&text).expect("the vendored component schemas")
});

/// Adds to `out` every component `schema` refers to, transitively.
fn collect_defs(schema: &Value, out: &mut Map<String, Value>) {
    match schema {
        Value::Object(m) => {
            if let Some(name) = m
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                && !out.contains_key(name)
                && let Some(def) = COMPONENTS.get(name)
            {
                out.insert(name.to_owned(), def.clone());
                collect_defs(def, out);
            }
            m.values().for_each(|v| collect_defs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_defs(v, out)),
        _ => {}
    }
}

/// A schema for `top` carrying the components it refers to under `$defs`.
fn with_defs(mut top: Value) -> Value {
    let mut defs = Map::new();
    collect_defs(&top, &mut defs);
    if !defs.is_empty()
        && let Value::Object(m) = &mut top
    {
        m.insert("$defs".into(), Value::Object(defs));
    }
    top
}

/// A wrapped result's schema.
fn wrapped(result: Value) -> Value {
    json!({
        "type": "object",
        "properties": {"result": result},
        "required": ["result"],
        "x-fastmcp-wrap-result": true
    })
}

/// The `outputSchema` of a tool answering with `output`.
pub(crate) fn output_schema(output: Output) -> Value {
    match output {
        Output::Model(name) => {
            let top = COMPONENTS
                .get(name)
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            with_defs(top)
        }
        Output::List(name) => with_defs(wrapped(json!({
            "type": "array",
            "items": {"$ref": format!("#/$defs/{name}")}
        }))),
        Output::Text => wrapped(json!({"type": "string"})),
        Output::Bool => wrapped(json!({"type": "boolean"})),
        Output::AnyObject => json!({"type": "object", "additionalProperties": true}),
        Output::TextMap => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        Output::Custom(f) => f(),
    }
}

/// `tool` (from the router) completed from its table entry: title, declared defaults, unknown
/// arguments refused, output schema.
pub(crate) fn decorate(mut tool: Tool) -> Tool {
    let Some(spec) = spec(&tool.name) else {
        return tool;
    };
    tool.title = Some(spec.title.to_owned());
    tool.description = Some(spec.description.into());
    let mut input = (*tool.input_schema).clone();
    input.insert("additionalProperties".into(), Value::Bool(false));
    if let Some(Value::Object(props)) = input.get_mut("properties") {
        for (param, default) in spec.defaults {
            if let Some(Value::Object(p)) = props.get_mut(*param) {
                let value = serde_json::from_str(default).unwrap_or(Value::Null);
                p.insert("default".into(), value);
            }
        }
    }
    tool.input_schema = Arc::new(input);
    if let Value::Object(out) = output_schema(spec.output) {
        tool.output_schema = Some(Arc::new(out));
    }
    tool
}

/// Whether `schema` (a parameter's) admits a JSON number, and whether only integers.
fn numeric(schema: &Value) -> Option<bool> {
    let mut types = Vec::new();
    let mut stack = vec![schema];
    while let Some(s) = stack.pop() {
        match s.get("type") {
            Some(Value::String(t)) => types.push(t.as_str()),
            Some(Value::Array(ts)) => types.extend(ts.iter().filter_map(Value::as_str)),
            _ => {}
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(subs)) = s.get(key) {
                stack.extend(subs);
            }
        }
    }
    if types.contains(&"string") {
        return None;
    }
    if types.contains(&"number") {
        Some(false)
    } else if types.contains(&"integer") {
        Some(true)
    } else {
        None
    }
}

/// Checks `args` against the input schema of `tool`: an argument it does not declare is an
/// error (the text says which ones it takes); a numeric string for a number parameter becomes
/// the number.
pub(crate) fn prepare_arguments(tool: &Tool, args: &mut JsonObject) -> Result<(), String> {
    let empty = Map::new();
    let props = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let unknown: Vec<&str> = args
        .keys()
        .filter(|k| !props.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = props.keys().map(String::as_str).collect();
        return Err(format!(
            "{}: unknown argument(s) {}; it takes {}",
            tool.name,
            unknown.join(", "),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    for (name, value) in args.iter_mut() {
        let Value::String(s) = value else { continue };
        let Some(integer) = props.get(name).and_then(numeric) else {
            continue;
        };
        let t = s.trim();
        let parsed = if integer {
            t.parse::<i64>().ok().map(Value::from)
        } else {
            t.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        };
        if let Some(v) = parsed {
            *value = v;
        }
    }
    Ok(())
}

/// `response` with `structuredContent` added to a successful result: an object as it is, a
/// list or scalar (or plain text) wrapped as `{"result": …}`, as the tool's output schema
/// says.
pub(crate) fn add_structured(name: &str, response: CallToolResponse) -> CallToolResponse {
    let CallToolResponse::Complete(mut result) = response else {
        return response;
    };
    if result.is_error == Some(true) || result.structured_content.is_some() {
        return CallToolResponse::Complete(result);
    }
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect();
    let value = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    let wraps = spec(name).is_some_and(|s| s.output.wraps());
    result.structured_content = Some(match value {
        Value::Object(_) if !wraps => value,
        other => json!({ "result": other }),
    });
    CallToolResponse::Complete(result)
}

/// A tool error with `text`.
pub(crate) fn tool_error(text: String) -> CallToolResponse {
    CallToolResponse::Complete(CallToolResult::error(vec![ContentBlock::text(text)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(schema: Value) -> Tool {
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        Tool::new("t", "test", Arc::new(schema))
    }

    #[test]
    fn every_output_is_an_object_schema_whose_references_resolve() {
        for t in TOOLS {
            let schema = output_schema(t.output);
            assert_eq!(schema["type"], "object", "{}", t.name);
            let text = schema.to_string();
            for r in text.split("\"#/$defs/").skip(1) {
                let name = &r[..r.find('"').unwrap()];
                assert!(schema["$defs"].get(name).is_some(), "{}: {name}", t.name);
            }
            if let Output::Model(name) | Output::List(name) = t.output {
                assert!(COMPONENTS.contains_key(name), "{}: {name}", t.name);
            }
        }
    }

    /// `schemas.json` is what `scripts/gen_mcp_schemas.py` writes from the repository's spec
    /// (skipped outside the repository, where there is no spec).
    #[test]
    fn vendored_schemas_match_the_spec() {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/openapi.json");
        let Ok(text) = std::fs::read_to_string(spec) else {
            return;
        };
        let spec: Value = serde_json::from_str(&text).unwrap();
        let vendored: Map<String, Value> = serde_json::from_str(SCHEMAS).unwrap();
        let mut wanted = Map::new();
        let mut todo: Vec<String> = TOOLS
            .iter()
            .filter_map(|t| match t.output {
                Output::Model(n) | Output::List(n) => Some(n.to_owned()),
                _ => None,
            })
            .collect();
        while let Some(name) = todo.pop() {
            if wanted.contains_key(&name) {
                continue;
            }
            let def = spec["components"]["schemas"][&name].clone();
            let text = def.to_string();
            for r in text.split("\"#/components/schemas/").skip(1) {
                todo.push(r[..r.find('"').unwrap()].to_owned());
            }
            wanted.insert(name, def);
        }
        assert!(
            vendored == wanted,
            "crates/ctfy-cli/src/mcp/schemas.json is stale: run scripts/gen_mcp_schemas.py"
        );
    }

    #[test]
    fn unknown_arguments_are_refused_and_numeric_strings_accepted() {
        let t = tool(json!({
            "type": "object",
            "properties": {
                "limit": {"type": "integer"},
                "ttl": {"type": ["integer", "null"]},
                "ratio": {"type": "number"},
                "name": {"type": "string"}
            }
        }));
        let mut args = json!({"limit": "5", "ttl": " 60 ", "ratio": "0.5", "name": "7"})
            .as_object()
            .cloned()
            .unwrap();
        prepare_arguments(&t, &mut args).unwrap();
        assert_eq!(
            Value::Object(args),
            json!({"limit": 5, "ttl": 60, "ratio": 0.5, "name": "7"})
        );
        let mut bad = json!({"limt": 5}).as_object().cloned().unwrap();
        let err = prepare_arguments(&t, &mut bad).unwrap_err();
        assert!(err.contains("limt") && err.contains("limit"), "{err}");
    }

    #[test]
    fn results_are_structured_as_their_schema_says() {
        let ok = |text: &str| {
            CallToolResponse::Complete(CallToolResult::success(vec![ContentBlock::text(text)]))
        };
        let structured = |name: &str, text: &str| match add_structured(name, ok(text)) {
            CallToolResponse::Complete(r) => r.structured_content.unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(structured("list_instances", "[]"), json!({"result": []}));
        assert_eq!(structured("verify_answer", "true"), json!({"result": true}));
        assert_eq!(
            structured("stop_instance", "Instance x stopped."),
            json!({"result": "Instance x stopped."})
        );
        assert_eq!(structured("health", r#"{"ok":true}"#), json!({"ok": true}));
        let CallToolResponse::Complete(err) = add_structured("health", tool_error("no".into()))
        else {
            unreachable!()
        };
        assert!(err.structured_content.is_none());
    }

    #[test]
    fn descriptions_say_enough() {
        let total: usize = TOOLS.iter().map(|t| t.description.len()).sum();
        assert!(total > 15_000, "{total}");
        for t in TOOLS {
            assert!(
                !t.title.is_empty() && t.description.len() >= 60,
                "{}",
                t.name
            );
        }
    }
}
