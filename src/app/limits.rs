//! Limits on sign-in requests, so nobody can flood a colleague's inbox or probe at speed,
//! and on API requests per person, so one integration cannot crowd out everyone else.
//!
//! Counters live in each instance's memory (governor's keyed GCRA limiter); with several
//! instances the effective limit is that many times higher, which still stops abuse.

use crate::ids::UserId;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys kept before the limiters forget those that are back to full, so memory stays bounded.
const KEPT_KEYS: usize = 10_000;

pub struct LoginLimits {
    per_address: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Behind a proxy the client is the address it forwarded, not the proxy.
    pub trust_forwarded_for: bool,
}

impl LoginLimits {
    pub fn new(per_address: NonZeroU32, per_ip: NonZeroU32, trust_forwarded_for: bool) -> Self {
        Self {
            per_address: RateLimiter::keyed(Quota::per_hour(per_address)),
            per_ip: RateLimiter::keyed(Quota::per_hour(per_ip)),
            trust_forwarded_for,
        }
    }

    /// Counts one attempt from `client` for `address`; `false` when either limit is
    /// exhausted.
    pub fn allow(&self, client: Option<IpAddr>, address: &str) -> bool {
        let ip_ok = client.is_none_or(|ip| self.per_ip.check_key(&ip).is_ok());
        let address_ok = self
            .per_address
            .check_key(&address.trim().to_lowercase())
            .is_ok();
        if self.per_address.len() > KEPT_KEYS {
            self.per_address.retain_recent();
            self.per_ip.retain_recent();
        }
        ip_ok && address_ok
    }
}

/// API requests per person per minute, whichever of their tokens they use.
pub struct ApiLimits {
    per_user: DefaultKeyedRateLimiter<UserId>,
}

impl ApiLimits {
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            per_user: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Counts one request; when the limit is reached, how long until the next is allowed.
    pub fn check(&self, user_id: UserId) -> Result<(), Duration> {
        let outcome = self.per_user.check_key(&user_id).map_err(|not_until| {
            not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()))
        });
        if self.per_user.len() > KEPT_KEYS {
            self.per_user.retain_recent();
        }
        outcome
    }
}
