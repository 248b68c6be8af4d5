//! Limits on sign-in requests, so nobody can flood a colleague's inbox or probe at speed,
//! and on API requests per person, so one integration cannot crowd out everyone else.
//!
//! Counters live in each instance's memory (governor's keyed GCRA limiter); with several
//! instances the effective limit is that many times higher, which still stops abuse.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::DefaultClock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimits {
    per_address: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    trust_forwarded_for: bool,
}

fn hourly(count: u32) -> Quota {
    Quota::per_hour(NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimits {
    pub fn new(per_address: u32, per_ip: u32, trust_forwarded_for: bool) -> Self {
        Self {
            per_address: RateLimiter::keyed(hourly(per_address)),
            per_ip: RateLimiter::keyed(hourly(per_ip)),
            trust_forwarded_for,
        }
    }

    /// The client's address: the peer, or behind a trusted proxy the one it forwarded.
    fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let info = req.connection_info();
        let raw = if self.trust_forwarded_for {
            info.realip_remote_addr()
        } else {
            info.peer_addr()
        }?;
        raw.parse::<IpAddr>().ok().or_else(|| {
            raw.parse::<std::net::SocketAddr>()
                .ok()
                .map(|addr| addr.ip())
        })
    }

    /// Counts one attempt; `false` when either limit is exhausted.
    pub fn allow(&self, req: &HttpRequest, address: &str) -> bool {
        let ip_ok = self
            .client_ip(req)
            .is_none_or(|ip| self.per_ip.check_key(&ip).is_ok());
        let address_ok = self
            .per_address
            .check_key(&address.trim().to_lowercase())
            .is_ok();
        // Forget keys that are back to full, so memory stays bounded.
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
            self.per_ip.retain_recent();
        }
        ip_ok && address_ok
    }
}

/// API requests per person per minute, whichever of their tokens they use.
pub struct ApiLimits {
    per_user: DefaultKeyedRateLimiter<i64>,
}

impl ApiLimits {
    pub fn new(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self {
            per_user: RateLimiter::keyed(quota),
        }
    }

    /// Counts one request; when the limit is reached, how long until the next is allowed.
    pub fn check(&self, user_id: i64) -> Result<(), Duration> {
        let outcome = self.per_user.check_key(&user_id).map_err(|not_until| {
            not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()))
        });
        if self.per_user.len() > 10_000 {
            self.per_user.retain_recent();
        }
        outcome
    }
}
