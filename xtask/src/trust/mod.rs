//! trust/: who vouches for which image, and whether enough of them did.
//!
//! Owns the signature format (`payload`), where signatures live (`lookaside`), the
//! keyring of trusted maintainers (`keyring`, changed by the `keys` command), the
//! judgement of one signature (`check`, with its `verdict`), the receipts `reproduce`
//! leaves and `sign` requires (`receipt`), the `sign` and `verify` commands, and
//! `authenticate`, which walks the git history (`history`) from a pinned
//! introduction so that the keyring `verify` trusts is one no single change can forge.
//! `check` and `payload` judge bytes they are given and touch no filesystem; `history`
//! reads git objects and never the work tree; only `sign` holds secret keys, and
//! `verify` never needs it: nothing here signs on the path that verifies.

pub mod authenticate;
pub mod check;
pub mod history;
pub mod keyring;
pub mod keys;
pub mod lookaside;
pub mod payload;
pub mod receipt;
pub mod sign;
pub mod verdict;
pub mod verify;

use std::time::SystemTime;

/// Text from a key or a signed payload, made safe to print on a terminal: control
/// characters (escape sequences, carriage returns) and the invisible characters that
/// reorder or hide text are shown as `\u{..}` escapes. Anyone can put anything into a
/// user ID; a report must not let it rewrite what the terminal shows.
pub fn shown(text: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    text.chars().map(|c| if hidden(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// Formats a time as UTC `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(time: SystemTime) -> String {
    let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn what_a_key_says_cannot_steer_the_terminal() {
        assert_eq!(shown("Alice <a@example.org>"), "Alice <a@example.org>");
        assert_eq!(shown("Eve\u{1b}[2K\rPASS"), "Eve\\u{1b}[2K\\u{d}PASS");
        assert_eq!(shown("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(shown("Zoë"), "Zoë");
    }

    #[test]
    fn utc_formats_civil_time() {
        assert_eq!(utc(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(utc(SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_251_199)), "2024-02-29T23:59:59Z");
    }
}
