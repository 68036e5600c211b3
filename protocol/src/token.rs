//! Bearer tokens: what a registry with tokens on wants in `Authorization`, and what
//! a token may look like.
//!
//! A token is a shared secret, so [`Token`] never shows itself in `Debug` output
//! (configs and clients that hold one are logged), and this crate gives it no
//! `PartialEq`: the server compares tokens in constant time, and nothing else
//! should compare them at all.

use std::fmt;
use std::str::FromStr;

use crate::validate::ProtocolError;

/// The request header that carries a token: `Authorization: Bearer <token>`
/// (RFC 6750).
pub const AUTHORIZATION: &str = "Authorization";

/// The authentication scheme of [`AUTHORIZATION`], and of `WWW-Authenticate` on a
/// `401`.
pub const BEARER: &str = "Bearer";

/// Shortest token accepted: 16 characters of the token alphabet are about 96 bits,
/// beyond guessing over a network. `openssl rand -hex 32` gives 64.
pub const MIN_TOKEN_LEN: usize = 16;

/// Longest token accepted, so a rule file or a header cannot carry megabytes.
pub const MAX_TOKEN_LEN: usize = 256;

/// A bearer token: [`MIN_TOKEN_LEN`] to [`MAX_TOKEN_LEN`] characters of RFC 6750's
/// alphabet (ASCII letters, digits, `-._~+/`, then optionally `=` padding), so it
/// stands in a header as it is and never contains the spaces and `#` that separate
/// the fields and comments of a rule file.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Checks `text` is a usable token.
    pub fn new(text: impl Into<String>) -> Result<Token, ProtocolError> {
        let text = text.into();
        validate_token(&text)?;
        Ok(Token(text))
    }

    /// The secret itself, to send or to compare. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value of an [`AUTHORIZATION`] header carrying this token.
    pub fn bearer_header(&self) -> String {
        format!("{BEARER} {}", self.0)
    }
}

impl fmt::Debug for Token {
    /// Never the secret: `Token(<redacted>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl FromStr for Token {
    type Err = ProtocolError;

    fn from_str(text: &str) -> Result<Token, ProtocolError> {
        Token::new(text)
    }
}

/// Checks the token rule of [`Token`].
pub fn validate_token(text: &str) -> Result<(), ProtocolError> {
    if text.len() < MIN_TOKEN_LEN {
        return Err(ProtocolError::InvalidToken("shorter than 16 characters"));
    }
    if text.len() > MAX_TOKEN_LEN {
        return Err(ProtocolError::InvalidToken("longer than 256 characters"));
    }
    let body = text.trim_end_matches('=');
    if body.is_empty() {
        return Err(ProtocolError::InvalidToken("only padding"));
    }
    let alphabet =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
    if !body.bytes().all(alphabet) {
        return Err(ProtocolError::InvalidToken(
            "only ASCII letters, digits, '-', '.', '_', '~', '+', '/' and trailing '=' are allowed",
        ));
    }
    Ok(())
}

/// The token of an [`AUTHORIZATION`] header value, `Bearer <token>` (the scheme in
/// any case); `None` if the value has another form.
pub fn parse_bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case(BEARER) && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_generated_tokens() {
        for ok in [
            "0123456789abcdef",
            "s3cr3t-token_with.all~chars+/",
            "dGhpcyBpcyBhIHRva2VuIQ==",
        ] {
            assert!(Token::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_a_header_or_rule_file_cannot_hold() {
        for bad in [
            "short",
            "has a space in it ok",
            "#starts-with-a-hash",
            "0123456789abcdef\n",
            "ünïcödé-0123456789",
            "================",
            "0123456789abcdef=x",
        ] {
            assert!(Token::new(bad).is_err(), "{bad:?}");
        }
        assert!(Token::new("a".repeat(MAX_TOKEN_LEN + 1)).is_err());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = Token::new("0123456789abcdef").expect("token");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
        assert_eq!(token.bearer_header(), "Bearer 0123456789abcdef");
    }

    #[test]
    fn parses_bearer_headers() {
        assert_eq!(parse_bearer("Bearer abc"), Some("abc"));
        assert_eq!(parse_bearer("bearer  abc "), Some("abc"));
        assert_eq!(parse_bearer("Basic abc"), None);
        assert_eq!(parse_bearer("Bearer"), None);
        assert_eq!(parse_bearer("Bearer "), None);
    }
}
