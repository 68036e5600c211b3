//! The check of one request against rules, without a socket.

use http::{HeaderMap, HeaderValue, StatusCode};

use super::*;

const WRITER: &str = "writer-0123456789abcdef";
const READER: &str = "reader-0123456789abcdef";

fn auth(options: AuthOptions) -> Auth {
    let rules =
        Rules::parse(&format!("{WRITER} write pay*\n{READER} read payments\n")).expect("rules");
    Auth::tokens(rules, options)
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
    headers.insert(http::header::AUTHORIZATION, value);
    headers
}

#[test]
fn off_lets_everything_through() {
    let off = Auth::off();
    assert!(!off.is_on());
    for access in [Access::Write("a"), Access::SeedWrite, Access::Index] {
        assert!(matches!(
            off.check(access, &HeaderMap::new()),
            Ok(Scope::All)
        ));
    }
    assert_eq!(off.reload(Rules::default()), Err(ReloadError::TokensOff));
}

#[test]
fn writes_need_a_token_that_covers_the_service() {
    let auth = auth(AuthOptions::default());
    let none = HeaderMap::new();
    let missing = auth
        .check(Access::Write("payments"), &none)
        .expect_err("no token");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.to_string(),
        "this registry needs a write token for service payments: send \"Authorization: Bearer <token>\""
    );
    assert_eq!(
        missing.challenge().expect("challenge"),
        "Bearer realm=\"rollcall\""
    );

    let mut basic = HeaderMap::new();
    basic.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Basic eA=="),
    );
    assert_eq!(
        auth.check(Access::Write("payments"), &basic).map(drop),
        Err(AuthError::Malformed)
    );
    let unknown = auth.check(Access::Write("payments"), &bearer("guess-0123456789abcdef"));
    assert_eq!(unknown.map(drop), Err(AuthError::Unknown));

    let elsewhere = auth
        .check(Access::Write("default"), &bearer(WRITER))
        .expect_err("not covered");
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    assert_eq!(elsewhere.challenge(), None);
    assert_eq!(
        elsewhere.to_string(),
        "this token may not write service default"
    );
    let reader = auth.check(Access::Write("payments"), &bearer(READER));
    assert!(
        matches!(reader, Err(AuthError::NotAllowed { .. })),
        "read is not write"
    );

    assert!(
        auth.check(Access::Write("payments"), &bearer(WRITER))
            .is_ok()
    );
    assert!(
        auth.check(Access::Write("payroll"), &bearer(WRITER))
            .is_ok()
    );
}

#[test]
fn reads_are_open_unless_private() {
    let open = auth(AuthOptions::default());
    assert!(matches!(
        open.check(Access::Read("x"), &HeaderMap::new()),
        Ok(Scope::All)
    ));
    assert!(matches!(
        open.check(Access::Index, &HeaderMap::new()),
        Ok(Scope::All)
    ));

    let private = auth(AuthOptions {
        private_reads: true,
        ..AuthOptions::default()
    });
    let missing = private.check(Access::Read("payments"), &HeaderMap::new());
    assert!(matches!(missing, Err(AuthError::Missing { .. })));
    assert!(
        private
            .check(Access::Read("payments"), &bearer(READER))
            .is_ok()
    );
    assert!(
        private.check(Access::Read("pay2"), &bearer(WRITER)).is_ok(),
        "write implies read"
    );
    let other = private.check(Access::Read("default"), &bearer(READER));
    assert!(matches!(other, Err(AuthError::NotAllowed { .. })));

    let index = private
        .check(Access::Index, &bearer(READER))
        .expect("index");
    assert!(index.can_read("payments"));
    assert!(!index.can_read("payroll") && !index.can_read("default"));
    assert!(matches!(
        private.check(Access::Index, &HeaderMap::new()),
        Err(AuthError::Missing { service: None, .. })
    ));
}

#[test]
fn the_seed_path_is_a_write_of_default_unless_open() {
    let closed = auth(AuthOptions::default());
    let missing = closed.check(Access::SeedWrite, &HeaderMap::new());
    assert!(
        matches!(&missing, Err(AuthError::Missing { service: Some(s), .. }) if s == "default"),
        "{missing:?}"
    );
    let open = auth(AuthOptions {
        seed_open: true,
        ..AuthOptions::default()
    });
    assert!(matches!(
        open.check(Access::SeedWrite, &HeaderMap::new()),
        Ok(Scope::All)
    ));
    assert!(
        open.check(Access::Write("default"), &HeaderMap::new())
            .is_err(),
        "JSON writes still need one"
    );
}

#[test]
fn a_reload_replaces_the_rules_for_every_clone() {
    let auth = auth(AuthOptions::default());
    let clone = auth.clone();
    let fresh = "fresh-0123456789abcdefg";
    let rules = Rules::parse(&format!("{fresh} write *")).expect("rules");
    auth.reload(rules).expect("on");
    assert_eq!(clone.rule_count(), 1);
    assert!(clone.check(Access::Write("a"), &bearer(fresh)).is_ok());
    assert_eq!(
        clone
            .check(Access::Write("payments"), &bearer(WRITER))
            .map(drop),
        Err(AuthError::Unknown)
    );
}

#[test]
fn debug_output_never_shows_a_token() {
    let shown = format!("{:?}", auth(AuthOptions::default()));
    assert!(
        !shown.contains(WRITER) && !shown.contains(READER),
        "{shown}"
    );
    assert!(shown.contains("rules: 2"), "{shown}");
}
