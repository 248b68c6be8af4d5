//! Times are stored in UTC and shown in Swedish/Norwegian local time (the same rules in
//! both countries), as `2026-11-30 14:00`.

use chrono::NaiveDateTime;
use chrono_tz::Europe::Stockholm;

pub fn local_time(utc: NaiveDateTime) -> String {
    utc.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

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
}
