//! One event-stream connection shared by many readers ([`Transport::sse_shared`]).
//!
//! A *hub* is a task that drives one [`SseStream`] and hands every item to its readers
//! through a bounded broadcast channel (`lag_limit` items). The transport keeps a weak list of
//! its hubs, keyed by request, credentials and configuration; a reader holds its hub alive,
//! and the hub's task is aborted (closing the connection) when the last reader is dropped.
//!
//! Each reader sees the connection as if it were its own: `Connected` first (at once when the
//! hub is already connected), then `Reconnected { attempt }` counted for that reader. A reader
//! that falls more than `lag_limit` items behind skips ahead and gets [`SseItem::Lagged`];
//! the broadcast channel frees an item once every reader has taken it, so a slow reader
//! holds at most `lag_limit` items.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream, Stream, StreamExt};
use tokio::sync::broadcast;

use super::{SseAuth, SseConfig, SseItem, SseStream};
use crate::error::{Error, Result, StreamErrorKind};
use crate::request::Request;
use crate::transport::Transport;

/// What a hub's task hands its readers.
#[derive(Clone)]
enum Msg {
    Item(Arc<SseItem>),
    /// The stream's final error (the end follows).
    Failed(Arc<Error>),
    /// The stream ended.
    End,
}

/// One shared connection.
struct Hub {
    key: String,
    /// Weak, so that the channel closes when the task ends (its sender is the only strong
    /// one): readers then learn that the task is gone even if it could not say so.
    tx: broadcast::WeakSender<Msg>,
    state: Arc<Mutex<HubState>>,
    task: tokio::task::AbortHandle,
}

#[derive(Default)]
struct HubState {
    /// Whether the stream has connected (readers joining now get `Connected` at once).
    connected: bool,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The shared streams of one transport.
#[derive(Default)]
pub(crate) struct Hubs {
    list: Mutex<Vec<Weak<Hub>>>,
}

impl Hubs {
    /// Joins the hub of `key`, or starts one that drives `open()`. Returns the hub, a
    /// receiver and whether the hub is connected already.
    fn join(
        &self,
        key: String,
        lag_limit: usize,
        open: impl FnOnce() -> SseStream,
    ) -> Result<(Arc<Hub>, broadcast::Receiver<Msg>, bool)> {
        let mut list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        list.retain(|w| w.strong_count() > 0);
        for hub in list.iter().filter_map(Weak::upgrade) {
            if hub.key != key {
                continue;
            }
            let Some(tx) = hub.tx.upgrade() else { continue };
            let (rx, connected) = {
                let state = hub.state.lock().unwrap_or_else(PoisonError::into_inner);
                (tx.subscribe(), state.connected)
            };
            drop(tx);
            return Ok((hub, rx, connected));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::stream(
                StreamErrorKind::Closed,
                "an event stream must be polled inside a tokio runtime",
            )
        })?;
        let (tx, rx) = broadcast::channel(lag_limit.max(1));
        let state = Arc::new(Mutex::new(HubState::default()));
        let weak = tx.downgrade();
        let task = runtime
            .spawn(drive(open(), tx, Arc::clone(&state), lag_limit))
            .abort_handle();
        let hub = Arc::new(Hub {
            key,
            tx: weak,
            state,
            task,
        });
        list.push(Arc::downgrade(&hub));
        Ok((hub, rx, false))
    }

    /// Closes every shared connection: their readers get a [`StreamErrorKind::Closed`] error.
    pub(crate) fn close_all(&self) {
        let list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        for hub in list.iter().filter_map(Weak::upgrade) {
            hub.task.abort();
        }
    }

    /// How many shared connections are alive.
    pub(crate) fn live(&self) -> usize {
        let list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        list.iter()
            .filter_map(Weak::upgrade)
            .filter(|hub| !hub.task.is_finished())
            .count()
    }
}

/// The hub's task: reads the stream and hands each item to the readers.
async fn drive(
    mut stream: SseStream,
    tx: broadcast::Sender<Msg>,
    state: Arc<Mutex<HubState>>,
    lag_limit: usize,
) {
    while let Some(item) = stream.next().await {
        // A burst of frames already in the parser comes out without a pause: when readers
        // fall half the limit behind, let them run before handing out more, so that only a
        // reader that is really not reading lags.
        if tx.len() >= lag_limit.div_ceil(2) {
            tokio::task::yield_now().await;
        }
        let msg = match item {
            Ok(item) => Msg::Item(Arc::new(item)),
            Err(e) => Msg::Failed(Arc::new(e)),
        };
        // Under the lock that joining readers take, so a reader either sees the new state or
        // receives this item, never neither.
        let mut st = state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Msg::Item(item) = &msg {
            if matches!(**item, SseItem::Connected | SseItem::Reconnected { .. }) {
                st.connected = true;
            }
        }
        // No reader left: the hub is being dropped, which aborts this task.
        let _ = tx.send(msg);
    }
    let _st = state.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = tx.send(Msg::End);
}

/// A reader of a shared event stream ([`Transport::sse_shared`]): a
/// `Stream<Item = Result<SseItem>>` with the items and errors of an [`SseStream`], plus
/// [`SseItem::Lagged`] when this reader fell behind. Dropping the last reader closes the
/// connection.
pub struct SseSubscription {
    inner: BoxStream<'static, Result<SseItem>>,
}

impl std::fmt::Debug for SseSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseSubscription").finish_non_exhaustive()
    }
}

impl Stream for SseSubscription {
    type Item = Result<SseItem>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

enum Reader {
    /// Not polled yet: joins (or starts) the hub at the first poll.
    Pending(Box<(Transport, Request, SseAuth, SseConfig)>),
    Live(Box<Live>),
    Done,
}

struct Live {
    _hub: Arc<Hub>,
    rx: broadcast::Receiver<Msg>,
    /// Whether this reader was told `Connected`.
    connected: bool,
    /// How many reconnections this reader was told of.
    reconnects: u32,
}

impl Live {
    /// The connection notice for this reader.
    fn connection(&mut self) -> SseItem {
        if std::mem::replace(&mut self.connected, true) {
            self.reconnects += 1;
            SseItem::Reconnected {
                attempt: self.reconnects,
            }
        } else {
            SseItem::Connected
        }
    }
}

async fn read(reader: Reader) -> Option<(Result<SseItem>, Reader)> {
    let mut live = match reader {
        Reader::Done => return None,
        Reader::Live(live) => live,
        Reader::Pending(p) => {
            let (t, req, auth, config) = *p;
            let key = format!("{} {:?} {auth:?} {config:?}", req.path(), req.query_pairs());
            let hubs = t.hubs();
            match hubs.join(key, config.lag_limit, || t.sse(req, auth, config.clone())) {
                Err(e) => return Some((Err(e), Reader::Done)),
                Ok((hub, rx, connected)) => {
                    let mut live = Box::new(Live {
                        _hub: hub,
                        rx,
                        connected: false,
                        reconnects: 0,
                    });
                    if connected {
                        let item = live.connection();
                        return Some((Ok(item), Reader::Live(live)));
                    }
                    live
                }
            }
        }
    };
    let item = match live.rx.recv().await {
        Ok(Msg::Item(item)) => match &*item {
            SseItem::Connected | SseItem::Reconnected { .. } => live.connection(),
            other => other.clone(),
        },
        Ok(Msg::Failed(e)) => return Some((Err(e.fan_out()), Reader::Live(live))),
        Ok(Msg::End) => return None,
        Err(broadcast::error::RecvError::Lagged(missed)) => SseItem::Lagged { missed },
        Err(broadcast::error::RecvError::Closed) => {
            let e = Error::stream(
                StreamErrorKind::Closed,
                "the shared event stream was closed (client shut down, or its runtime stopped)",
            );
            return Some((Err(e), Reader::Done));
        }
    };
    Some((Ok(item), Reader::Live(live)))
}

impl Transport {
    /// A reader of the one event stream this transport shares for `req`, `auth` and `config`
    /// (see the [module docs](crate::events)): the first reader's first poll connects; every
    /// later reader joins that connection; the last one dropped closes it. Items, errors and
    /// reconnection rules are those of [`Transport::sse`], plus [`SseItem::Lagged`] for a
    /// reader that fell more than [`SseConfig::lag_limit`] items behind.
    ///
    /// The connection is driven by a task on the tokio runtime of the first poll; polling
    /// outside a tokio runtime yields an [`Error::Stream`] of kind
    /// [`StreamErrorKind::Closed`].
    pub fn sse_shared(&self, req: Request, auth: SseAuth, config: SseConfig) -> SseSubscription {
        let reader = Reader::Pending(Box::new((self.clone(), req, auth, config)));
        SseSubscription {
            inner: stream::unfold(reader, read).boxed(),
        }
    }

    /// Closes every shared event stream of this transport now ([`Transport::sse_shared`]):
    /// their readers get an [`Error::Stream`] of kind [`StreamErrorKind::Closed`] and end. A
    /// reader created later opens a new connection.
    pub fn close_streams(&self) {
        self.hubs().close_all();
    }

    /// How many shared event-stream connections of this transport are open (or connecting).
    pub fn shared_streams(&self) -> usize {
        self.hubs().live()
    }
}
