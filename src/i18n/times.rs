//! Times are stored in UTC and shown in Swedish/Norwegian local time (the same rules in
//! both countries), as `2026-11-30 14:00`.

use chrono::offset::LocalResult;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Europe::Stockholm;

pub fn local_time(utc: NaiveDateTime) -> String {
    utc.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A UTC time as the local wall-clock time (for spreadsheet date cells, which have no zone).
pub fn local_naive(utc: NaiveDateTime) -> NaiveDateTime {
    utc.and_utc().with_timezone(&Stockholm).naive_local()
}

/// The local calendar day a UTC time falls on.
pub fn local_date(utc: NaiveDateTime) -> NaiveDate {
    utc.and_utc().with_timezone(&Stockholm).date_naive()
}

/// The calendar month (`2026-11`) a UTC time falls in, in local time.
pub fn local_month(utc: NaiveDateTime) -> String {
    utc.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m")
        .to_string()
}

/// The UTC time at which a local calendar day starts (midnight local time; the first valid
/// instant on a day whose midnight does not exist).
pub fn local_day_start(day: NaiveDate) -> NaiveDateTime {
    let midnight = day.and_time(NaiveTime::MIN);
    match Stockholm.from_local_datetime(&midnight) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.naive_utc(),
        // Sweden and Norway change clocks at 02:00/03:00, never at midnight; kept total anyway.
        LocalResult::None => midnight,
    }
}

/// The last minute of a local calendar day, in UTC: a deadline "on the 12th" lasts the
/// whole of the 12th. `None` only for the last day chrono can represent.
pub fn local_day_end(day: NaiveDate) -> Option<NaiveDateTime> {
    day.succ_opt()
        .map(|next| local_day_start(next) - chrono::Duration::minutes(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winter_and_summer_offsets() {
        let winter = NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(13, 0, 0))
            .expect("a date");
        assert_eq!(local_time(winter), "2026-11-30 14:00");
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1)
            .and_then(|d| d.and_hms_opt(13, 0, 0))
            .expect("a date");
        assert_eq!(local_time(summer), "2026-07-01 15:00");
    }

    #[test]
    fn local_months_and_days() {
        let new_year_utc = NaiveDate::from_ymd_opt(2026, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 30, 0))
            .expect("a date");
        assert_eq!(local_month(new_year_utc), "2027-01");
        assert_eq!(
            local_date(new_year_utc),
            NaiveDate::from_ymd_opt(2027, 1, 1).expect("a date")
        );
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).expect("a date");
        assert_eq!(
            local_day_start(day),
            NaiveDate::from_ymd_opt(2026, 6, 30)
                .and_then(|d| d.and_hms_opt(22, 0, 0))
                .expect("a date")
        );
    }

    #[test]
    fn a_day_ends_at_its_last_local_minute() {
        let at = |y, m, d, h, min| {
            NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(h, min, 0))
                .expect("a date")
        };
        let winter = NaiveDate::from_ymd_opt(2026, 12, 12).expect("a date");
        assert_eq!(local_day_end(winter), Some(at(2026, 12, 12, 22, 59)));
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).expect("a date");
        assert_eq!(local_day_end(summer), Some(at(2026, 7, 1, 21, 59)));
        // The day the clocks go forward is an hour short, and still ends at 23:59 local.
        let spring = NaiveDate::from_ymd_opt(2027, 3, 28).expect("a date");
        assert_eq!(local_day_end(spring), Some(at(2027, 3, 28, 21, 59)));
        assert_eq!(local_day_end(NaiveDate::MAX), None);
    }
}
