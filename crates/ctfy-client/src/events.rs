//! `client.events()`: the platform's realtime event stream (`GET /events`, server-sent events).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ctfy_models::InstanceId;
use ctfy_models::events::Event;
use ctfy_transport::events::{SseAuth, SseConfig, SseItem, SseSubscription};
use ctfy_transport::{Error, Request, Result, TokenKind, Transport};
use futures::{Stream, StreamExt};

use crate::PlatformClient;

/// One item of an [`EventStream`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // events are the common case; boxing them would only add an allocation
pub enum Notice {
    /// The stream is connected: frames published from now on will arrive.
    Connected,
    /// The stream lost its connection and connected again. Frames published in between are
    /// lost (the platform does not replay): refetch whatever you keep in sync with events.
    /// The team membership is read again, so teams joined since the last connection now count.
    Reconnected {
        /// How many times the stream has reconnected (1 for the first time).
        attempt: u32,
    },
    /// A platform event.
    Event(Event),
    /// A frame larger than [`SseConfig::max_frame_size`] (1 MiB by default) was dropped as
    /// it arrived; the stream goes on. Something was missed: refetch what you keep in sync.
    FrameTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// This reader fell more than [`SseConfig::reader_buffer`] (4 MiB) behind the client's
    /// shared connection and its `missed` oldest items were dropped (other readers of the
    /// same client were not slowed down). Refetch what you keep in sync, as after a
    /// reconnection.
    Lagged {
        /// How many items were skipped for this reader.
        missed: u64,
    },
    /// Yielded first when the stream's token is not a `pt_` session (a `pf_` API token, none,
    /// or another kind): the platform sends such a stream only the global frames
    /// (`scoreboard_updated`, announcements, `team_membership_changed`…), never its teams'
    /// (instances, flags, achievements). Give the client a session token, or a second one for
    /// the stream with [`ClientBuilder::events_token`](crate::ClientBuilder::events_token),
    /// to receive them.
    NoTeamEvents {
        /// The kind of token the stream carries.
        token: TokenKind,
    },
}

impl Notice {
    /// The platform event this notice carries, if it is one.
    pub fn event(&self) -> Option<&Event> {
        match self {
            Notice::Event(e) => Some(e),
            _ => None,
        }
    }

    /// Takes the platform event out of this notice, if it is one.
    pub fn into_event(self) -> Option<Event> {
        match self {
            Notice::Event(e) => Some(e),
            _ => None,
        }
    }
}

/// The platform's realtime events, as [`PlatformClient::events`] returns them: a
/// `Stream<Item = Result<Notice>>` that reconnects by itself.
///
/// Every `EventStream` of a client (and every [`Instances::start`](crate::Instances::start)
/// waiting for readiness) reads the client's one shared connection: it connects at the first
/// poll and closes when the last reader is dropped.
///
/// Errors: an event whose data does not fit its typed payload is yielded as
/// [`Error::EventDecode`] (its texts redacted and bounded) and the stream goes on; rejected
/// credentials (403), a missing route, `429 too_many_streams` ([`Error::is_stream_limit`]) or
/// a response that is not an event stream are yielded once, and then the stream ends.
pub struct EventStream {
    inner: SseSubscription,
    t: Transport,
    /// A notice to yield before anything else.
    first: Option<Notice>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl EventStream {
    fn open(t: &Transport, config: SseConfig) -> Self {
        let req = Request::get("/events", &[]).expect("a constant path");
        let token = t.events_token_kind();
        Self {
            inner: t.sse_shared(req, SseAuth::Query("token"), config),
            t: t.clone(),
            first: (!token.sees_team_events()).then_some(Notice::NoTeamEvents { token }),
        }
    }
}

impl Stream for EventStream {
    type Item = Result<Notice>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(notice) = self.first.take() {
            return Poll::Ready(Some(Ok(notice)));
        }
        let this = &mut *self;
        this.inner
            .poll_next_unpin(cx)
            .map(|item| item.map(|r| r.and_then(|item| to_notice(&this.t, item))))
    }
}

/// Every item of the transport's stream has a notice of its own.
fn to_notice(t: &Transport, item: SseItem) -> Result<Notice> {
    Ok(match item {
        SseItem::Connected => Notice::Connected,
        SseItem::Reconnected { attempt } => Notice::Reconnected { attempt },
        SseItem::FrameTooLarge { limit } => Notice::FrameTooLarge { limit },
        SseItem::Lagged { missed } => Notice::Lagged { missed },
        SseItem::Frame { event, data, .. } => match Event::from_frame(&event, &data) {
            Ok(e) => Notice::Event(e),
            Err(source) => return Err(t.event_decode_error(&event, &data, source)),
        },
    })
}

impl PlatformClient {
    /// The platform's realtime events (`GET /events?token=…`), reconnecting with backoff
    /// (1 s → 30 s) when the connection is lost or silent for 95 s.
    ///
    /// Every stream this returns, and every [`Instances::start`](crate::Instances::start)
    /// waiting for readiness, reads the client's one connection: it opens at the first poll
    /// and closes when the last reader is dropped (or at [`PlatformClient::shutdown`]). A
    /// reader more than 4 MiB of frames behind gets [`Notice::Lagged`].
    ///
    /// What arrives depends on the token (the client's, or its
    /// [`events_token`](crate::ClientBuilder::events_token) when set): a `pt_` session token
    /// sees its teams' frames (instances, flags, achievements…) and the global ones; a `pf_`
    /// token counts as anonymous and sees only global frames (`scoreboard_updated`,
    /// `team_membership_changed`, announcements…), and the stream then starts with
    /// [`Notice::NoTeamEvents`]; an admin session sees everything. Team membership is read
    /// when the stream connects: open it after registering.
    ///
    /// ```no_run
    /// # async fn demo(client: ctfy_client::PlatformClient) -> ctfy_client::Result<()> {
    /// use ctfy_client::{Notice, models::events::Event};
    /// use futures::StreamExt;
    ///
    /// let mut events = client.events();
    /// while let Some(item) = events.next().await {
    ///     match item {
    ///         Ok(Notice::Event(Event::InstanceReady(e))) => println!("instance {} is up", e.instance_id),
    ///         Ok(Notice::Event(Event::FlagCorrect(e))) => println!("{} solved {}", e.actor.actor_name, e.challenge_id),
    ///         Ok(Notice::Event(other)) => println!("{}", other.name()),
    ///         Ok(Notice::Reconnected { .. }) => { /* frames may be lost: refetch state */ }
    ///         Ok(_) => {}
    ///         Err(e @ ctfy_client::Error::EventDecode { .. }) => eprintln!("skipped: {e}"),
    ///         Err(e) => return Err(e), // the stream ends after this one
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> EventStream {
        self.events_with(SseConfig::default())
    }

    /// [`PlatformClient::events`] with another backoff, idle timeout, reconnection setting or
    /// reader buffer. Readers of one client with equal configurations share one connection;
    /// each different configuration has a connection of its own.
    pub fn events_with(&self, config: SseConfig) -> EventStream {
        EventStream::open(&self.t, config)
    }
}

/// How long `start()` waits for the event stream to connect before it goes on without it.
const CONNECT_WAIT: Duration = Duration::from_secs(3);

/// How often the status is still polled while the event stream is live (a safety net).
pub(crate) const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// A reader of the client's shared event stream, to learn early that an instance is ready.
pub(crate) struct ReadyWatch {
    stream: EventStream,
}

impl ReadyWatch {
    /// Joins (or connects) the client's event stream, when it can help: only a `pt_` session
    /// token receives the team's instance frames. `None` when it cannot, e.g. over the
    /// platform's stream cap (then the caller just polls).
    pub(crate) async fn open(t: &Transport) -> Option<ReadyWatch> {
        if !t.events_token_kind().sees_team_events() {
            return None;
        }
        let mut stream = EventStream::open(t, SseConfig::default());
        match tokio::time::timeout(CONNECT_WAIT, stream.next()).await {
            Ok(Some(Ok(Notice::Connected))) => Some(ReadyWatch { stream }),
            other => {
                tracing::debug!(outcome = ?other.map(|o| o.map(|r| r.map(|_| ()))), "instance events unavailable: polling only");
                None
            }
        }
    }
}

/// Waits up to `left` before the next status poll: `poll` without a live event stream, else
/// `max(poll, FALLBACK_POLL)` or less, as soon as a frame about `id` (ready, error, stopped)
/// or a reconnection (frames may have been missed) arrives. A stream that ends is dropped.
pub(crate) async fn pause(
    watch: &mut Option<ReadyWatch>,
    id: &InstanceId,
    poll: Duration,
    left: Duration,
) {
    let Some(w) = watch.as_mut() else {
        tokio::time::sleep(poll.min(left)).await;
        return;
    };
    let sleep = tokio::time::sleep(poll.max(FALLBACK_POLL).min(left));
    tokio::pin!(sleep);
    let alive = loop {
        tokio::select! {
            () = &mut sleep => break true,
            item = w.stream.next() => match item {
                Some(Ok(Notice::Event(e))) if concerns(&e, id) => break true,
                // Frames may have been missed: look at the status now.
                Some(Ok(
                    Notice::Reconnected { .. } | Notice::Lagged { .. } | Notice::FrameTooLarge { .. },
                )) => break true,
                Some(Ok(_)) | Some(Err(Error::EventDecode { .. })) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = %e.report(), "instance events ended: polling only");
                    break false;
                }
                None => break false,
            },
        }
    };
    if !alive {
        *watch = None;
    }
}

fn concerns(e: &Event, id: &InstanceId) -> bool {
    let of = match e {
        Event::InstanceReady(e) => &e.instance_id,
        Event::InstanceError(e) => &e.instance_id,
        Event::InstanceStopped(e) => &e.instance_id,
        _ => return false,
    };
    of == id.as_str()
}
