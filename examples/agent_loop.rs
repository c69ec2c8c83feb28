//! An agent loop: play every challenge of a competition in parallel, then report.
//!
//! - at most `AGENT_CONCURRENCY` challenges at a time (default 4);
//! - each start is bounded by `AGENT_START_TIMEOUT_S` (default 120 s); a start that fails or
//!   times out leaves nothing running (the SDK stops the instance);
//! - the "solver" captures each flag from the instance's web service (`GET <service>/flag`,
//!   `GET <service>/flag/<question>`, as the stand-in node serves them), submits only the
//!   questions not solved yet, then stops the instance;
//! - question-only challenges (no instance) are answered from a [`QaSolver`]: by default an
//!   [`AnswerTable`] read from the file `AGENT_QA_ANSWERS` names. An agent cannot know the
//!   answers, and a wrong one uses up an attempt, so a question without an answer (or whose
//!   prerequisites are not solved) is left alone, and the challenge reported skipped;
//! - a progress line per challenge on stderr (`indicatif`), a summary table on stdout;
//! - exit status: 0 when every challenge was solved, already solved or skipped, 1 when one
//!   failed, 2 when the run could not start (no competition, bad token…).
//!
//! Environment: `CTFY_PLATFORM_URL` (else `CTFY_URL`) and `CTFY_TOKEN` (see `PlatformClient::from_env`),
//! optionally `CTFY_COMPETITION` (default: the first running competition),
//! `AGENT_CONCURRENCY`, `AGENT_START_TIMEOUT_S`, `AGENT_QA_ANSWERS` (a file of lines
//! `CHALLENGE/QUESTION = answer`, `#` for comments; a `multi_select` question's answer lists
//! its choices separated by commas). Against the local platform:
//! `scripts/with-platform.sh cargo run --example agent_loop`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ctfy::models::{
    ChallengeInfo, CompetitionId, QaChallengeView, QuestionId, QuestionPublicInfo, StringOrList,
};
use ctfy::{Error, PlatformClient, Registration};
use futures::TryStreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The competition to play; `None`: the first running one.
    pub competition: Option<String>,
    /// How many challenges are played at once.
    pub concurrency: usize,
    /// The hard cap on each instance start.
    pub start_timeout: Duration,
    /// How often a start polls the instance status.
    pub poll_interval: Duration,
    /// Where the answers of question-only challenges come from.
    pub qa: Arc<dyn QaSolver>,
}

/// A source of answers for the questions of question-only challenges.
pub trait QaSolver: std::fmt::Debug + Send + Sync {
    /// The answer to submit for `question` of `challenge`, or `None` to leave it unanswered.
    fn answer(
        &self,
        challenge: &QaChallengeView,
        question: &QuestionPublicInfo,
    ) -> Option<StringOrList>;
}

/// Known answers, keyed by challenge id and question id: the default [`QaSolver`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerTable(BTreeMap<(String, String), String>);

impl AnswerTable {
    /// Parses lines `CHALLENGE/QUESTION = answer`; blank lines and lines starting with `#`
    /// are skipped.
    ///
    /// # Errors
    /// A line that is not of that form, named by its number.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut table = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed = line.split_once('=').and_then(|(key, answer)| {
                let (challenge, question) = key.trim().split_once('/')?;
                let (challenge, question) = (challenge.trim(), question.trim());
                (!challenge.is_empty() && !question.is_empty())
                    .then(|| ((challenge.to_owned(), question.to_owned()), answer.trim()))
            });
            let Some((key, answer)) = parsed else {
                return Err(format!(
                    "line {}: expected `CHALLENGE/QUESTION = answer`",
                    n + 1
                ));
            };
            table.insert(key, answer.to_owned());
        }
        Ok(Self(table))
    }

    /// Reads the file `AGENT_QA_ANSWERS` names; an empty table when it is unset.
    fn from_env() -> Result<Self, String> {
        match std::env::var("AGENT_QA_ANSWERS") {
            Ok(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("AGENT_QA_ANSWERS={path:?}: {e}"))?;
                Self::parse(&text).map_err(|e| format!("AGENT_QA_ANSWERS={path:?}: {e}"))
            }
            Err(_) => Ok(Self::default()),
        }
    }
}

impl QaSolver for AnswerTable {
    fn answer(
        &self,
        challenge: &QaChallengeView,
        question: &QuestionPublicInfo,
    ) -> Option<StringOrList> {
        let key = (
            challenge.id.as_str().to_owned(),
            question.id.as_str().to_owned(),
        );
        let answer = self.0.get(&key)?;
        Some(if question.mode.as_deref() == Some("multi_select") {
            StringOrList::from(
                answer
                    .split(',')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>(),
            )
        } else {
            StringOrList::from(answer)
        })
    }
}

impl Settings {
    /// From the environment (see the module docs).
    fn from_env() -> Result<Self, String> {
        let num = |key: &str, default: u64| -> Result<u64, String> {
            match std::env::var(key) {
                Ok(v) => v
                    .parse()
                    .map_err(|_| format!("{key}={v:?} is not a number")),
                Err(_) => Ok(default),
            }
        };
        Ok(Self {
            competition: std::env::var("CTFY_COMPETITION").ok(),
            concurrency: num("AGENT_CONCURRENCY", 4)?.max(1) as usize,
            start_timeout: Duration::from_secs(num("AGENT_START_TIMEOUT_S", 120)?),
            poll_interval: Duration::from_millis(500),
            qa: Arc::new(AnswerTable::from_env()?),
        })
    }
}

/// What became of one challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Its unsolved questions were answered correctly (how many).
    Solved(usize),
    /// The team had solved it before; nothing was launched or submitted.
    AlreadySolved,
    /// Not played, and why.
    Skipped(String),
    /// Played and failed, and why.
    Failed(String),
}

/// One row of the summary.
#[derive(Debug, Clone)]
pub struct Report {
    /// The challenge.
    pub challenge: ChallengeInfo,
    /// What became of it.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
}

#[tokio::main]
async fn main() -> ExitCode {
    let progress = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let run = async {
        let settings = Settings::from_env()?;
        let client = PlatformClient::from_env().map_err(|e| e.to_string())?;
        let outcome = tokio::select! {
            played = play(&client, &settings, &progress) => played.map_err(|e| e.to_string()),
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        };
        // Starts cut short (Ctrl-C, deadlines) leave their instances to background stops:
        // wait for them, bounded, before the process exits.
        if !client.shutdown(Duration::from_secs(30)).await {
            eprintln!("warning: some instances may still be running");
        }
        outcome
    };
    match run.await {
        Ok(reports) => {
            print!("{}", summary(&reports));
            ExitCode::from(exit_status(&reports))
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Plays every challenge of the competition; one report per challenge, in the competition's
/// order.
///
/// # Errors
/// When the competition cannot be found, joined or listed.
pub async fn play(
    client: &PlatformClient,
    settings: &Settings,
    progress: &MultiProgress,
) -> Result<Vec<Report>, Error> {
    let competition = pick_competition(client, settings.competition.as_deref()).await?;
    let comp = client.competition(&competition)?;
    let detail = comp.detail().await?;
    if !detail.is_registered {
        comp.register(Registration::Solo).await?;
    }
    let challenges: Vec<ChallengeInfo> = comp.challenges().stream().try_collect().await?;

    let limit = Arc::new(Semaphore::new(settings.concurrency));
    let style = ProgressStyle::with_template("{spinner} {prefix:<16} {wide_msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let tasks: Vec<_> = challenges
        .into_iter()
        .map(|challenge| {
            let bar = progress.add(ProgressBar::new_spinner().with_style(style.clone()));
            bar.set_prefix(challenge.id.to_string());
            bar.set_message("waiting for a slot");
            bar.enable_steady_tick(Duration::from_millis(120));
            let (client, competition, settings, limit) = (
                client.clone(),
                competition.clone(),
                settings.clone(),
                Arc::clone(&limit),
            );
            tokio::spawn(async move {
                let _slot = limit.acquire_owned().await;
                let began = Instant::now();
                let outcome = play_one(&client, &competition, &challenge, &settings, &bar).await;
                bar.finish_with_message(format!("{outcome:?}"));
                Report {
                    challenge,
                    outcome,
                    elapsed: began.elapsed(),
                }
            })
        })
        .collect();
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        // A panicking task is a bug of this example, not an outcome: surface it.
        reports.push(
            task.await
                .map_err(|e| Error::InvalidArgument(e.to_string()))?,
        );
    }
    Ok(reports)
}

async fn pick_competition(
    client: &PlatformClient,
    wanted: Option<&str>,
) -> Result<CompetitionId, Error> {
    if let Some(id) = wanted {
        return Ok(id.parse()?);
    }
    let running = client.competitions().list().phase("running").await?;
    running
        .items
        .into_iter()
        .next()
        .map(|c| c.id)
        .ok_or_else(|| Error::InvalidArgument("no running competition".into()))
}

async fn play_one(
    client: &PlatformClient,
    competition: &CompetitionId,
    challenge: &ChallengeInfo,
    settings: &Settings,
    bar: &ProgressBar,
) -> Outcome {
    if challenge.my_team_fully_solved {
        return Outcome::AlreadySolved;
    }
    if challenge.is_qa_only {
        return play_qa(client, competition, challenge, settings.qa.as_ref(), bar).await;
    }
    bar.set_message("starting an instance");
    let ready = match client
        .instances()
        .start(&challenge.id)
        .competition_id(competition)
        .deadline(settings.start_timeout)
        .poll_interval(settings.poll_interval)
        .await
    {
        Ok(ready) => ready,
        Err(e) => return Outcome::Failed(format!("start: {}", e.report())),
    };
    let outcome = solve(client, challenge, &ready, bar).await;
    bar.set_message("stopping");
    // The platform stops a fully solved instance by itself, a moment after the last answer:
    // this stop usually still finds it (`Ok(true)`), a later one would not (`Ok(false)`).
    // Both are success.
    if let Err(e) = client.instances().stop(&ready.id).await {
        return Outcome::Failed(format!("stop {}: {}", ready.id, e.report()));
    }
    outcome
}

/// Answers the open questions of a question-only challenge that the solver has answers for,
/// in the challenge's order, each only once its prerequisites are solved.
async fn play_qa(
    client: &PlatformClient,
    competition: &CompetitionId,
    challenge: &ChallengeInfo,
    solver: &dyn QaSolver,
    bar: &ProgressBar,
) -> Outcome {
    bar.set_message("reading the questions");
    // The team's progress on question-only challenges shows only in this view.
    let view = match client.submissions().list_qa_challenges(competition).await {
        Ok(views) => views.into_iter().find(|v| v.id == challenge.id),
        Err(e) => return Outcome::Failed(format!("list questions: {e}")),
    };
    let Some(view) = view else {
        return Outcome::Skipped("not listed among the question-only challenges".into());
    };
    let mut solved: Vec<QuestionId> = view.solved_question_ids.clone();
    let (mut answered, mut left, mut wrong) = (0, Vec::new(), Vec::new());
    for q in &view.questions {
        if solved.contains(&q.id) {
            continue;
        }
        let unlocked = q
            .requires
            .iter()
            .all(|r| solved.iter().any(|s| s.as_str() == r.as_str()));
        let answer = unlocked.then(|| solver.answer(&view, q)).flatten();
        let Some(answer) = answer else {
            left.push(q.id.to_string());
            continue;
        };
        bar.set_message(format!("answering {}", q.id));
        match client
            .submissions()
            .submit_qa(competition, &view.id, answer)
            .question_id(&q.id)
            .await
        {
            Ok(verdict) if verdict.correct => {
                answered += 1;
                solved.push(q.id.clone());
            }
            Ok(_) => wrong.push(q.id.to_string()),
            Err(e) => return Outcome::Failed(format!("submit {}: {e}", q.id)),
        }
    }
    if !wrong.is_empty() {
        Outcome::Failed(format!("wrong answers: {}", wrong.join(", ")))
    } else if !left.is_empty() {
        Outcome::Skipped(format!(
            "{answered} answered, no answer for {}",
            left.join(", ")
        ))
    } else {
        Outcome::Solved(answered)
    }
}

async fn solve(
    client: &PlatformClient,
    challenge: &ChallengeInfo,
    ready: &ctfy::ReadyInstance,
    bar: &ProgressBar,
) -> Outcome {
    let Some(service) = ready.surface.web_service() else {
        return Outcome::Failed("the instance has no web service".into());
    };
    let open: Vec<_> = challenge
        .questions
        .iter()
        .filter(|q| !challenge.my_team_solved_question_ids.contains(&q.id))
        .collect();
    for q in &open {
        bar.set_message(format!("capturing {}", q.id));
        let url = if q.id == "flag" {
            format!("{}/flag", service.url())
        } else {
            format!("{}/flag/{}", service.url(), q.id)
        };
        let answer = match fetch(&url).await {
            Ok(a) => a,
            Err(e) => return Outcome::Failed(format!("capture {}: {e}", q.id)),
        };
        bar.set_message(format!("submitting {}", q.id));
        match client
            .submissions()
            .submit(&ready.id, answer.trim())
            .question_id(&q.id)
            .await
        {
            Ok(r) if r.correct => {}
            Ok(_) => return Outcome::Failed(format!("{}: the answer was wrong", q.id)),
            Err(e) => return Outcome::Failed(format!("submit {}: {}", q.id, e.report())),
        }
    }
    Outcome::Solved(open.len())
}

async fn fetch(url: &str) -> Result<String, reqwest::Error> {
    reqwest::get(url).await?.error_for_status()?.text().await
}

/// The summary table.
pub fn summary(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<16} {:<28} {:>8}  outcome\n",
        "challenge", "name", "time"
    );
    for r in reports {
        let outcome = match &r.outcome {
            Outcome::Solved(n) => format!("solved ({n} answers)"),
            Outcome::AlreadySolved => "already solved".to_owned(),
            Outcome::Skipped(why) => format!("skipped: {why}"),
            Outcome::Failed(why) => format!("FAILED: {why}"),
        };
        let name: String = r.challenge.name.chars().take(28).collect();
        out.push_str(&format!(
            "{:<16} {:<28} {:>7.1}s  {outcome}\n",
            r.challenge.id,
            name,
            r.elapsed.as_secs_f64()
        ));
    }
    let failed = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    out.push_str(&format!("{} challenges, {failed} failed\n", reports.len()));
    out
}

/// 0 when nothing failed, else 1.
pub fn exit_status(reports: &[Report]) -> u8 {
    u8::from(
        reports
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Failed(_))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctfy::models::With;
    use ctfy::testing::{MockChallenge, MockPlatform, MockQuestion, Route};

    fn settings() -> Settings {
        Settings {
            competition: None,
            concurrency: 2,
            start_timeout: Duration::from_millis(800),
            poll_interval: Duration::from_millis(20),
            qa: Arc::new(AnswerTable::default()),
        }
    }

    fn outcome<'a>(reports: &'a [Report], id: &str) -> &'a Outcome {
        &reports
            .iter()
            .find(|r| r.challenge.id == id)
            .unwrap()
            .outcome
    }

    #[tokio::test]
    async fn every_challenge_gets_an_outcome_and_nothing_is_left_running() {
        let mock = MockPlatform::builder()
            .challenge(MockChallenge::instance("WEB-1").question("token", "FLAG{t}"))
            .challenge(MockChallenge::instance("SLOW-1").ready_after(Duration::from_millis(150)))
            .challenge(MockChallenge::instance("BROKEN-1").fails_to_start("no healthy node"))
            .challenge(MockChallenge::instance("STUCK-1").never_ready())
            .challenge(MockChallenge::qa("QA-1").question("answer", "22"))
            .start()
            .await;
        let hidden = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let reports = play(&mock.client(), &settings(), &hidden).await.unwrap();

        assert_eq!(outcome(&reports, "WEB-1"), &Outcome::Solved(2));
        assert_eq!(outcome(&reports, "SLOW-1"), &Outcome::Solved(1));
        assert!(
            matches!(outcome(&reports, "BROKEN-1"), Outcome::Failed(m) if m.contains("no healthy node"))
        );
        assert!(
            matches!(outcome(&reports, "STUCK-1"), Outcome::Failed(m) if m.contains("timed out"))
        );
        // Without answers the question-only challenge is left alone, not guessed at.
        assert!(
            matches!(outcome(&reports, "QA-1"), Outcome::Skipped(m) if m.contains("no answer for answer"))
        );
        assert_eq!(mock.requests(Route::SubmitQa), 0);
        assert_eq!(exit_status(&reports), 1);
        assert!(summary(&reports).contains("FAILED: start:"));

        mock.assert_no_instance_running().await;
        mock.assert_no_resubmission();
        assert!(
            mock.peak_running_instances() <= 2,
            "the concurrency limit holds"
        );
        assert_eq!(mock.requests(Route::Submit), 3);

        // A second run finds the solved challenges solved and sends nothing for them.
        let again = play(&mock.client(), &settings(), &hidden).await.unwrap();
        assert_eq!(outcome(&again, "WEB-1"), &Outcome::AlreadySolved);
        assert_eq!(mock.requests(Route::Submit), 3);
    }

    #[tokio::test]
    async fn an_unregistered_agent_registers_and_an_easy_run_exits_zero() {
        let mock = MockPlatform::builder()
            .challenge(MockChallenge::instance("WEB-1"))
            .unregistered()
            .start()
            .await;
        let hidden = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let reports = play(&mock.client(), &settings(), &hidden).await.unwrap();
        assert_eq!(exit_status(&reports), 0);
        assert_eq!(mock.requests(Route::Register), 1);
    }

    #[test]
    fn the_answer_table_reads_its_file_format() {
        let table = AnswerTable::parse(
            "# trivia\n\nQA-1/q1 = 22\n  QA-1 / q2=a, b \nQA-2/answer = x = y\n",
        )
        .unwrap();
        let view = QaChallengeView::default().with(|v| v.id = "QA-1".parse().unwrap());
        let question = |id: &str, mode: Option<&str>| {
            QuestionPublicInfo::default().with(|q| {
                q.id = id.parse().unwrap();
                q.mode = mode.map(str::to_owned);
            })
        };
        assert_eq!(
            table.answer(&view, &question("q1", Some("static"))),
            Some(StringOrList::from("22"))
        );
        assert_eq!(
            table.answer(&view, &question("q2", Some("multi_select"))),
            Some(StringOrList::from(vec!["a".to_owned(), "b".to_owned()]))
        );
        assert_eq!(table.answer(&view, &question("q3", None)), None);
        assert!(
            AnswerTable::parse("QA-1 = 22")
                .unwrap_err()
                .contains("line 1")
        );
    }

    #[tokio::test]
    async fn question_only_challenges_are_played_to_the_end_with_known_answers() {
        let mock = MockPlatform::builder()
            .challenge(
                MockChallenge::qa("QA-1").question("q1", "22").ask(
                    // Sent as a list, because the view says `multi_select`.
                    MockQuestion::multi_select("q2", ["22", "80", "443"], ["80", "443"])
                        .prompt("Which ports serve the web application?"),
                ),
            )
            .challenge(
                MockChallenge::qa("QA-2")
                    .question("known", "yes")
                    .question("unknown", "nobody knows"),
            )
            .start()
            .await;
        let table =
            AnswerTable::parse("QA-1/q1 = 22\nQA-1/q2 = 443, 80\nQA-2/known = yes\n").unwrap();
        let settings = Settings {
            qa: Arc::new(table),
            ..settings()
        };
        let hidden = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let reports = play(&mock.client(), &settings, &hidden).await.unwrap();

        assert_eq!(outcome(&reports, "QA-1"), &Outcome::Solved(2));
        assert!(
            matches!(outcome(&reports, "QA-2"), Outcome::Skipped(m) if m.contains("1 answered, no answer for unknown"))
        );
        assert_eq!(exit_status(&reports), 0);
        assert_eq!(mock.requests(Route::SubmitQa), 3);
        assert_eq!(mock.requests(Route::Launch), 0);
        let views = mock
            .client()
            .submissions()
            .list_qa_challenges(mock.competition_id())
            .await
            .unwrap();
        assert_eq!(views[0].solved_question_ids, ["q1", "q2"]);

        // A second run sends nothing more: QA-1 is solved, QA-2's known answer is in.
        let again = play(&mock.client(), &settings, &hidden).await.unwrap();
        assert_eq!(outcome(&again, "QA-1"), &Outcome::AlreadySolved);
        assert!(
            matches!(outcome(&again, "QA-2"), Outcome::Skipped(m) if m.starts_with("0 answered"))
        );
        assert_eq!(mock.requests(Route::SubmitQa), 3);
        mock.assert_no_resubmission();
    }

    #[tokio::test]
    async fn a_wrong_answer_fails_the_challenge() {
        let mock = MockPlatform::builder()
            .challenge(MockChallenge::qa("QA-1").question("answer", "22"))
            .start()
            .await;
        let settings = Settings {
            qa: Arc::new(AnswerTable::parse("QA-1/answer = 23").unwrap()),
            ..settings()
        };
        let hidden = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let reports = play(&mock.client(), &settings, &hidden).await.unwrap();
        assert!(matches!(outcome(&reports, "QA-1"), Outcome::Failed(m) if m.contains("answer")));
        assert_eq!(exit_status(&reports), 1);
    }
}
