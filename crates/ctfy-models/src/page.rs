//! The platform's pagination envelope.

use serde::{Deserialize, Serialize};

/// One page of a listing: `{"items": [...], "total": n, "limit": n, "offset": n}`.
///
/// `total` counts every item the query matches, across all pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize"))]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items match in all; `None` only when the server did not count.
    #[serde(default)]
    pub total: Option<u64>,
    /// The page size the server applied.
    #[serde(default)]
    pub limit: Option<u64>,
    /// The offset of the first item of this page.
    #[serde(default)]
    pub offset: u64,
}

impl<T> Page<T> {
    /// A page of `items` starting at offset 0 that is the whole listing (`total` is the
    /// number of items, `limit` unset): change the rest with [`With::with`](crate::With).
    pub fn new(items: Vec<T>) -> Self {
        Self {
            total: Some(items.len() as u64),
            items,
            limit: None,
            offset: 0,
        }
    }

    /// Whether more items follow this page.
    pub fn has_more(&self) -> bool {
        match self.total {
            // The offset is the server's: no overflow, whatever it says.
            Some(total) => self.next_offset() < total,
            None => {
                !self.items.is_empty() && self.limit.is_some_and(|l| self.items.len() as u64 >= l)
            }
        }
    }

    /// The offset of the next page.
    pub fn next_offset(&self) -> u64 {
        self.offset.saturating_add(self.items.len() as u64)
    }

    /// Maps every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<T> Default for Page<T> {
    /// The empty listing.
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl<T> crate::With for Page<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offset comes from the server: a huge one must not overflow (it used to panic in a
    /// debug build and wrap in a release one).
    #[test]
    fn a_huge_server_offset_does_not_overflow() {
        let page = Page {
            items: vec![1, 2],
            total: Some(u64::MAX),
            limit: Some(2),
            offset: u64::MAX - 1,
        };
        assert_eq!(page.next_offset(), u64::MAX);
        assert!(!page.has_more());
    }
}
