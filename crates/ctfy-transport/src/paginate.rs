//! A lazy stream over every item of a paged listing.

use ctfy_models::Page;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::request::Request;
use crate::transport::Transport;

/// A stream of every item of a listing, fetching one page at a time as it is polled.
pub type PageStream<T> = BoxStream<'static, Result<T>>;

/// The page size streams use unless told otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 100;

impl Transport {
    /// Sends `req` (a listing) and decodes one [`Page`].
    ///
    /// # Errors
    /// As [`Transport::json`].
    pub async fn page<T: DeserializeOwned>(&self, req: &Request) -> Result<Page<T>> {
        self.json(req).await
    }

    /// Streams every item of the listing `req`, `page_size` items per request, starting at the
    /// request's `offset` (0 if unset). Nothing is fetched until the stream is polled; it ends
    /// after the last page, or with the first error.
    pub fn paginate<T>(&self, req: Request, page_size: u64) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let start = req
            .query_pairs()
            .iter()
            .find(|(k, _)| k == "offset")
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .unwrap_or(0);
        let page_size = page_size.max(1);
        let state = Some((self.clone(), req, start));
        stream::try_unfold(state, move |state| async move {
            let Some((transport, mut req, offset)) = state else {
                return Ok::<_, crate::Error>(None);
            };
            req.set_query("offset", offset);
            req.set_query("limit", page_size);
            let mut page: Page<T> = transport.page(&req).await?;
            // Continue from the offset we asked for, not the one echoed back: a server that
            // omits `offset` (it defaults to 0) or ignores it must not make the stream loop.
            page.offset = offset;
            let next = page.next_offset();
            let more = !page.items.is_empty() && page.has_more();
            let next_state = more.then_some((transport, req, next));
            Ok(Some((page.items, next_state)))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }

    /// [`Transport::paginate`] for a request that may have failed to build: the error becomes
    /// the stream's only item. Plumbing of the generated clients.
    #[doc(hidden)]
    pub fn try_paginate<T>(&self, req: Result<Request>, page_size: u64) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        match req {
            Ok(req) => self.paginate(req, page_size),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }
}
