//! The part of a work e-mail address that decides which organisation someone belongs to.

use std::fmt;

/// A lower-case DNS name such as `trollhattan.se`. Only built through [`EmailDomain::parse`]
/// or [`EmailDomain::of_address`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailDomain(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid e-mail domain")]
pub struct InvalidDomain(pub String);

impl EmailDomain {
    pub fn parse(raw: &str) -> Result<Self, InvalidDomain> {
        let domain = raw.trim().trim_start_matches('@').to_lowercase();
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if domain.len() > 253 || !domain.contains('.') || !labels_ok {
            return Err(InvalidDomain(raw.to_string()));
        }
        Ok(Self(domain))
    }

    /// The domain of `name@domain`; refuses anything that is not shaped like an address.
    pub fn of_address(address: &str) -> Result<Self, InvalidDomain> {
        match address.trim().rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() => Self::parse(domain),
            _ => Err(InvalidDomain(address.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised() {
        assert_eq!(
            EmailDomain::parse(" @Trollhattan.SE ").map(|d| d.0),
            Ok("trollhattan.se".into())
        );
        assert_eq!(
            EmailDomain::parse("bærum.kommune.no").map(|d| d.0),
            Ok("bærum.kommune.no".into())
        );
    }

    #[test]
    fn malformed_domains_are_refused() {
        for bad in ["", "se", "kommun..se", "-kommun.se", "kommun.se/", "a b.se"] {
            assert!(EmailDomain::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domain_of_address() {
        assert_eq!(
            EmailDomain::of_address("Anna.Svensson@Kommun.se").map(|d| d.0),
            Ok("kommun.se".into())
        );
        assert!(EmailDomain::of_address("@kommun.se").is_err());
        assert!(EmailDomain::of_address("anna").is_err());
    }
}
