//! One event-stream connection shared by many readers ([`Transport::sse_shared`]).
//!
//! A *hub* is a task that drives one [`SseStream`] and hands every item to each of its
//! readers' queues. A queue holds at most [`SseConfig::reader_buffer`] bytes of items: when a
//! reader falls further behind, its oldest items are dropped and it is told how many
//! ([`SseItem::Lagged`]) before the next one, so a slow reader neither holds back the others
//! nor grows memory (the items themselves are shared, not copied per reader). A reader that
//! is merely not reading *yet* loses nothing while its queue has room, as it would lose
//! nothing on a connection of its own while the socket's buffers had room.
//!
//! The transport keeps a weak list of its hubs, keyed by request, credentials and
//! configuration; each reader holds its hub alive, and the hub's task is aborted (closing the
//! connection) when the last reader is dropped. Each reader sees the connection as if it were
//! its own: `Connected` first (at once when the hub is already connected), then
//! `Reconnected { attempt }` counted for that reader.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream, Stream, StreamExt};
use tokio::sync::Notify;

use super::{SseAuth, SseConfig, SseItem, SseStream};
use crate::error::{Error, Result, StreamErrorKind};
use crate::request::Request;
use crate::transport::Transport;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a hub hands its readers.
#[derive(Clone)]
enum Msg {
    Item(Arc<SseItem>),
    /// The stream's final error (the end follows).
    Failed(Arc<Error>),
}

impl Msg {
    /// What the item counts against a reader's buffer: its texts plus a fixed overhead.
    fn cost(&self) -> usize {
        const OVERHEAD: usize = 64;
        match self {
            Msg::Item(item) => match &**item {
                SseItem::Frame { event, data, id } => {
                    OVERHEAD + event.len() + data.len() + id.as_ref().map_or(0, String::len)
                }
                _ => OVERHEAD,
            },
            Msg::Failed(_) => OVERHEAD,
        }
    }
}

/// One reader's queue.
#[derive(Default)]
struct Queue {
    items: VecDeque<Msg>,
    /// What `items` costs (see [`Msg::cost`]).
    bytes: usize,
    /// Items dropped for this reader since it last read.
    missed: u64,
    /// No more items will come: the stream ended by itself, or its task was aborted.
    closed: Option<End>,
}

/// How a hub's task ended.
#[derive(Clone, Copy)]
enum End {
    /// The stream ended by itself (after its final error, if any).
    Finished,
    /// The task was aborted ([`Transport::close_streams`]) or its runtime stopped.
    Aborted,
    /// The task panicked.
    Panicked,
}

/// What a reader gets next.
enum Next {
    Msg(Msg),
    Missed(u64),
    End(End),
}

struct ReaderSlot {
    queue: Mutex<Queue>,
    ready: Notify,
}

impl ReaderSlot {
    /// Queues `msg`, dropping the oldest items while the queue is over `budget` (the newest
    /// item is always kept). Returns whether the queue is more than half full.
    fn push(&self, msg: Msg, budget: usize) -> bool {
        let mut q = lock(&self.queue);
        // The reader waits only on an empty queue (its permit is kept until it waits): wake
        // it only then, not for every item of a burst.
        let wake = q.items.is_empty();
        q.bytes += msg.cost();
        q.items.push_back(msg);
        while q.bytes > budget && q.items.len() > 1 {
            if let Some(old) = q.items.pop_front() {
                q.bytes -= old.cost();
                q.missed += 1;
            }
        }
        let half_full = q.bytes > budget / 2;
        drop(q);
        if wake {
            self.ready.notify_one();
        }
        half_full
    }

    fn close(&self, end: End) {
        lock(&self.queue).closed = Some(end);
        self.ready.notify_one();
    }
}

/// What a hub and its task share.
#[derive(Default)]
struct HubState {
    /// Whether the stream has connected (readers joining now get `Connected` at once).
    connected: bool,
    /// The task is gone: readers joining now must start another hub.
    ended: bool,
    readers: Vec<Weak<ReaderSlot>>,
}

/// One shared connection.
struct Hub {
    key: String,
    state: Arc<Mutex<HubState>>,
    task: tokio::task::AbortHandle,
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
    /// Joins the hub of `key`, or starts one that drives `open()`. Returns the hub, this
    /// reader's slot and whether the hub is connected already.
    fn join(
        &self,
        key: String,
        budget: usize,
        open: impl FnOnce() -> SseStream,
    ) -> Result<(Arc<Hub>, Arc<ReaderSlot>, bool)> {
        let slot = Arc::new(ReaderSlot {
            queue: Mutex::default(),
            ready: Notify::new(),
        });
        let mut list = lock(&self.list);
        list.retain(|w| w.strong_count() > 0);
        for hub in list.iter().filter_map(Weak::upgrade) {
            if hub.key != key {
                continue;
            }
            let mut state = lock(&hub.state);
            if state.ended {
                continue;
            }
            state.readers.push(Arc::downgrade(&slot));
            let connected = state.connected;
            drop(state);
            return Ok((hub, slot, connected));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::stream(
                StreamErrorKind::Closed,
                "an event stream must be polled inside a tokio runtime",
            )
        })?;
        let state = Arc::new(Mutex::new(HubState {
            readers: vec![Arc::downgrade(&slot)],
            ..HubState::default()
        }));
        let closer = CloseOnDrop {
            state: Arc::clone(&state),
            finished: false,
        };
        let task = runtime.spawn(drive(open(), closer, budget)).abort_handle();
        let hub = Arc::new(Hub { key, state, task });
        list.push(Arc::downgrade(&hub));
        Ok((hub, slot, false))
    }

    /// Closes every shared connection: their readers get a [`StreamErrorKind::Closed`] error.
    pub(crate) fn close_all(&self) {
        for hub in lock(&self.list).iter().filter_map(Weak::upgrade) {
            hub.task.abort();
        }
    }

    /// How many shared connections are alive.
    pub(crate) fn live(&self) -> usize {
        lock(&self.list)
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|hub| !lock(&hub.state).ended)
            .count()
    }
}

/// Owned by a hub's task: when the task ends or is aborted, every reader is told, and later
/// readers start another hub.
struct CloseOnDrop {
    state: Arc<Mutex<HubState>>,
    /// Set when the stream ended by itself (not set when the task is aborted).
    finished: bool,
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let end = if self.finished {
            End::Finished
        } else if std::thread::panicking() {
            End::Panicked
        } else {
            End::Aborted
        };
        let mut state = lock(&self.state);
        state.ended = true;
        for slot in state.readers.drain(..).filter_map(|w| w.upgrade()) {
            slot.close(end);
        }
    }
}

/// The hub's task: reads the stream and hands each item to every reader.
async fn drive(mut stream: SseStream, mut hub: CloseOnDrop, budget: usize) {
    while let Some(item) = stream.next().await {
        let msg = match item {
            Ok(item) => Msg::Item(Arc::new(item)),
            Err(e) => Msg::Failed(Arc::new(e)),
        };
        let mut backlog = false;
        {
            // Under the lock that joining readers take, so a reader either sees the new
            // state or receives this item, never neither.
            let mut state = lock(&hub.state);
            if let Msg::Item(item) = &msg {
                if matches!(**item, SseItem::Connected | SseItem::Reconnected { .. }) {
                    state.connected = true;
                }
            }
            state.readers.retain(|w| match w.upgrade() {
                Some(slot) => {
                    backlog |= slot.push(msg.clone(), budget);
                    true
                }
                None => false,
            });
        }
        // A burst of frames already parsed comes out without a pause: when a reader's queue
        // is half full, let the readers run before handing out more, so that only a reader
        // that is really not reading falls behind.
        if backlog {
            tokio::task::yield_now().await;
        }
    }
    // Dropped here: the readers learn that the stream ended.
    hub.finished = true;
}

/// A reader of a shared event stream ([`Transport::sse_shared`]): a
/// `Stream<Item = Result<SseItem>>` with the items and errors of an [`SseStream`], plus
/// [`SseItem::Lagged`] when this reader fell more than [`SseConfig::reader_buffer`] bytes
/// behind. Dropping the last reader closes the connection.
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
    slot: Arc<ReaderSlot>,
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

    /// What this reader gets next: how many items it missed first, then its queue's items,
    /// then the end.
    async fn next(&self) -> Next {
        loop {
            let notified = self.slot.ready.notified();
            {
                let mut q = lock(&self.slot.queue);
                if q.missed > 0 {
                    return Next::Missed(std::mem::take(&mut q.missed));
                }
                if let Some(msg) = q.items.pop_front() {
                    q.bytes -= msg.cost();
                    return Next::Msg(msg);
                }
                if let Some(end) = q.closed {
                    return Next::End(end);
                }
            }
            notified.await;
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
            let budget = config.reader_buffer;
            match t
                .hubs()
                .join(key, budget, || t.sse(req, auth, config.clone()))
            {
                Err(e) => return Some((Err(e), Reader::Done)),
                Ok((hub, slot, connected)) => {
                    let mut live = Box::new(Live {
                        _hub: hub,
                        slot,
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
    let item = match live.next().await {
        Next::Msg(Msg::Item(item)) => match &*item {
            SseItem::Connected | SseItem::Reconnected { .. } => live.connection(),
            // The last reader to take a frame (the only one, usually) gets it without a copy.
            _ => Arc::try_unwrap(item).unwrap_or_else(|shared| (*shared).clone()),
        },
        Next::Msg(Msg::Failed(e)) => return Some((Err(e.fan_out()), Reader::Live(live))),
        Next::Missed(missed) => SseItem::Lagged { missed },
        Next::End(End::Finished) => return None,
        Next::End(End::Aborted) => {
            let e = Error::stream(
                StreamErrorKind::Closed,
                "the shared event stream was closed (client shut down, or its runtime stopped)",
            );
            return Some((Err(e), Reader::Done));
        }
        Next::End(End::Panicked) => {
            return Some((
                Err(Error::task_failed("shared event stream", true)),
                Reader::Done,
            ));
        }
    };
    Some((Ok(item), Reader::Live(live)))
}

impl Transport {
    /// A reader of the one event stream this transport shares for `req`, `auth` and `config`
    /// (see the [module docs](crate::events)): the first reader's first poll connects; every
    /// later reader joins that connection; the last one dropped closes it. Items, errors and
    /// reconnection rules are those of [`Transport::sse`], plus [`SseItem::Lagged`] for a
    /// reader that fell more than [`SseConfig::reader_buffer`] bytes behind.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The end each reader is told of when a hub's task ends in `how`.
    fn end_seen(how: impl FnOnce(CloseOnDrop) + std::panic::UnwindSafe) -> Option<End> {
        let slot = Arc::new(ReaderSlot {
            queue: Mutex::default(),
            ready: Notify::new(),
        });
        let state = Arc::new(Mutex::new(HubState {
            readers: vec![Arc::downgrade(&slot)],
            ..HubState::default()
        }));
        let closer = CloseOnDrop {
            state: Arc::clone(&state),
            finished: false,
        };
        let _ = std::panic::catch_unwind(move || how(closer));
        assert!(lock(&state).ended);
        lock(&slot.queue).closed
    }

    #[test]
    fn a_panicked_hub_task_is_told_apart_from_an_aborted_one() {
        let panicked = end_seen(|closer| {
            let _closer = closer;
            panic!("a bug in the hub's task");
        });
        assert!(matches!(panicked, Some(End::Panicked)));
        assert!(matches!(end_seen(drop), Some(End::Aborted)));
        let finished = end_seen(|mut closer| closer.finished = true);
        assert!(matches!(finished, Some(End::Finished)));
    }
}
