//! A work e-mail address, validated and lower-cased.

use std::fmt;

use crate::organisations::EmailDomain;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email {
    address: String,
    domain: EmailDomain,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid e-mail address")]
pub struct InvalidEmail(pub String);

impl Email {
    /// Accepts what lettre can send to; addresses are compared case-insensitively, as every
    /// mail system municipalities use does in practice.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let address = raw.trim().to_lowercase();
        let invalid = || InvalidEmail(raw.trim().to_string());
        if address.len() > 254 || address.parse::<lettre::Address>().is_err() {
            return Err(invalid());
        }
        let domain = EmailDomain::of_address(&address).map_err(|_| invalid())?;
        Ok(Self { address, domain })
    }

    pub fn as_str(&self) -> &str {
        &self.address
    }

    pub fn domain(&self) -> &EmailDomain {
        &self.domain
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        let email = Email::parse("  Anna.Berg@Trollhattan.SE ").expect("valid");
        assert_eq!(email.as_str(), "anna.berg@trollhattan.se");
        assert_eq!(email.domain().as_str(), "trollhattan.se");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@kommun.se",
            "anna@kommun",
            "an na@kommun.se",
            "a@b@kommun.se",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@kommun.se", "a".repeat(250))).is_err());
    }
}
