//! Public mail domains (gmail.com, hotmail.se, …) never identify an organisation: anyone
//! can get an address there, so such a domain must not sign anyone in to one.

use std::collections::HashSet;
use std::sync::LazyLock;

/// The maintained list (see its header), and Nordic providers it lacks.
const LIST: &str = include_str!("public_domains.txt");
const NORDIC: [&str; 12] = [
    "telia.com",
    "bredband.net",
    "bahnhof.se",
    "comhem.se",
    "tele2.se",
    "telenor.no",
    "telenor.com",
    "start.no",
    "broadpark.no",
    "c2i.net",
    "frisurf.no",
    "get.no",
];

static PUBLIC: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    LIST.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .chain(NORDIC)
        .collect()
});

/// Whether `domain` (lower case) is a public mail service's.
pub fn is_public(domain: &str) -> bool {
    PUBLIC.contains(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_mail_services_are_public_and_municipalities_are_not() {
        for public in [
            "gmail.com",
            "hotmail.se",
            "outlook.com",
            "icloud.com",
            "telia.com",
            "online.no",
        ] {
            assert!(is_public(public), "{public}");
        }
        for own in [
            "trollhattan.se",
            "boras.se",
            "oslo.kommune.no",
            "vgregion.se",
        ] {
            assert!(!is_public(own), "{own}");
        }
    }
}
