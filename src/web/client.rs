//! Where a request comes from: the peer, or behind a trusted proxy the address it forwarded.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> Option<IpAddr> {
    let info = req.connection_info();
    let raw = if trust_forwarded_for {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    }?;
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}
