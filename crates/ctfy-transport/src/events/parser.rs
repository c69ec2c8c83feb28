//! A linear, bounded parser of the `text/event-stream` format (the WHATWG HTML standard,
//! "server-sent events", section "Parsing an event stream").
//!
//! Chunks are handed over as they arrive (`Bytes`, never copied as a whole) and every byte is
//! scanned once (`memchr`): a line that lies inside one chunk is read in place; only the start
//! of a line that a chunk boundary cuts is copied, into a small carry-over buffer, until its
//! end arrives. A frame (all the lines up to the blank line that dispatches it, including an
//! unfinished line) larger than the limit is dropped as it arrives, so memory stays bounded
//! whatever the server sends; the caller is told once per dropped frame.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};

/// What the parser hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A dispatched frame.
    Frame {
        /// `event:` (`message` when the frame had none).
        event: String,
        /// The `data:` lines joined with `\n`.
        data: String,
        /// The last event id, if one is set.
        id: Option<String>,
    },
    /// A frame was larger than the limit and was dropped.
    TooLarge,
}

/// The parser state. Feed it with [`Parser::push`], drain it with [`Parser::next`].
#[derive(Debug)]
pub struct Parser {
    /// The part of the last chunk not scanned yet.
    pending: Bytes,
    /// The start of the current, unfinished line, carried over from earlier chunks.
    partial: Vec<u8>,
    /// The previous line ended with `\r` at the very end of the data seen so far: a `\n`
    /// arriving next belongs to that line end.
    after_cr: bool,
    /// Whether the stream's first bytes were checked for a byte order mark.
    started: bool,
    event: String,
    data: String,
    /// Whether the current frame has a `data:` line.
    has_data: bool,
    /// The standard's "last event ID buffer": set by `id:` lines, kept across frames.
    id_buffer: Option<String>,
    /// The standard's "last event ID string": the buffer as of the last dispatch (a blank
    /// line), even one that dispatched no frame because it had no `data:`.
    last_id: Option<String>,
    retry: Option<Duration>,
    /// Bytes of the current frame so far (its complete lines).
    frame_len: usize,
    max_frame: usize,
    /// The current frame is over the limit: its lines are dropped until the blank line.
    discarding: bool,
    /// Bytes looked at (scanned or carried over) so far: what the linearity test counts.
    #[cfg(test)]
    scanned: usize,
    /// The start of the current line was dropped: its end, when it comes, is not a line.
    partial_dropped: bool,
    /// The current line is a comment (`:` first): its bytes are skipped as they arrive, they
    /// neither count against the frame's limit nor are kept.
    comment: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Parser {
    /// A parser that drops frames over `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Self {
            pending: Bytes::new(),
            partial: Vec::new(),
            after_cr: false,
            started: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            id_buffer: None,
            last_id: None,
            retry: None,
            frame_len: 0,
            max_frame,
            discarding: false,
            partial_dropped: false,
            #[cfg(test)]
            scanned: 0,
            comment: false,
        }
    }

    /// Appends a chunk of the stream (kept as it is, not copied, when everything pushed
    /// before was consumed by [`Parser::next`], which is how the stream uses it).
    pub fn push(&mut self, chunk: Bytes) {
        if self.pending.is_empty() {
            self.pending = chunk;
        } else {
            let mut both = BytesMut::with_capacity(self.pending.len() + chunk.len());
            both.extend_from_slice(&self.pending);
            both.extend_from_slice(&chunk);
            self.pending = both.freeze();
        }
    }

    /// The reconnection time the server last set with `retry:`, taken (once).
    pub(crate) fn take_retry(&mut self) -> Option<Duration> {
        self.retry.take()
    }

    /// Starts from the last event id of a previous connection (the standard keeps it across
    /// reconnections).
    pub(crate) fn set_last_id(&mut self, id: Option<String>) {
        self.id_buffer.clone_from(&id);
        self.last_id = id;
    }

    /// The last event id as of the last dispatch (what a reconnection sends back as
    /// `Last-Event-ID`), including a dispatch that carried no `data:` and so no frame.
    pub(crate) fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The next frame or notice that the bytes pushed so far complete, if any.
    // Public only for `__private` (the agent's model clients); not an iterator on purpose.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Parsed> {
        if !self.started {
            // The first bytes of the stream go through the carry-over buffer (once) until it
            // is known whether they start with a byte order mark.
            self.partial.extend_from_slice(&self.pending);
            self.pending = Bytes::new();
            if self.partial.len() < BOM.len() && BOM.starts_with(&self.partial) {
                return None;
            }
            self.started = true;
            let mut first = Bytes::from(std::mem::take(&mut self.partial));
            if first.starts_with(BOM) {
                first.advance(BOM.len());
            }
            self.pending = first;
        }
        loop {
            if self.after_cr && !self.pending.is_empty() {
                self.after_cr = false;
                if self.pending[0] == b'\n' {
                    self.pending.advance(1);
                }
            }
            #[cfg(test)]
            {
                self.scanned += self.pending.len();
            }
            let Some(end) = memchr::memchr2(b'\n', b'\r', &self.pending) else {
                // The rest of the chunk continues the current line.
                let rest = std::mem::take(&mut self.pending);
                let n = rest.len();
                if n == 0 {
                    return None;
                }
                if self.comment || (self.partial.is_empty() && rest[0] == b':') {
                    // A comment: skipped as it arrives (no budget, no memory).
                    self.comment = true;
                    return None;
                }
                if self.discarding || self.partial_dropped {
                    self.partial_dropped = true;
                    self.partial.clear();
                    return None;
                }
                if self.frame_len + self.partial.len() + n > self.max_frame {
                    // Drop what we hold of an unfinished line that cannot be kept.
                    self.partial_dropped = true;
                    self.partial.clear();
                    return Some(self.start_discarding());
                }
                self.partial.extend_from_slice(&rest);
                return None;
            };
            let mut chunk = std::mem::take(&mut self.pending);
            let mut next = end + 1;
            if chunk[end] == b'\r' {
                if next == chunk.len() {
                    self.after_cr = true;
                } else if chunk[next] == b'\n' {
                    next += 1;
                }
            }
            let out = if std::mem::take(&mut self.comment) {
                None
            } else if std::mem::take(&mut self.partial_dropped) {
                self.partial.clear();
                None
            } else if self.partial.is_empty() {
                self.line(&chunk[..end])
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&chunk[..end]);
                let out = self.line(&line);
                line.clear();
                self.partial = line;
                out
            };
            chunk.advance(next);
            self.pending = chunk;
            if let Some(out) = out {
                return Some(out);
            }
        }
    }

    fn start_discarding(&mut self) -> Parsed {
        self.discarding = true;
        self.clear_frame();
        Parsed::TooLarge
    }

    fn clear_frame(&mut self) {
        self.event.clear();
        self.data.clear();
        self.has_data = false;
        self.frame_len = 0;
    }

    fn line(&mut self, line: &[u8]) -> Option<Parsed> {
        if line.is_empty() {
            if self.discarding {
                self.discarding = false;
                self.clear_frame();
                return None;
            }
            return self.dispatch();
        }
        if self.discarding || line[0] == b':' {
            // Comments are not frame data: they never count against the frame's limit.
            return None;
        }
        self.frame_len += line.len() + 1;
        if self.frame_len > self.max_frame {
            return Some(self.start_discarding());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => {
                self.event.clear();
                push_text(&mut self.event, value);
            }
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.has_data = true;
                push_text(&mut self.data, value);
            }
            b"id" if !value.contains(&0) => {
                self.id_buffer = (!value.is_empty()).then(|| {
                    let mut id = String::new();
                    push_text(&mut id, value);
                    id
                });
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(ms));
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Parsed> {
        // The standard's step 1: the last event id is set even when no frame follows.
        self.last_id.clone_from(&self.id_buffer);
        if !self.has_data {
            self.clear_frame();
            return None;
        }
        let event = if self.event.is_empty() {
            "message".to_owned()
        } else {
            std::mem::take(&mut self.event)
        };
        let data = std::mem::take(&mut self.data);
        self.clear_frame();
        Some(Parsed::Frame {
            event,
            data,
            id: self.last_id.clone(),
        })
    }
}

/// Appends `bytes` as text, invalid UTF-8 replaced (valid text, the usual case, is checked
/// once and copied).
fn push_text(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]], max: usize) -> Vec<Parsed> {
        let mut p = Parser::new(max);
        let mut out = Vec::new();
        for c in chunks {
            p.push(Bytes::copy_from_slice(c));
            while let Some(x) = p.next() {
                out.push(x);
            }
        }
        out
    }

    fn frame(event: &str, data: &str, id: Option<&str>) -> Parsed {
        Parsed::Frame {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
        }
    }

    #[test]
    fn the_standard_s_examples() {
        let got = parse_chunks(
            &[b"\xEF\xBB\xBFdata: a\r\ndata:b\r\rid: 7\nevent: x\ndata\n\n: c\n\nevent: y\n\ndata: z"],
            1024,
        );
        assert_eq!(
            got,
            vec![frame("message", "a\nb", None), frame("x", "", Some("7"))]
        );
    }

    #[test]
    fn a_byte_order_mark_cut_by_chunk_boundaries_is_skipped() {
        let input: &[u8] = b"\xEF\xBB\xBFdata: a\n\n";
        for i in 0..=3 {
            for j in i..=3 {
                let got = parse_chunks(&[&input[..i], &input[i..j], &input[j..]], 1024);
                assert_eq!(got, vec![frame("message", "a", None)], "split at {i},{j}");
            }
        }
        // Not a BOM: the bytes are kept.
        assert_eq!(
            parse_chunks(&[b"\xEF", b"data: b\n\n"], 1024),
            Vec::<Parsed>::new()
        );
        assert_eq!(
            parse_chunks(&[b"da", b"ta: c\n\n"], 1024),
            vec![frame("message", "c", None)]
        );
    }

    /// Chunks pushed before the previous ones were drained are kept in order.
    #[test]
    fn pushing_twice_before_draining_keeps_the_order() {
        let mut p = Parser::new(1024);
        p.push(Bytes::from_static(b"data: x\n"));
        p.push(Bytes::from_static(b"data: y\n\n"));
        assert_eq!(p.next(), Some(frame("message", "x\ny", None)));
        p.push(Bytes::from_static(b"data: z"));
        assert_eq!(p.next(), None);
        p.push(Bytes::from_static(b"\n\n"));
        assert_eq!(p.next(), Some(frame("message", "z", None)));
    }

    #[test]
    fn every_split_of_the_input_gives_the_same_frames() {
        let input: &[u8] = b"event: e\r\ndata: 1\r\ndata: 2\r\n\r\nid: q\rdata: \xC3\xA9\r\r:k\n\n";
        let whole = parse_chunks(&[input], 1024);
        assert_eq!(
            whole,
            vec![frame("e", "1\n2", None), frame("message", "é", Some("q"))]
        );
        for i in 0..input.len() {
            for j in i..input.len() {
                let got = parse_chunks(&[&input[..i], &input[i..j], &input[j..]], 1024);
                assert_eq!(got, whole, "split at {i},{j}");
            }
        }
    }

    #[test]
    fn oversized_frames_are_dropped_and_parsing_goes_on() {
        let big = vec![b'x'; 5000];
        let mut stream = b"data: ".to_vec();
        stream.extend_from_slice(&big);
        stream.extend_from_slice(b"\n\ndata: after\n\n");
        for chunk in [1usize, 7, 100, 10_000] {
            let chunks: Vec<&[u8]> = stream.chunks(chunk).collect();
            let got = parse_chunks(&chunks, 1000);
            assert_eq!(
                got,
                vec![Parsed::TooLarge, frame("message", "after", None)],
                "chunk {chunk}"
            );
        }
        // The end of a dropped line is not a blank line.
        let mut cut = b"data: ".to_vec();
        cut.extend_from_slice(&big);
        let got = parse_chunks(&[&cut, b"\ndata: lost\n\ndata: kept\n\n"], 1000);
        assert_eq!(got, vec![Parsed::TooLarge, frame("message", "kept", None)]);
        // Many small lines add up too.
        let mut many = Vec::new();
        for _ in 0..200 {
            many.extend_from_slice(b"data: 0123456789\n");
        }
        many.extend_from_slice(b"\ndata: ok\n\n");
        assert_eq!(
            parse_chunks(&[&many], 1000),
            vec![Parsed::TooLarge, frame("message", "ok", None)]
        );
    }

    #[test]
    fn retry_and_id_fields() {
        let mut p = Parser::new(100);
        p.push(Bytes::from_static(
            b"retry: 250\nretry: x\nid: a\0b\ndata: 1\n\nid\ndata: 2\n\n",
        ));
        assert_eq!(p.next(), Some(frame("message", "1", None)));
        assert_eq!(p.take_retry(), Some(Duration::from_millis(250)));
        assert_eq!(p.take_retry(), None);
        assert_eq!(p.next(), Some(frame("message", "2", None)));
        p.push(Bytes::from_static(b"retry: 99999999999999999999999\n"));
        assert_eq!(p.next(), None);
        assert_eq!(p.take_retry(), Some(Duration::from_millis(u64::MAX)));
    }

    /// Comment lines are not frame data: megabytes of them, with no blank line, cost neither
    /// the frame's budget nor memory, and the frame around them is kept.
    #[test]
    fn comments_cost_no_budget_and_no_memory() {
        let mut input = b"event: kept\ndata: 1\n".to_vec();
        for _ in 0..(2 * 1024 * 1024 / 16) {
            input.extend_from_slice(b": comment 12345\n");
        }
        // One long comment line too, cut across chunks.
        input.push(b':');
        input.extend(std::iter::repeat_n(b'c', 3 * 1024 * 1024));
        input.extend_from_slice(b"\ndata: 2\n\ndata: after\n\n");
        for chunk in [1000usize, 4096, 1 << 20] {
            let mut p = Parser::new(1024);
            let mut out = Vec::new();
            let mut most = 0;
            for c in input.chunks(chunk) {
                p.push(Bytes::copy_from_slice(c));
                while let Some(x) = p.next() {
                    out.push(x);
                }
                most = most.max(p.partial.capacity());
            }
            assert_eq!(
                out,
                vec![frame("kept", "1\n2", None), frame("message", "after", None)],
                "chunk {chunk}"
            );
            assert!(most <= 2048, "chunk {chunk}: {most} bytes held");
        }
    }

    /// The standard's "dispatch the event", step 1: the last event id is set by a blank line
    /// even when the block had no `data:` (and so no frame); an `id:` line that no blank line
    /// followed sets nothing.
    #[test]
    fn an_id_only_block_sets_the_last_event_id() {
        let mut p = Parser::new(100);
        p.push(Bytes::from_static(b"id: 1\ndata: a\n\nid: 2\n\n"));
        assert_eq!(p.next(), Some(frame("message", "a", Some("1"))));
        assert_eq!(p.next(), None);
        assert_eq!(p.last_id(), Some("2"));
        p.push(Bytes::from_static(b"id: 3\n"));
        assert_eq!(p.next(), None);
        assert_eq!(p.last_id(), Some("2"), "not dispatched yet");
        p.push(Bytes::from_static(b"data: b\n\n"));
        assert_eq!(p.next(), Some(frame("message", "b", Some("3"))));
        // `id:` with no value clears it.
        p.push(Bytes::from_static(b"id\n\n"));
        assert_eq!(p.next(), None);
        assert_eq!(p.last_id(), None);
    }

    proptest::proptest! {
        // Short in the test command; `PROPTEST_CASES=100000 cargo test -p ctfy-transport props`
        // for a long run.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes, cut anywhere: no panic, the same frames as in one piece, every frame
        /// within the limit.
        #[test]
        fn props_any_input_any_split(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048), cut in 0usize..2048, max in 1usize..512) {
            let cut = cut.min(bytes.len());
            let whole = parse_chunks(&[&bytes], max);
            let split = parse_chunks(&[&bytes[..cut], &bytes[cut..]], max);
            proptest::prop_assert_eq!(&whole, &split);
            for p in whole {
                if let Parsed::Frame { event, data, .. } = p {
                    proptest::prop_assert!(event.len() + data.len() <= 3 * max + 8);
                }
            }
        }

        /// Event-stream-like input (fields, separators, line ends) round-trips frame by frame.
        #[test]
        fn props_structured_input(lines in proptest::collection::vec("(data|event|id|retry|:)?(: ?)?[a-z0-9 ]{0,20}(\r\n|\n|\r)", 0..64)) {
            let text: String = lines.concat();
            let whole = parse_chunks(&[text.as_bytes()], 1 << 20);
            let bytes: Vec<&[u8]> = text.as_bytes().chunks(3).collect();
            proptest::prop_assert_eq!(whole, parse_chunks(&bytes, 1 << 20));
        }
    }

    /// Linear time: a frame 8 times larger takes about 8 times longer, not 64 (generous bound,
    /// measured on the same machine in the same run).
    #[test]
    fn parsing_is_linear() {
        // Counted, not timed: the bytes the line search looks at stay proportional to the
        // input, however the frame is cut into chunks (a re-scan of the carried-over start
        // of a line would make them grow with its square).
        for (size, chunk) in [
            (512 * 1024, 1024),
            (4 * 1024 * 1024, 1024),
            (4 * 1024 * 1024, 7),
        ] {
            let mut input = b"data: ".to_vec();
            input.extend(std::iter::repeat_n(b'x', size));
            input.extend_from_slice(b"\n\n");
            let mut p = Parser::new(usize::MAX);
            let mut frames = 0;
            for c in input.chunks(chunk) {
                p.push(Bytes::copy_from_slice(c));
                while p.next().is_some() {
                    frames += 1;
                }
            }
            assert_eq!(frames, 1);
            assert!(
                p.scanned <= 2 * input.len(),
                "{} bytes looked at for {}",
                p.scanned,
                input.len()
            );
        }
    }
}
