//! The questions of a mock challenge: what the platform shows of them (prompt, mode, choices,
//! the questions they wait for) and how it grades an answer to each.

use std::fmt;
use std::sync::Arc;

use ctfy_models::{InstanceQuestionInfo, QuestionId, QuestionPublicInfo, With};
use serde_json::Value;

use super::scenario::checked;

/// A user's grading function, for [`MockQuestion::checker`].
type Check = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// How an answer to a question is graded: the platform's question modes.
#[derive(Clone)]
pub(crate) enum Grading {
    /// A text answer whose mode follows the challenge: `dynamic` (a per-instance flag) on an
    /// instance challenge, `static` on a question-only one.
    Text(String),
    /// A fixed fact: `static` on either kind.
    Fixed(String),
    /// `single_select`: one of the choices.
    Single {
        choices: Vec<String>,
        answer: String,
    },
    /// `multi_select`: a set of the choices, in any order.
    Multi {
        choices: Vec<String>,
        answers: Vec<String>,
        /// The answers joined by commas, what [`MockQuestion::answer`] returns.
        joined: String,
    },
    /// `checker`: the test's function decides.
    Checker(Check),
}

/// A question of a [`MockChallenge`](super::MockChallenge), added with
/// [`MockChallenge::ask`](super::MockChallenge::ask): its id, the prompt an agent reads, how
/// it is answered (a text answer, one or several of a list of choices, or a function of the
/// test's that decides), and the questions it waits for.
///
/// The platform shows a question the way it does its own: the challenge listings
/// (`competition(id).challenges()`, `challenges().list()`, the competition's detail) carry
/// the questions without a [`requires`](Self::requires) list; the question-only view
/// (`submissions().list_qa_challenges()`) carries them all, each with its `requires`; an
/// instance's questions (`instances().get(id)`, `list()`, `pending_questions(id)`) leave out
/// a question until every question it requires is solved, and then show it `unlocked`.
/// As on the platform, the lock hides a question and does not refuse an answer: an answer to
/// a question still locked is graded like any other.
///
/// ```
/// use ctfy::testing::{MockChallenge, MockQuestion};
///
/// let web = MockChallenge::instance("WEB-002")
///     .ask(MockQuestion::new("flag", "FLAG{sqli}").prompt("Log in as admin: the flag is on /admin"))
///     .ask(
///         MockQuestion::new("token", "FLAG{pivot}")
///             .prompt("The database holds a second token")
///             .requires(["flag"]),
///     );
/// let quiz = MockChallenge::qa("QA-002")
///     .ask(MockQuestion::single_select("port", ["22", "80", "443"], "443").prompt("HTTPS port?"))
///     .ask(MockQuestion::multi_select("weak", ["md5", "sha1", "sha256"], ["md5", "sha1"]))
///     .ask(MockQuestion::checker("prime", |a| a.trim().parse::<u32>().is_ok_and(|n| n % 2 == 1)));
/// ```
#[derive(Clone)]
pub struct MockQuestion {
    pub(crate) id: QuestionId,
    pub(crate) prompt: String,
    pub(crate) requires: Vec<QuestionId>,
    pub(crate) grading: Grading,
}

impl fmt::Debug for MockQuestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let answer: &dyn fmt::Debug = match &self.grading {
            Grading::Text(a) | Grading::Fixed(a) => a,
            Grading::Single { answer, .. } => answer,
            Grading::Multi { answers, .. } => answers,
            Grading::Checker(_) => &"<checker>",
        };
        f.debug_struct("MockQuestion")
            .field("id", &self.id)
            .field("prompt", &self.prompt)
            .field("requires", &self.requires)
            .field("answer", answer)
            .finish()
    }
}

impl MockQuestion {
    /// A question with a text answer, compared after trimming whitespace. Its mode is the
    /// platform's for the challenge it joins: `dynamic` on an instance challenge (a flag
    /// minted per instance, which the instance's web service serves at
    /// `GET <service>/flag/<id>`; as on the platform, `FLAG{…}` around the answer may be left
    /// out), `static` on a question-only challenge. The prompt is `Question <id>` until
    /// [`prompt`](Self::prompt) says otherwise.
    ///
    /// # Panics
    /// When `question_id` is not a valid id (empty, `.`, `..`, or with `/` or `\`).
    pub fn new(question_id: &str, answer: &str) -> Self {
        Self::with(question_id, Grading::Text(answer.to_owned()))
    }

    /// A question whose answer is a fixed fact (mode `static`, on either kind of challenge):
    /// the answer trimmed must equal `answer` trimmed. An instance's web service serves it too.
    ///
    /// # Panics
    /// When `question_id` is not a valid id.
    pub fn fixed(question_id: &str, answer: &str) -> Self {
        Self::with(question_id, Grading::Fixed(answer.to_owned()))
    }

    /// A question answered with one of `choices` (mode `single_select`): as on the platform,
    /// the answer (one string, trimmed) must be among the choices and be `answer`; a list is
    /// wrong.
    ///
    /// # Panics
    /// When `question_id` is not a valid id, or `answer` is not among `choices`.
    pub fn single_select<S: Into<String>>(
        question_id: &str,
        choices: impl IntoIterator<Item = S>,
        answer: &str,
    ) -> Self {
        let choices: Vec<String> = choices.into_iter().map(Into::into).collect();
        if !choices.iter().any(|c| c == answer) {
            panic!("ctfy::testing: question {question_id}: {answer:?} is not among its choices");
        }
        Self::with(
            question_id,
            Grading::Single {
                choices,
                answer: answer.to_owned(),
            },
        )
    }

    /// A question answered with several of `choices` (mode `multi_select`). Graded as the
    /// platform does: the answer is a list of choices, or one string of them separated by
    /// commas or whitespace; each part, trimmed, must be a choice, and the parts as a set must
    /// be `answers` (order and repeats do not matter).
    ///
    /// # Panics
    /// When `question_id` is not a valid id, or an answer is not among `choices`.
    pub fn multi_select<S: Into<String>, A: Into<String>>(
        question_id: &str,
        choices: impl IntoIterator<Item = S>,
        answers: impl IntoIterator<Item = A>,
    ) -> Self {
        let choices: Vec<String> = choices.into_iter().map(Into::into).collect();
        let answers: Vec<String> = answers.into_iter().map(Into::into).collect();
        if let Some(a) = answers.iter().find(|a| !choices.contains(a)) {
            panic!("ctfy::testing: question {question_id}: {a:?} is not among its choices");
        }
        let joined = answers.join(",");
        Self::with(
            question_id,
            Grading::Multi {
                choices,
                answers,
                joined,
            },
        )
    }

    /// A question whose answers `check` decides (mode `checker`, as the platform's questions
    /// that a judge grades). It gets the answer as sent (a list of strings comes joined by
    /// commas) and is called once per submission or verification.
    ///
    /// # Panics
    /// When `question_id` is not a valid id.
    pub fn checker(
        question_id: &str,
        check: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self::with(question_id, Grading::Checker(Arc::new(check)))
    }

    fn with(question_id: &str, grading: Grading) -> Self {
        let id: QuestionId = checked(question_id);
        Self {
            prompt: format!("Question {id}"),
            id,
            requires: Vec::new(),
            grading,
        }
    }

    /// The prompt the platform shows.
    pub fn prompt(mut self, prompt: &str) -> Self {
        self.prompt = prompt.to_owned();
        self
    }

    /// The questions of the same challenge that must be solved before this one unlocks. Until
    /// then an instance does not list it, and the challenge listings never do (the platform's
    /// rule for a gated question); the question-only view lists it with its `requires`.
    ///
    /// # Panics
    /// When an id is not a valid id.
    pub fn requires<'a>(mut self, question_ids: impl IntoIterator<Item = &'a str>) -> Self {
        self.requires = question_ids.into_iter().map(checked).collect();
        self
    }

    /// The question id.
    pub fn id(&self) -> &QuestionId {
        &self.id
    }

    /// The accepted answer, when there is one to read: the text answer, the right choice, or
    /// the right choices joined by commas; `None` for a [`checker`](Self::checker).
    pub fn answer(&self) -> Option<&str> {
        match &self.grading {
            Grading::Text(a) | Grading::Fixed(a) => Some(a),
            Grading::Single { answer, .. } => Some(answer),
            Grading::Multi { joined, .. } => Some(joined),
            Grading::Checker(_) => None,
        }
    }

    /// What an instance's web service serves for it: a text answer.
    pub(crate) fn served(&self) -> Option<&str> {
        match &self.grading {
            Grading::Text(a) | Grading::Fixed(a) => Some(a),
            _ => None,
        }
    }

    /// The platform's mode name, on a question-only challenge (`qa`) or an instance one.
    pub(crate) fn mode(&self, qa: bool) -> &'static str {
        match &self.grading {
            Grading::Text(_) if qa => "static",
            Grading::Text(_) => "dynamic",
            Grading::Fixed(_) => "static",
            Grading::Single { .. } => "single_select",
            Grading::Multi { .. } => "multi_select",
            Grading::Checker(_) => "checker",
        }
    }

    fn choices(&self) -> Option<Vec<String>> {
        match &self.grading {
            Grading::Single { choices, .. } | Grading::Multi { choices, .. } => {
                Some(choices.clone())
            }
            _ => None,
        }
    }

    fn requires_strings(&self) -> Vec<String> {
        self.requires.iter().map(ToString::to_string).collect()
    }

    /// The question as the listings show it.
    pub(crate) fn public(&self, qa: bool) -> QuestionPublicInfo {
        QuestionPublicInfo::default().with(|it| {
            it.id = self.id.clone();
            it.prompt = self.prompt.clone();
            it.mode = Some(self.mode(qa).into());
            it.choices = self.choices();
            it.requires = self.requires_strings();
        })
    }

    /// The question as an instance shows it, given what the team solved; `None` while it is
    /// locked and unsolved (the platform leaves it out).
    pub(crate) fn on_instance(
        &self,
        solved: impl Fn(&QuestionId) -> bool,
    ) -> Option<InstanceQuestionInfo> {
        let unlocked = self.requires.iter().all(&solved);
        let answered = solved(&self.id);
        if !unlocked && !answered {
            return None;
        }
        Some(InstanceQuestionInfo::default().with(|it| {
            it.id = self.id.clone();
            it.prompt = if unlocked {
                self.prompt.clone()
            } else {
                String::new()
            };
            it.mode = Some(self.mode(false).into());
            it.choices = self.choices();
            it.requires = self.requires_strings();
            it.unlocked = unlocked;
            it.answered_correctly = answered;
        }))
    }

    /// Whether `answer` (the request's `answer`: a string or a list of strings) is right, as
    /// the platform grades this question's mode.
    pub(crate) fn grade(&self, qa: bool, answer: Option<&Value>) -> bool {
        let text = answer.and_then(Value::as_str);
        match &self.grading {
            Grading::Text(expected) if !qa => text.is_some_and(|s| {
                let (s, e) = (s.trim(), expected.trim());
                s == e || unwrapped(s) == unwrapped(e)
            }),
            Grading::Text(expected) | Grading::Fixed(expected) => {
                text.is_some_and(|s| s.trim() == expected.trim())
            }
            Grading::Single { choices, answer } => {
                text.is_some_and(|s| choices.iter().any(|c| c == s.trim()) && s.trim() == answer)
            }
            Grading::Multi {
                choices, answers, ..
            } => {
                let parts: Vec<&str> = match answer {
                    Some(Value::String(s)) => s
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|p| !p.is_empty())
                        .collect(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|v| v.as_str().unwrap_or_default().trim())
                        .filter(|p| !p.is_empty())
                        .collect(),
                    _ => Vec::new(),
                };
                !parts.is_empty()
                    && parts.iter().all(|p| choices.iter().any(|c| c == p))
                    && parts.iter().all(|p| answers.iter().any(|a| a == p))
                    && answers.iter().all(|a| parts.contains(&a.as_str()))
            }
            Grading::Checker(check) => check(&as_sent(answer)),
        }
    }
}

/// The body of `FLAG{body}`, or the text itself.
fn unwrapped(s: &str) -> &str {
    s.strip_prefix("FLAG{")
        .and_then(|r| r.strip_suffix('}'))
        .filter(|b| !b.is_empty() && !b.contains('}'))
        .unwrap_or(s)
}

/// The answer as sent, a list joined by commas.
pub(crate) fn as_sent(answer: Option<&Value>) -> String {
    match answer {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}
