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
        description: "Where a session begins: the competitions this platform holds, each with its id, \
            name, format and time window. Narrow it with `phase` (upcoming, running or past; \
            empty for all) and page with offset/limit (50 rows unless you ask otherwise; ask \
            again with a larger offset for more). What to do next: \
            register_for_competition(competition_id) to be on a team there, then \
            list_competition_challenges(competition_id) to pick a target, then \
            start_instance(challenge_id, competition_id=...). get_competition gives one event in \
            full.",
        output: Output::List("CompetitionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_competition",
        title: "Get Competition",
        description: "One competition in full: its challenges in the order the organiser curated \
            (`challenges`), its time window, the fields that describe its rules and format, and \
            your own standing in it (whether you are registered). This is the check to make \
            before start_instance. For an event that is over, `can_replay` tells in advance \
            whether replay_competition would accept it. When the event names a contributor \
            agreement for authored challenges, `authoring_terms_version` and \
            `authoring_terms_url` say which.",
        output: Output::Model("CompetitionDetail"),
        defaults: &[],
    },
    ToolSpec {
        name: "replay_competition",
        title: "Replay Competition",
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
        output: Output::Model("CompetitionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_virtual_standings",
        title: "Get Virtual Standings",
        description: "Your replay measured against the teams that played the contest on the day, at the \
            same point of the clock: forty minutes into your run you are ranked against their \
            board as it stood forty minutes into theirs, which is what turns a replay into a \
            race. Give the id of the REPLAY (the one replay_competition returned), not the id of \
            the original contest. The replay's own scoreboard has a single team, yours, and \
            tells you nothing, so this is the board to read while replaying.",
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
        description: "A competition's entry form together with what you have already answered. The \
            organiser chooses, per event, which fields exist and which of them are mandatory, so \
            read this before submit_registration instead of guessing field names. `form` \
            describes the fields (with which are required), `missing_required` lists the \
            mandatory ones still empty, and the other keys are your current answers. Many events \
            ask for nothing: then `missing_required` is empty and register_for_competition was \
            all there was to do. The platform serves this read to signed-in sessions; an API \
            token may be refused with HTTP 403.",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_registration",
        title: "Submit Registration",
        description: "Fill in a competition's entry form. Beware: this REPLACES the whole set of answers \
            you gave before; it is not a partial update. Any field you leave out is erased, so \
            to correct a single answer you send every other value again as well: call \
            get_registration_form first and send back what it shows, with your change. Fields \
            the event does not collect are dropped silently rather than refused, so an extra \
            value does no harm. The reply's `missing_required` says whether the form is now \
            complete (empty: nothing left). `gender` is one of male, female, other, undisclosed, \
            or empty to leave it unanswered.",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[("gender", "\"\"")],
    },
    ToolSpec {
        name: "list_competition_challenges",
        title: "List Competition Challenges",
        description: "The challenges of one competition, in the order its organiser curated: the list to \
            choose a target from once list_competitions has given you the event. Narrow it by \
            `difficulty` (easy, medium, hard) or `tag`, and page with offset/limit (50 rows \
            unless you ask for fewer). Then call start_instance(challenge_id, \
            competition_id=...) for the one you pick; get_challenge(challenge_id, \
            competition_id=...) tells you its questions first. Question-and-answer quiz items \
            have no instance to start and are listed by list_qa_challenges instead.",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "search_challenges",
        title: "Search Challenges",
        description: "Keyword search over the platform's whole challenge catalog, across every competition \
            at once (not scoped to one event). `q` is matched against ids, names and \
            descriptions, for instance \"idor\", \"injection\", \"sso\" or an event's prefix \
            such as \"CTFARENA\"; narrow by `difficulty` and cap the rows with `limit` (20 \
            unless you ask otherwise). For playing an event, prefer list_competitions then \
            list_competition_challenges, which give that event's own set and order; use this for \
            practice or to find challenges on a topic.",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_challenges",
        title: "List Challenges",
        description: "The platform's entire challenge catalog, not scoped to any competition, optionally \
            narrowed by `difficulty`, `tag` or `category` (web, pwn, reverse, crypto, misc) and \
            paged with offset/limit (50 rows unless you ask otherwise). It is for practice and \
            browsing; when you play an event, list_competition_challenges(competition_id) gives \
            that event's set in its curated order. The solve counts here are per team over the \
            whole platform: whether YOU have solved a challenge is what get_my_solves answers.",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_challenge",
        title: "Get Challenge",
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
        output: Output::Model("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_challenge_attachments",
        title: "List Challenge Attachments",
        description: "The files a challenge ships to everyone from its `attachments/` directory: binaries, \
            data files, notes. Reverse, pwn, crypto and misc challenges usually have some; web \
            challenges often none. The answer is `{files: [...]}`, with an empty list when the \
            challenge ships nothing. Fetch one with download_challenge_attachment(challenge_id, \
            filename), passing the row's `name` (its path relative to that directory). Files \
            made per team are not listed here: they belong to an instance \
            (list_instance_attachments once it runs).",
        output: Output::Model("AttachmentList"),
        defaults: &[],
    },
    ToolSpec {
        name: "start_instance",
        title: "Start Instance",
        description: "Launch a target for a challenge and wait until it is ready to be attacked. The reply \
            carries the instance `id` and its attack surface: the hosts, ports and credentials \
            to use. KEEP the `id`: every other instance tool takes it as its first argument \
            (list_instances finds it again if you lose it). Pass `competition_id` whenever you \
            play an event; you need a team there first (register_for_competition), otherwise the \
            start is refused. `ttl` asks for a lifetime in seconds, which the platform caps at \
            its maximum; renew_instance extends it later, reset_instance swaps it for a fresh \
            copy.",
        output: Output::Custom(instance_ready_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance",
        title: "Get Instance",
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
        output: Output::Model("InstanceInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance_status",
        title: "Get Instance Status",
        description: "Look at an instance again without stopping it. The reply is the instance's status \
            record: `status` (starting, ready, error and the like), the attack surface once the \
            status is \"ready\", and the error text when it is \"error\". Use it after \
            start_instance when you have lost track of the surface or suspect the target died, \
            instead of stopping and starting it again (which costs time and, on a full platform, \
            perhaps the slot). If it is broken for good, reset_instance swaps it for a fresh one \
            in one step.",
        output: Output::Model("InstanceStatusResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance_traffic",
        title: "Get Instance Traffic",
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
        output: Output::AnyObject,
        defaults: &[],
    },
    ToolSpec {
        name: "stop_instance",
        title: "Stop Instance",
        description: "Stop one of your running instances and give your team's slot back. The answer is a \
            line saying it stopped. What you solved stays solved: progress belongs to your team \
            and the challenge, not to the instance. An instance also stops by itself once every \
            question of its challenge is answered. To get a fresh copy of a broken target, \
            reset_instance does it in one step without releasing the slot.",
        output: Output::Text,
        defaults: &[],
    },
    ToolSpec {
        name: "renew_instance",
        title: "Renew Instance",
        description: "Extend the lifetime of a running instance. The reply's `expires_at` (Unix seconds) \
            is the new deadline, the one fact a renewal produces and the one you need to decide \
            when to renew next. Do not work it out from `ttl` yourself: the seconds you ask for \
            are ADDED to the time the box has left, the sum is capped at the platform's maximum \
            lifetime counted from now, and without `ttl` the platform picks its default \
            increment, so only the reply knows the deadline you were granted. Renewing a box \
            already at the cap succeeds (HTTP 200) and leaves the deadline where it was; \
            `expires_at` 0 means the instance has no deadline and there was nothing to extend.",
        output: Output::Model("RenewResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_instances",
        title: "List Instances",
        description: "Your instances: their ids, challenges, states and attack surfaces, optionally only \
            those of one `challenge_id`, of one `status` (starting, ready, error) or matching a \
            search `q`, paged with offset/limit (50 rows unless you ask otherwise). This is \
            where to recover an instance id after losing track of it, and where to check that \
            nothing forgotten is holding one of your team's slots (stop_instance frees one).",
        output: Output::List("InstanceInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "verify_answer",
        title: "Verify Answer",
        description: "Try a candidate answer for a question of one of your instances without submitting \
            it: the same grader as submit_answer, aware of the question's mode (dynamic, static, \
            single select, multi select), but nothing is written to the submission record and it \
            is not an attempt. The reply is true or false. Use it to test a guess without \
            leaving a trail of wrong submissions; then submit_answer the one that passes, since \
            only a submission scores. `question_id` is \"flag\" unless the challenge has several \
            questions; a multi-select answer is a list of strings.",
        output: Output::Bool,
        defaults: &[],
    },
    ToolSpec {
        name: "submit_answer",
        title: "Submit Answer",
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
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_challenge_attachment",
        title: "Download Challenge Attachment",
        description: "Download one of a challenge's shared files. `filename` is a `name` from \
            list_challenge_attachments. Text comes back readable, any other bytes come back \
            base64-encoded, and `encoding` tells which (utf-8 or base64); a file over 1 MiB \
            comes back as `too-large` with a note and no content rather than cut short. Files \
            marked per team do not exist at challenge level: they are rendered or compiled for \
            each instance, so this answers HTTP 409 for them and points at the instance route. \
            Start an instance and use download_instance_attachment for those.",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "list_instance_attachments",
        title: "List Instance Attachments",
        description: "The files that belong to YOUR running instance. They differ from \
            list_challenge_attachments whenever a challenge ships per-team artefacts: those are \
            rendered or compiled for each instance, so the names and the bytes listed here are \
            yours and nobody else's (a binary built for your team, a note carrying your own \
            answer). The list fills once the instance is ready. Fetch one with \
            download_instance_attachment(instance_id, name).",
        output: Output::Model("AttachmentList"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_instance_attachment",
        title: "Download Instance Attachment",
        description: "Download one file of YOUR running instance: a `name` from list_instance_attachments \
            or from the `attachments` of get_instance. This is the per-team channel: for a \
            challenge with templated or compiled files it returns your instance's own copy, and \
            nowhere else holds those bytes. Text comes back readable, other bytes in base64, \
            `encoding` says which; above 1 MiB it answers `too-large` with a note instead of a \
            truncated file.",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "list_competition_attachments",
        title: "List Competition Attachments",
        description: "A competition's documents: rules, handbook, notices, as FILES. Read them before you \
            play: organisers often publish what is in scope, what is forbidden and how flags are \
            submitted only in such a file, not on the competition's page. Each row carries an \
            `id` (what download_competition_attachment takes), a `filename`, a `content_type` \
            sniffed from the bytes and a `locale`: \"\" for a file meant for every reader, or a \
            language such as \"en\" or \"zh-CN\" for that language's copy. When the same \
            document exists in several languages, read the one in yours.",
        output: Output::Model("CompetitionAttachmentsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_competition_attachment",
        title: "Download Competition Attachment",
        description: "Download one competition document by its `attachment_id` (the `id` of a row from \
            list_competition_attachments). Plain text and markdown come back readable \
            (`encoding` \"utf-8\"); PDF, Word, Excel, PowerPoint files and images come back \
            base64-encoded: decode them and pull the text out with whatever tool you have. A \
            file larger than this tool's limit (1 MiB) is never cut short: it answers \
            `too-large` with a note and no content.",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_awd_flags",
        title: "Submit AWD Flags",
        description: "AWD: submit the flags you captured from other teams' boxes. Send them as ONE batch, \
            not one flag per call: a working exploit takes many boxes a round and you are \
            expected to hand in all you hold in a single request, and the rate limit counts \
            requests, so calling once per flag only throttles you. The verdicts come back by \
            position, one per value sent and in the same order, so even a value that matches \
            nothing keeps its slot in the answer. Resending is free: a capture is counted once \
            per attacker, victim, service and round, so a retried batch reports \
            `already_captured` instead of scoring twice. Flags change every round \
            (get_awd_match): an old one is worthless.",
        output: Output::Model("AwdFlagSubmitResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_ssh_credential",
        title: "Get SSH Credential",
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
        output: Output::Model("SshCredential"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_match",
        title: "Get AWD Match",
        description: "The AWD match clock: which round is running now and when it ends. Flags rotate at \
            every round, so a flag captured in an earlier round is already worthless. Check the \
            round before you spend turns on a long exploit, and again before you submit what it \
            yields with submit_awd_flags. The board of a round (get_awd_board) is filled only \
            once that round has settled, after it ends.",
        output: Output::Model("AwdMatchStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_targets",
        title: "Get AWD Targets",
        description: "Every gamebox of this AWD match and the address it answers on: the attack surface, \
            and the only place to find it. A gamebox publishes no ports and the match network is \
            internal, so these addresses are the sole way to reach one (from outside the arena \
            you need join_awd_arena first). Call it before attacking, and again after a round to \
            notice boxes that went down. Your own box is in the list with `is_own: true`: you \
            need it to know what to defend, and a flag taken from it is refused, so a round \
            spent attacking it is a round in which you attacked nobody.",
        output: Output::Model("AwdTargetsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "join_awd_arena",
        title: "Join AWD Arena",
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
        output: Output::Model("AwdVpnPeer"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_arena_peer",
        title: "Get AWD Arena Peer",
        description: "Whether you are already on the arena network: ask this, not join_awd_arena. Joining \
            rotates your key every time, so using it to check your connection would tear down \
            the very tunnel you are checking. This read changes nothing. `peer` is null when you \
            hold none; otherwise it carries your address on the arena, the node your tunnel ends \
            on, and the same wg-quick file with a placeholder in place of the private key (the \
            platform never stored it, so it cannot give it back). Ask it after a restart, before \
            deciding whether you need to join.",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "test_awd_arena_link",
        title: "Test AWD Arena Link",
        description: "Is your tunnel really carrying traffic? This asks the worker now, and answers three \
            separate questions because each has its own repair. No handshake at all: NAT, a \
            firewall on the tunnel's UDP port, or a wrong address. A handshake but no ping: the \
            tunnel is up and its far end filters ICMP. Small packets pass and large ones do not: \
            the path cannot carry the tunnel's MTU, the failure nothing else reveals, since the \
            handshake succeeds and `wg show` looks perfect while every large response hangs. Use \
            it right after bringing the tunnel up, rather than guessing from a timeout against a \
            gamebox. It probes only your own peer and changes nothing; it is rate limited \
            because it makes the platform dial a worker node.",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "leave_awd_arena",
        title: "Leave AWD Arena",
        description: "Take this machine off the arena network again. The answer is true when there was a \
            peer to remove, false when you had none. It takes effect at the next round, not at \
            once: your peer lives on a worker node's WireGuard device, and the platform reaches \
            that device through the configuration it pushes again at each round. Until then the \
            tunnel may keep working. join_awd_arena puts you back on, with a new key.",
        output: Output::Bool,
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_board",
        title: "Get AWD Board",
        description: "AWD standings for one round, with each team's per-service status. Without `tick` it \
            shows the last SETTLED round, not the one in progress: a round is settled when it \
            ends, so the running round would show an empty board. Pass `tick` (a round number) \
            to read an earlier round: a settled round's rows never change again, so history read \
            once stays true. get_awd_match tells which round is running.",
        output: Output::Model("AwdBoardResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "reset_instance",
        title: "Reset Instance",
        description: "Swap a running instance for a freshly built one, in one atomic step. The reply is \
            the NEW instance id; the old one is gone, so use the new id from now on. Prefer this \
            to stop then start: your team's slot is never released in between, so a reset works \
            even on a full platform, and every refusal is decided before the running target is \
            torn down. The minted answers are new. Solves, the `requires:` chain of unlocked \
            questions and the per-question counts of wrong attempts belong to your team and the \
            challenge, and carry over untouched: a reset neither loses progress nor buys fresh \
            attempts. `ttl` works as for start_instance.",
        output: Output::Model("StartResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_qa_challenges",
        title: "List QA Challenges",
        description: "A competition's pure question-and-answer challenges: multiple-choice and \
            short-answer quiz items. They have NO instance: there is nothing to start and \
            nothing to attack. The question text and any `choices` are in the item itself, and \
            you answer with submit_qa_answer; start_instance and submit_answer do not apply to \
            them at all. Each row already carries your team's solve state per question and the \
            wrong attempts you have left, so this list also tells you which items remain to be \
            done.",
        output: Output::List("QaChallengeView"),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_qa_answer",
        title: "Submit QA Answer",
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
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "verify_exploit",
        title: "Verify Exploit",
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
        output: Output::Model("CheckAnswerResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_defence_source",
        title: "Get Defence Source",
        description: "AWD+: the source you defend. In AWD+ every team receives the same vulnerable service \
            together with its source, and this is that source, as {path relative to the \
            challenge: base64 of the bytes}: exactly the shape submit_patch takes. So the loop \
            is: read this, fix the bug in one of these files, send the same map back with your \
            version in place of the original. Only the files the challenge lets you replace (its \
            `patch.targets`) are served; the reference exploit and the checker live beside them \
            on the server and are deliberately withheld, since finding the bug from the code is \
            the task. It needs no instance, so you can read the code before launching anything, \
            and after the event is over.",
        output: Output::TextMap,
        defaults: &[],
    },
    ToolSpec {
        name: "submit_patch",
        title: "Submit Patch",
        description: "AWD+: submit a DEFENCE, a patch rather than an answer, for the challenge of \
            `instance_id`. `files` maps a path relative to the challenge to the base64 of its \
            new bytes, the shape get_defence_source returns. The defence is judged by building \
            and running your code: the platform applies your files to a pristine copy of the \
            challenge, runs the reference exploit against it, then runs the checker. You score \
            when the exploit stops working AND the checker still passes; functionality counts, \
            so deleting the vulnerable feature fails (it breaks the checker as well as the \
            exploit). Judging takes a while: follow the verdict with list_patches.",
        output: Output::Model("PatchSubmissionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "save_report",
        title: "Save Report",
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
        output: Output::Model("ReportSaveResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_report",
        title: "Get Report",
        description: "Read back your team's current engagement report for one range (`challenge_id`): the \
            latest saved version, the one that gets graded. It is an error when nothing has been \
            saved yet, which is deliberately different from an empty report: the platform \
            refuses to store an empty one. list_report_versions shows the earlier versions.",
        output: Output::Model("ReportInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_report_versions",
        title: "List Report Versions",
        description: "Every saved version of your team's engagement report for one range, newest first. \
            Each save_report adds one and none is ever deleted; only the newest is graded. Use \
            it to see what changed between drafts or to recover text a later save dropped (then \
            save it again: saving is the only way to make a version current).",
        output: Output::Model("ReportVersionsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "finalize_report",
        title: "Finalize Report",
        description: "Hand in a range's report and ask for it to be judged now. Use it when the write-up \
            is finished. Two things happen. The version you saved last becomes the deliverable: \
            save_report refuses a new version until you call reopen_report. And the grader looks \
            at it now, instead of waiting for the report to sit unchanged for the deployment's \
            quiet period. Handing in is never refused for want of grading requests \
            (request_report_grading has a per-range allowance): past that allowance the report \
            is still handed in and is judged once it goes quiet, which it then must, since a \
            handed-in report cannot be saved again.",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "reopen_report",
        title: "Reopen Report",
        description: "Take a handed-in report back so that it can be edited again with save_report. It \
            works while the competition's report window is open. A grading request already spent \
            is not given back, so handing in again afterwards does not buy a second jump past \
            the quiet period.",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "request_report_grading",
        title: "Request Report Grading",
        description: "Ask for the saved version of a report to be judged NOW, while you keep writing: a \
            verdict on the draft so far, with the report still editable (finalize_report is the \
            version of this that also hands it in). It is bounded per range: \
            `grade_requests_limit` on the reply is the allowance, and 0 means there is none. \
            Asking twice about the same saved version costs nothing more; saving a new version \
            withdraws the request, since carrying on writing withdraws the claim that the \
            document was ready.",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authoring_template",
        title: "Get Authoring Template",
        description: "Start a challenge of your own from a template that already works. It comes back as \
            files you can read and edit (text inline, the paths of binary files listed), then \
            hand to upload_authored_challenge. The tree starts under `docker compose up`, its \
            reference exploit solves it and the challenge audit finds nothing, so the whole loop \
            can be checked before you have written a line; AUTHORING.md at its root says what to \
            replace and what the audit refuses. `stack` belongs to category \"web\" alone: it is \
            required there and refused for every other category. Getting the pair wrong is an \
            HTTP 400 whose message lists every valid combination: read it rather than guessing \
            again.",
        output: Output::Custom(template_schema),
        defaults: &[("category", "\"web\""), ("stack", "null")],
    },
    ToolSpec {
        name: "upload_authored_challenge",
        title: "Upload Authored Challenge",
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
        output: Output::Model("AuthoredRevisionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_authored_challenges",
        title: "List Authored Challenges",
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
        output: Output::List("AuthoredChallengeRow"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authored_challenge_audit",
        title: "Get Authored Challenge Audit",
        description: "What the automatic challenge audit says about one of your uploads: a list of defects \
            you can fix and re-upload against, without waiting for a reviewer to read the tree \
            and write the same findings by hand. Each finding names a rule id (such as META007, \
            STRUCT011 or EXPLOIT007) that you can look up, and what it found. Read `outcome` \
            FIRST: \"ok\" means the audit ran and its counts are its verdict; \"timed_out\" and \
            \"failed\" mean it could not say anything, so an empty `findings` list is not by \
            itself a clean bill. It runs on every upload: call it right after \
            upload_authored_challenge.",
        output: Output::Model("AuthoredAuditReport"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authoring_reception",
        title: "Get Authoring Reception",
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
        output: Output::Model("AuthoringReceptionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_patches",
        title: "List Patches",
        description: "Your team's AWD+ defence submissions and their verdicts: where to watch the outcome \
            of submit_patch, optionally for one `challenge_id`. `verdict` stays empty while a \
            submission is queued or building, then becomes \"fixed\" (the reference exploit \
            stopped working and the checker still passed) or \"not_fixed\". A `status` of \
            \"errored\" means the platform never reached a judgement at all, so the patch was \
            neither accepted nor rejected on its merits: look at what went wrong and submit \
            again rather than reading it as a failed fix.",
        output: Output::List("PatchSubmissionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_submissions",
        title: "List Submissions",
        description: "Your team's submission history, optionally for one `challenge_id`, paged with \
            offset/limit (50 rows unless you ask otherwise). Each row has `challenge_id`, \
            `question_id`, `submitted_at` and `correct`. Read it when you resume a session: it \
            shows what has already been tried on a challenge, so you skip answers already \
            refused (each wrong answer on a choice question uses up part of a small cap) and \
            questions already answered.",
        output: Output::List("SubmissionState"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_scoreboard",
        title: "Get Scoreboard",
        description: "The current scoreboard: teams ranked by score, paged with offset/limit (50 rows \
            unless you ask otherwise). `category` is accepted but the platform ignores it on \
            this global board. For an AWD match the per-round board is get_awd_board; for a \
            replay, get_virtual_standings ranks you against the live field.",
        output: Output::List("ScoreboardEntry"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_challenge_stats",
        title: "Get Challenge Stats",
        description: "Per-challenge statistics across the platform: solves, attempts and success rate for \
            each challenge, paged with offset/limit (50 rows unless you ask otherwise). A low \
            success rate with many attempts marks a hard or tricky challenge; use it to choose \
            where to spend your turns. Whether you solved one yourself is get_my_solves.",
        output: Output::List("ChallengeStats"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_my_solves",
        title: "Get My Solves",
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
        output: Output::List("MySolveSummary"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_my_milestone_progress",
        title: "Get My Milestone Progress",
        description: "Partial progress per challenge for THIS ACCOUNT: the finer half of get_my_solves, \
            with the same subject (the account, not the team). One row per challenge of which \
            the account captured at least one question, listing exactly which question ids are \
            done and how many questions the challenge declares. On a multi-question challenge \
            this is what says \"3 of 5\" instead of just \"not finished\". Pass `competition_id` \
            to keep to one event; without it, every team you played for counts.",
        output: Output::List("MilestoneProgress"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_me",
        title: "Get Me",
        description: "Your account as the platform sees it: profile, role, `email_verified` (uploading \
            challenges needs a verified address) and `competition_teams`, your team in each \
            competition you entered. Needs a platform token: the one this server was started \
            with (CTFY_TOKEN or --token), or over HTTP the request's bearer token. A quick way \
            to confirm whose token is in use.",
        output: Output::Model("MeResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "health",
        title: "Health",
        description: "Whether the platform is up, and how loaded: `status`, the platform's `version`, the \
            environment it runs in, how many instances are running and its `capacity`. Needs no \
            token. Call it first when other calls fail, to tell a platform that is down or full \
            from a refusal about you.",
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
        // The comparison with the Python server's descriptions is in tests/mcp.rs; this is a
        // floor that needs no platform.
        let mut lengths: Vec<usize> = TOOLS.iter().map(|t| t.description.len()).collect();
        lengths.sort_unstable();
        let total: usize = lengths.iter().sum();
        assert!(total > 40_000, "{total}");
        assert!(lengths[lengths.len() / 2] >= 435, "{lengths:?}");
        for t in TOOLS {
            assert!(
                !t.title.is_empty() && t.description.len() >= 60,
                "{}",
                t.name
            );
        }
    }
}
