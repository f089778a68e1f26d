//! The run's one clock and the one calendar. A run reads the time once ([`resolve_now`]) and
//! passes it down as a [`Timestamp`]; every stage that turns times into dates or dates into
//! times (config `until` dates, PyPI upload times, report dates) uses the functions here, so a
//! date means the same thing in the config, the rules and the reports.

pub use pyaudit_cache::Timestamp;

/// Pins the clock (`YYYY-MM-DD`, midnight UTC) so the time-based rules (release ages,
/// cooldowns, ignore expiry, data age) give reproducible reports and tests.
pub const NOW_ENV: &str = "PYAUDIT_NOW";

const DAY_MILLIS: i64 = 86_400_000;

/// Now: `PYAUDIT_NOW` when it is set, else the system clock. A value that is not a date is
/// reported (the second field) and the system clock is used: a typo must not stop an audit,
/// and must not pass silently either.
pub fn resolve_now() -> (Timestamp, Option<String>) {
    match std::env::var(NOW_ENV) {
        Ok(text) => match days_from_date(&text) {
            Some(days) => (
                Timestamp::from_unix_millis(days.saturating_mul(DAY_MILLIS)),
                None,
            ),
            None => (
                Timestamp::now(),
                Some(format!(
                    "{NOW_ENV}=`{text}` is not a YYYY-MM-DD date; using the clock"
                )),
            ),
        },
        Err(_) => (Timestamp::now(), None),
    }
}

/// Days since 1970-01-01 (UTC) of a time: the unit ignore expiry and release ages count in.
pub fn day_of(time: Timestamp) -> i64 {
    time.unix_millis().div_euclid(DAY_MILLIS)
}

/// `YYYY-MM-DD` (UTC) of a time.
pub fn format_date(time: Timestamp) -> String {
    date_from_unix_millis(time.unix_millis())
}

/// `YYYY-MM-DD` (a TOML local date, or a string) → days since 1970-01-01.
pub fn days_from_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Unix milliseconds → `YYYY-MM-DD` (UTC).
pub fn date_from_unix_millis(millis: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let days = millis.div_euclid(86_400_000) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Reads an ISO 8601 / RFC 3339 UTC time as PyPI writes it (`2024-05-20T15:18:21.123456Z`,
/// `2024-05-20T15:18:21`, `+00:00` offsets); `None` for anything else.
pub fn parse_upload_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    // The zone: `Z`, none (PyPI's `upload_time` is UTC without one), or a `±HH:MM` offset.
    let (clock, offset_seconds) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else if let Some(position) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(position);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = zone.get(1..)?.split_once(':')?;
        let hours: i64 = hours.parse().ok()?;
        let minutes: i64 = minutes.parse().ok()?;
        (clock, sign * (hours * 3600 + minutes * 60))
    } else {
        (time, 0)
    };
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut clock_parts = whole.splitn(3, ':');
    let hour: i64 = clock_parts.next()?.parse().ok()?;
    let minute: i64 = clock_parts.next()?.parse().ok()?;
    let second: i64 = clock_parts.next()?.parse().ok()?;
    let millis: i64 = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().take(3).collect();
        if !fraction.chars().all(|character| character.is_ascii_digit()) {
            return None;
        }
        format!("{digits:0<3}").parse().ok()?
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(Timestamp::from_unix_millis(seconds * 1000 + millis))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> Timestamp {
        parse_upload_time(text).unwrap()
    }

    #[test]
    fn dates_count_days() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2000-03-01"), Some(11_017));
        assert_eq!(days_from_date("2026-11-25"), Some(20_782));
        assert_eq!(days_from_date("2026-13-01"), None);
        assert_eq!(days_from_date("soon"), None);
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-25",
            "1999-12-31",
            "2100-03-01",
        ] {
            let days = days_from_date(text).unwrap();
            assert_eq!(date_from_unix_millis(days * 86_400_000 + 3_600_000), text);
            assert_eq!(
                day_of(Timestamp::from_unix_millis(days * 86_400_000 + 1)),
                days
            );
        }
    }

    #[test]
    fn the_two_readers_agree_on_a_day() {
        for text in ["1970-01-01", "2000-02-29", "2024-10-10", "2099-12-31"] {
            let days = days_from_date(text).unwrap();
            assert_eq!(
                time(&format!("{text}T00:00:00Z")).unix_millis(),
                days * 86_400_000
            );
        }
    }

    #[test]
    fn upload_times() {
        assert_eq!(
            parse_upload_time("1970-01-01T00:00:00Z"),
            Some(Timestamp::from_unix_millis(0))
        );
        assert_eq!(
            time("2024-05-20T15:18:21.123456Z").unix_millis(),
            1_716_218_301_123
        );
        assert_eq!(time("2024-05-20T15:18:21").unix_millis(), 1_716_218_301_000);
        assert_eq!(
            time("2024-05-20T17:18:21+02:00"),
            time("2024-05-20T15:18:21Z")
        );
        assert_eq!(time("2000-02-29T00:00:00Z").unix_millis(), 951_782_400_000);
        for bad in [
            "",
            "2024-05-20",
            "2024-13-01T00:00:00Z",
            "yesterday",
            "2024-05-20Tab:00:00Z",
        ] {
            assert_eq!(parse_upload_time(bad), None, "{bad}");
        }
    }
}
