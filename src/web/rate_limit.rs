//! Limits on sign-in requests, so nobody can flood a colleague's inbox or probe at speed.
//!
//! Counters live in each instance's memory (governor's keyed GCRA limiter); with several
//! instances the effective limit is that many times higher, which still stops abuse.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
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
