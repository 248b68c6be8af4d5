//! Limits on sign-in requests, so nobody can flood a colleague's inbox or probe at speed,
//! and on API requests per person, so one integration cannot crowd out everyone else.
//!
//! Counted in the database, so every instance behind the load balancer shares one count:
//! per bucket the generic cell rate algorithm (GCRA) keeps one number, the time at which
//! the bucket is empty again. A request moves it one step forward if that stays within the
//! period; with `n` per period that allows `n` at once and then one every period / `n`.
//! The step is a compare-and-swap on that number, so two instances never both take the
//! last place.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::AnyConnection;
use crate::db::schema::rate_limits;
use crate::ids::UserId;

/// `count` requests per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    count: NonZeroU32,
    period_ms: i64,
}

impl Quota {
    pub fn per_hour(count: NonZeroU32) -> Self {
        Self {
            count,
            period_ms: 3_600_000,
        }
    }

    pub fn per_minute(count: NonZeroU32) -> Self {
        Self {
            count,
            period_ms: 60_000,
        }
    }

    /// The time one request uses up.
    fn step_ms(self) -> i64 {
        (self.period_ms / i64::from(self.count.get())).max(1)
    }
}

/// What the bucket holds after a request at `now`: the new time to store, or how long
/// until a request would be allowed. Pure, so the rule is tested without a database.
fn next_state(stored: Option<i64>, now: i64, quota: Quota) -> Result<i64, i64> {
    let next = stored.unwrap_or(now).max(now) + quota.step_ms();
    let over = next - now - quota.period_ms;
    if over > 0 { Err(over) } else { Ok(next) }
}

/// Tries before giving up under contention; each failed try means another request was
/// counted meanwhile.
const ATTEMPTS: usize = 16;

/// Counts one request in `bucket`; when the limit is reached, how long until the next one
/// is allowed.
pub fn take(
    conn: &mut AnyConnection,
    bucket: &str,
    quota: Quota,
) -> QueryResult<Result<(), Duration>> {
    for _ in 0..ATTEMPTS {
        let now = Utc::now().timestamp_millis();
        let stored: Option<i64> = rate_limits::table
            .find(bucket)
            .select(rate_limits::tat_ms)
            .first(conn)
            .optional()?;
        let next = match next_state(stored, now, quota) {
            Ok(next) => next,
            Err(wait_ms) => {
                return Ok(Err(Duration::from_millis(
                    u64::try_from(wait_ms).unwrap_or(0),
                )));
            }
        };
        let counted = match stored {
            Some(old) => diesel::update(rate_limits::table.find(bucket))
                .filter(rate_limits::tat_ms.eq(old))
                .set(rate_limits::tat_ms.eq(next))
                .execute(conn)?,
            None => match diesel::insert_into(rate_limits::table)
                .values((rate_limits::bucket.eq(bucket), rate_limits::tat_ms.eq(next)))
                .execute(conn)
            {
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => 0,
                other => other?,
            },
        };
        if counted == 1 {
            return Ok(Ok(()));
        }
    }
    // So many requests on one bucket at once are a flood themselves.
    Ok(Err(Duration::from_millis(
        u64::try_from(quota.step_ms()).unwrap_or(1000),
    )))
}

/// Removes buckets that are empty again (as good as absent), so the table stays small.
pub fn forget_empty(conn: &mut AnyConnection) -> QueryResult<usize> {
    let now = Utc::now().timestamp_millis();
    diesel::delete(rate_limits::table.filter(rate_limits::tat_ms.lt(now))).execute(conn)
}

#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    per_address: Quota,
    per_ip: Quota,
    /// Behind a proxy the client is the address it forwarded, not the proxy.
    pub trust_forwarded_for: bool,
}

impl LoginLimits {
    pub fn new(per_address: NonZeroU32, per_ip: NonZeroU32, trust_forwarded_for: bool) -> Self {
        Self {
            per_address: Quota::per_hour(per_address),
            per_ip: Quota::per_hour(per_ip),
            trust_forwarded_for,
        }
    }

    /// Counts one attempt from `client` for `address`; `false` when either limit is
    /// exhausted. Both are counted either way, as an attempt is one whatever its answer.
    pub fn allow(
        &self,
        conn: &mut AnyConnection,
        client: Option<IpAddr>,
        address: &str,
    ) -> QueryResult<bool> {
        self.count(conn, "login", client, address)
    }

    /// Counts one typed sign-in code, like [`LoginLimits::allow`] but in buckets of its
    /// own: asking for a link must not use up the tries for its code.
    pub fn allow_code(
        &self,
        conn: &mut AnyConnection,
        client: Option<IpAddr>,
        address: &str,
    ) -> QueryResult<bool> {
        self.count(conn, "code", client, address)
    }

    fn count(
        &self,
        conn: &mut AnyConnection,
        kind: &str,
        client: Option<IpAddr>,
        address: &str,
    ) -> QueryResult<bool> {
        let ip_ok = match client {
            Some(ip) => take(conn, &format!("{kind}-ip:{ip}"), self.per_ip)?.is_ok(),
            None => true,
        };
        let address = address.trim().to_lowercase();
        let address_ok = take(conn, &format!("{kind}-address:{address}"), self.per_address)?;
        Ok(ip_ok && address_ok.is_ok())
    }
}

/// API requests per person per minute, whichever of their tokens they use.
#[derive(Debug, Clone, Copy)]
pub struct ApiLimits {
    per_user: Quota,
}

impl ApiLimits {
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            per_user: Quota::per_minute(per_minute),
        }
    }

    /// Counts one request; when the limit is reached, how long until the next is allowed.
    pub fn check(
        &self,
        conn: &mut AnyConnection,
        user_id: UserId,
    ) -> QueryResult<Result<(), Duration>> {
        take(conn, &format!("api-user:{user_id}"), self.per_user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five_per_hour() -> Quota {
        Quota::per_hour(NonZeroU32::new(5).expect("five"))
    }

    #[test]
    fn a_full_burst_then_one_per_step() {
        let quota = five_per_hour();
        let step = quota.step_ms();
        assert_eq!(step, 720_000, "an hour over five");
        let mut stored = None;
        for n in 0..5 {
            stored = Some(next_state(stored, 0, quota).unwrap_or_else(|_| panic!("{n} allowed")));
        }
        assert_eq!(
            next_state(stored, 0, quota),
            Err(step),
            "the sixth waits a step"
        );
        assert_eq!(next_state(stored, step - 1, quota), Err(1));
        let after_a_step = next_state(stored, step, quota).expect("one more after a step");
        assert_eq!(next_state(Some(after_a_step), step, quota), Err(step));
    }

    #[test]
    fn an_old_bucket_counts_as_empty() {
        let quota = five_per_hour();
        let long_ago = Some(-10 * quota.period_ms);
        assert_eq!(next_state(long_ago, 0, quota), Ok(quota.step_ms()));
    }
}
