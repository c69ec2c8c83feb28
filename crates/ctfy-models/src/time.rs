//! Points in time as the platform writes them, kept exactly as sent, with typed access.
//!
//! The platform writes two kinds: ISO-8601 text (`created_at`, `starts_at`…:
//! [`Timestamp`]) and epoch seconds as a JSON number (`started_at` of an instance, `ts` of a
//! node sample, `*_at_ts`: [`UnixTime`]). Both keep the wire value, so a response re-encodes
//! byte for byte, and both convert to [`SystemTime`] on demand.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time as ISO-8601 text, as the platform writes it (`2026-11-22T22:27:33.936721Z`,
/// also with an offset such as `+00:00`, or none, which means UTC). The text is kept as sent;
/// [`Timestamp::to_system_time`] reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    /// Wraps text (not checked: [`to_system_time`](Self::to_system_time) says whether it
    /// parses).
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as an owned `String`.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The instant, or `None` when the text is not an ISO-8601 date-time
    /// (`YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z`, `±HH:MM` or nothing for UTC; a
    /// space may replace the `T`).
    pub fn to_system_time(&self) -> Option<SystemTime> {
        parse_rfc3339(&self.0)
    }

    /// Time since the Unix epoch, or `None` as for [`to_system_time`](Self::to_system_time)
    /// (and for instants before 1970).
    pub fn to_unix(&self) -> Option<Duration> {
        self.to_system_time()?.duration_since(UNIX_EPOCH).ok()
    }
}

impl From<SystemTime> for Timestamp {
    /// Formats as the platform does: UTC, microseconds, `Z`.
    fn from(t: SystemTime) -> Self {
        let (secs, micros) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_micros()),
            Err(e) => {
                let d = e.duration();
                let mut secs = -(d.as_secs() as i64);
                let mut micros = d.subsec_micros();
                if micros > 0 {
                    secs -= 1;
                    micros = 1_000_000 - micros;
                }
                (secs, micros)
            }
        };
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        Self(format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        ))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Timestamp {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Timestamp {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Timestamp {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Timestamp {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.0
    }
}

impl PartialEq<str> for Timestamp {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Timestamp {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A point in time as epoch seconds, as the platform writes some of them
/// (`1796239331.9700372`). The number is kept exactly as sent;
/// [`UnixTime::to_system_time`] converts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub f64);

impl UnixTime {
    /// The seconds since the Unix epoch, as sent.
    pub fn as_secs_f64(self) -> f64 {
        self.0
    }

    /// The instant, or `None` for a value that is not a finite number of seconds a
    /// `SystemTime` can hold. `0` (the platform's "never") is the epoch itself: check
    /// [`is_zero`](Self::is_zero) first where it means "not yet".
    pub fn to_system_time(self) -> Option<SystemTime> {
        if !self.0.is_finite() {
            return None;
        }
        let d = Duration::try_from_secs_f64(self.0.abs()).ok()?;
        if self.0 >= 0.0 {
            UNIX_EPOCH.checked_add(d)
        } else {
            UNIX_EPOCH.checked_sub(d)
        }
    }

    /// Whether the value is 0, which the platform writes for "never" / "not yet".
    pub fn is_zero(self) -> bool {
        self.0 == 0.0
    }
}

impl From<f64> for UnixTime {
    fn from(secs: f64) -> Self {
        Self(secs)
    }
}

impl From<UnixTime> for f64 {
    fn from(t: UnixTime) -> f64 {
        t.0
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos: u32 = 0;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in frac[..n].iter().take(9).enumerate() {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let secs = digits(&[*h1, *h2])? * 3600 + digits(&[*m1, *m2])? * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let whole = Duration::from_secs(secs.unsigned_abs());
    let t = if secs >= 0 {
        UNIX_EPOCH.checked_add(whole)?
    } else {
        UNIX_EPOCH.checked_sub(whole)?
    };
    t.checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(t: &str) -> Option<(u64, u32)> {
        Timestamp::from(t)
            .to_unix()
            .map(|d| (d.as_secs(), d.subsec_nanos()))
    }

    #[test]
    fn the_platform_s_formats_parse() {
        // 2026-11-22T22:27:33Z is 1795904853.
        assert_eq!(
            unix("2026-11-22T22:27:33.936721Z"),
            Some((1_795_386_453, 936_721_000))
        );
        assert_eq!(unix("2026-11-22T22:27:33Z"), Some((1_795_386_453, 0)));
        assert_eq!(
            unix("2026-11-22T22:27:33.936721+00:00"),
            Some((1_795_386_453, 936_721_000))
        );
        assert_eq!(unix("2026-11-22T22:27:33"), Some((1_795_386_453, 0)));
        assert_eq!(unix("2026-11-22 22:27:33"), Some((1_795_386_453, 0)));
        assert_eq!(unix("2026-11-23T00:27:33+02:00"), Some((1_795_386_453, 0)));
        assert_eq!(unix("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(unix("2000-02-29T12:00:00Z"), Some((951_825_600, 0)));
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-22T22:27",
            "2026-11-22T22:27:33.Z",
            "2026-11-22T22:27:33+0",
        ] {
            assert_eq!(unix(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_wire_text_is_kept_and_system_times_format_like_the_platform() {
        let sent = "\"2026-11-22T22:27:33.936721+00:00\"";
        let t: Timestamp = serde_json::from_str(sent).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), sent);
        let now = Timestamp::from(t.to_system_time().unwrap());
        assert_eq!(now, "2026-11-22T22:27:33.936721Z");
        assert_eq!(now.to_system_time(), t.to_system_time());
        let before = Timestamp::from(UNIX_EPOCH - Duration::from_micros(1_500_000));
        assert_eq!(before, "1969-12-31T23:59:58.500000Z");
    }

    #[test]
    fn epoch_seconds_keep_their_value() {
        let sent = "1796239331.9700372";
        let t: UnixTime = serde_json::from_str(sent).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), sent);
        let st = t.to_system_time().unwrap();
        assert_eq!(
            st.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_796_239_331
        );
        assert!(UnixTime(0.0).is_zero());
        assert_eq!(UnixTime(f64::NAN).to_system_time(), None);
        assert_eq!(UnixTime(1e300).to_system_time(), None);
    }
}
