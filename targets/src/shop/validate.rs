//! Server-side checks of request fields. Each accepts a subset of what the spec's schema
//! accepts, so everything the shop stores renders as a schema-valid response.

use std::sync::LazyLock;

use regex::Regex;

use crate::common::{ApiError, compiled, matches};

/// `User.email` pattern, as in the spec.
pub(crate) use crate::common::EMAIL_PATTERN;
pub(crate) use crate::common::text;
/// `Address.postalCode` pattern.
pub(crate) const POSTAL_CODE_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9 -]{1,8}[A-Za-z0-9]$";
/// `Address.country` pattern (ISO 3166-1 alpha-2).
pub(crate) const COUNTRY_PATTERN: &str = r"^[A-Z]{2}$";
/// `OrderRequest.couponCode` pattern.
pub(crate) const COUPON_PATTERN: &str = r"^[A-Z0-9]{4,16}$";

/// Largest quantity of one product in a cart (`CartItem.quantity` maximum).
pub(crate) const MAX_QUANTITY: i64 = 100;
/// Largest price (`Product.priceCents` maximum).
pub(crate) const MAX_PRICE_CENTS: i64 = 10_000_000;

static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(EMAIL_PATTERN));
static POSTAL_CODE: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(POSTAL_CODE_PATTERN));
static COUNTRY: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(COUNTRY_PATTERN));
static COUPON: LazyLock<Option<Regex>> = LazyLock::new(|| compiled(COUPON_PATTERN));

/// An integer in `min..=max`.
pub(crate) fn int(field: &str, value: i64, min: i64, max: i64) -> Result<(), ApiError> {
    if value < min || value > max {
        return Err(ApiError::bad_request(format!(
            "`{field}` must be between {min} and {max}"
        )));
    }
    Ok(())
}

pub(crate) fn email(value: &str) -> Result<(), ApiError> {
    matches(&EMAIL, "email", value)
}

pub(crate) fn postal_code(value: &str) -> Result<(), ApiError> {
    matches(&POSTAL_CODE, "postalCode", value)
}

pub(crate) fn country(value: &str) -> Result<(), ApiError> {
    matches(&COUNTRY, "country", value)
}

pub(crate) fn coupon(value: &str) -> Result<(), ApiError> {
    matches(&COUPON, "couponCode", value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_accept_the_seed() {
        for p in [
            EMAIL_PATTERN,
            POSTAL_CODE_PATTERN,
            COUNTRY_PATTERN,
            COUPON_PATTERN,
        ] {
            assert!(Regex::new(p).is_ok(), "{p}");
        }
        assert!(email("alice@shop.example").is_ok());
        assert!(email("a.b+c@mail-1.example.org").is_ok());
        assert!(email("a..b@x.io").is_err());
        assert!(email("no-at-sign").is_err());
        assert!(postal_code("OX1 1AA").is_ok());
        assert!(postal_code(" 123").is_err());
        assert!(country("GB").is_ok());
        assert!(country("gb").is_err());
        assert!(coupon("WELCOME10").is_ok());
        assert!(coupon("welcome").is_err());
    }

    #[test]
    fn text_counts_characters_not_bytes() {
        assert!(text("name", "ééé", 1, 3).is_ok());
        assert!(text("name", "", 1, 3).is_err());
        assert!(text("name", "abcd", 1, 3).is_err());
        assert!(int("quantity", 0, 1, 100).is_err());
        assert!(int("quantity", 100, 1, 100).is_ok());
    }
}
