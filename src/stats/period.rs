//! Report periods: calendar months, quarters, tertials (four-month periods, as many Swedish
//! municipalities report) and years, or any range of days; and the periods a report compares
//! with: the one before, and the same one a year earlier.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// A calendar period kind a report can be chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Month,
    Quarter,
    Tertial,
    Year,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Month, Kind::Quarter, Kind::Tertial, Kind::Year];

    fn months(self) -> u32 {
        match self {
            Kind::Month => 1,
            Kind::Quarter => 3,
            Kind::Tertial => 4,
            Kind::Year => 12,
        }
    }

    fn letter(self) -> char {
        match self {
            Kind::Month => 'm',
            Kind::Quarter => 'q',
            Kind::Tertial => 't',
            Kind::Year => 'y',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Month => "month",
            Kind::Quarter => "quarter",
            Kind::Tertial => "tertial",
            Kind::Year => "year",
        }
    }

    /// How many of this kind the period picker offers, newest first.
    fn offered(self) -> u32 {
        match self {
            Kind::Month => 13,
            Kind::Quarter => 8,
            Kind::Tertial => 6,
            Kind::Year => 5,
        }
    }
}

/// A range of local days, both ends included; `kind` when it is a whole calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: Option<Kind>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The calendar period of `kind` that contains `day`.
    pub fn containing(kind: Kind, day: NaiveDate) -> Period {
        let length = kind.months();
        let first_month = (day.month0() / length) * length + 1;
        let from = NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
        Period::starting(kind, from)
    }

    fn starting(kind: Kind, from: NaiveDate) -> Period {
        let to = from
            .checked_add_months(Months::new(kind.months()))
            .and_then(|next| next.pred_opt())
            .unwrap_or(from);
        Period {
            kind: Some(kind),
            from,
            to,
        }
    }

    /// A range of days chosen by hand.
    pub fn custom(from: NaiveDate, to: NaiveDate) -> Period {
        Period {
            kind: None,
            from,
            to,
        }
    }

    /// The period's number within its year (quarter 1–4, tertial 1–3, month 1–12).
    pub fn number(&self) -> u32 {
        match self.kind {
            Some(kind) => self.from.month0() / kind.months() + 1,
            None => 0,
        }
    }

    /// `m2026-11`, `q2026-3`, `t2026-2`, `y2026`: what the period picker sends.
    pub fn code(&self) -> Option<String> {
        let kind = self.kind?;
        Some(match kind {
            Kind::Year => format!("y{}", self.from.year()),
            _ => format!("{}{}-{}", kind.letter(), self.from.year(), self.number()),
        })
    }

    /// Reads what [`Period::code`] writes.
    pub fn parse(code: &str) -> Option<Period> {
        let code = code.trim();
        let mut chars = code.chars();
        let kind = match chars.next()? {
            'm' => Kind::Month,
            'q' => Kind::Quarter,
            't' => Kind::Tertial,
            'y' => Kind::Year,
            _ => return None,
        };
        let rest = chars.as_str();
        let (year, number) = match kind {
            Kind::Year => (rest.parse::<i32>().ok()?, 1),
            _ => {
                let (year, number) = rest.split_once('-')?;
                (year.parse::<i32>().ok()?, number.parse::<u32>().ok()?)
            }
        };
        let per_year = 12 / kind.months();
        if !(2000..=2200).contains(&year) || !(1..=per_year).contains(&number) {
            return None;
        }
        let from = NaiveDate::from_ymd_opt(year, (number - 1) * kind.months() + 1, 1)?;
        Some(Period::starting(kind, from))
    }

    fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period just before: the previous quarter, or as many days before a custom range.
    pub fn previous(&self) -> Period {
        match self.kind {
            Some(kind) => {
                let from = self
                    .from
                    .checked_sub_months(Months::new(kind.months()))
                    .unwrap_or(self.from);
                Period::starting(kind, from)
            }
            None => {
                let to = self.from.pred_opt().unwrap_or(self.from);
                let from = to - chrono::Duration::days(self.days() - 1);
                Period::custom(from, to)
            }
        }
    }

    /// The same period a year earlier (29 February becomes the 28th).
    pub fn year_earlier(&self) -> Period {
        let back = |day: NaiveDate| day.checked_sub_months(Months::new(12)).unwrap_or(day);
        match self.kind {
            Some(kind) => Period::starting(kind, back(self.from)),
            None => Period::custom(back(self.from), back(self.to)),
        }
    }

    /// The periods the picker offers for `kind`, newest (the one containing `today`) first.
    pub fn offered(kind: Kind, today: NaiveDate) -> Vec<Period> {
        let mut current = Period::containing(kind, today);
        let mut periods = Vec::new();
        for _ in 0..kind.offered() {
            periods.push(current);
            current = current.previous();
        }
        periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn calendar_periods_contain_the_day_and_end_on_their_last_day() {
        let quarter = Period::containing(Kind::Quarter, day(2026, 11, 15));
        assert_eq!(
            (quarter.from, quarter.to),
            (day(2026, 10, 1), day(2026, 12, 31))
        );
        assert_eq!(quarter.number(), 4);
        let tertial = Period::containing(Kind::Tertial, day(2026, 8, 31));
        assert_eq!(
            (tertial.from, tertial.to),
            (day(2026, 5, 1), day(2026, 8, 31))
        );
        assert_eq!(tertial.number(), 2);
        let february = Period::containing(Kind::Month, day(2028, 2, 10));
        assert_eq!(february.to, day(2028, 2, 29));
        let year = Period::containing(Kind::Year, day(2026, 1, 1));
        assert_eq!((year.from, year.to), (day(2026, 1, 1), day(2026, 12, 31)));
    }

    #[test]
    fn codes_round_trip_and_nonsense_is_refused() {
        for kind in Kind::ALL {
            for period in Period::offered(kind, day(2026, 12, 4)) {
                let code = period.code().expect("a calendar period");
                assert_eq!(Period::parse(&code), Some(period), "{code}");
            }
        }
        for bad in [
            "", "q2026-5", "t2026-0", "m2026-13", "y1899", "x2026", "q2026", "q-1-1",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_previous_and_year_earlier_periods() {
        let q1 = Period::parse("q2026-1").expect("q1");
        assert_eq!(q1.previous(), Period::parse("q2025-4").expect("q4"));
        assert_eq!(q1.year_earlier(), Period::parse("q2025-1").expect("q1"));
        let t1 = Period::parse("t2026-1").expect("t1");
        assert_eq!(t1.previous(), Period::parse("t2025-3").expect("t3"));
        let custom = Period::custom(day(2026, 3, 1), day(2026, 3, 10));
        assert_eq!(
            custom.previous(),
            Period::custom(day(2026, 2, 19), day(2026, 2, 28))
        );
        let leap = Period::custom(day(2028, 2, 29), day(2028, 3, 1));
        assert_eq!(
            leap.year_earlier(),
            Period::custom(day(2027, 2, 28), day(2027, 3, 1))
        );
        let offered = Period::offered(Kind::Quarter, day(2026, 12, 4));
        assert_eq!(offered.len(), 8);
        assert_eq!(offered[0].code().as_deref(), Some("q2026-4"));
        assert_eq!(offered[7].code().as_deref(), Some("q2025-1"));
    }
}
