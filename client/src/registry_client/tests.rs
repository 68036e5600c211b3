use std::time::Duration;

use super::fake::{FakeTransport, json, reply};
use super::*;
use crate::protocol::{ErrorBody, Instance, InstanceList, ListVersion, RegisterResponse};
use http::header::AUTHORIZATION;

fn req(addr: &str) -> RegisterRequest {
    RegisterRequest {
        addr: addr.to_owned(),
        metadata: Default::default(),
        weight: None,
        ttl_ms: None,
    }
}

#[tokio::test]
async fn seed_register_sends_the_header_and_reads_the_ttl() {
    let fake = FakeTransport::new(|r| {
        let ttl = if r.headers().get(HEADER_SERVER).is_some() {
            "30000"
        } else {
            "x"
        };
        Ok(reply(200, &[(HEADER_TTL_MS, ttl)], ""))
    });
    let client = RegistryClient::new(
        fake.clone(),
        RegistryEndpoint::seed("http://r/_rpc_/registry"),
    );
    let ttl = client.register(&req("tcp@h:1")).await.expect("register");
    assert_eq!(ttl, Duration::from_secs(30));
    let sent = &fake.requests()[0];
    assert_eq!(sent.method(), Method::POST);
    assert_eq!(sent.uri(), "http://r/_rpc_/registry");
    assert_eq!(sent.headers()[HEADER_SERVER], "tcp@h:1");
}

#[tokio::test]
async fn seed_register_without_ttl_header_assumes_the_seed_default() {
    let fake = FakeTransport::new(|_| Ok(reply(200, &[], "")));
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
    let ttl = client.register(&req("h:1")).await.expect("register");
    assert_eq!(ttl, protocol::DEFAULT_TTL);
}

#[tokio::test]
async fn seed_list_splits_trims_and_drops_empties() {
    let fake = FakeTransport::new(|_| Ok(reply(200, &[(HEADER_SERVERS, " a:1, ,b:2,")], "")));
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
    let list = client
        .list(Some(ListVersion {
            epoch: 1,
            revision: 3,
            warming: false,
        }))
        .await
        .expect("list")
        .expect("always changed");
    assert_eq!(list.revision, 0);
    assert!(!list.warming);
    assert_eq!(
        list.instances,
        vec![Instance::from_addr("a:1"), Instance::from_addr("b:2")]
    );
}

#[tokio::test]
async fn seed_list_reads_the_warming_header() {
    let fake = FakeTransport::new(|_| {
        Ok(reply(
            200,
            &[(HEADER_SERVERS, "a:1"), (HEADER_WARMING, "true")],
            "",
        ))
    });
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
    let list = client.list(None).await.expect("list").expect("changed");
    assert!(list.warming);
}

#[tokio::test]
async fn seed_errors_carry_the_plain_text_reason() {
    let fake = FakeTransport::new(|_| Ok(reply(400, &[], "missing X-rpc-Server\n")));
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"));
    let err = client.register(&req("h:1")).await.expect_err("400");
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().ends_with("missing X-rpc-Server"), "{err}");
}

#[tokio::test]
async fn json_register_posts_the_body_and_returns_the_granted_ttl() {
    let fake = FakeTransport::new(|r| {
        let sent: RegisterRequest = serde_json::from_slice(r.body()).expect("body");
        Ok(json(
            201,
            &RegisterResponse {
                service: "svc".into(),
                addr: sent.addr,
                ttl_ms: 9_000,
                created: true,
                revision: 1,
            },
        ))
    });
    let client = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r:1/", "svc"));
    let ttl = client.register(&req("h:1")).await.expect("register");
    assert_eq!(ttl, Duration::from_secs(9));
    let sent = &fake.requests()[0];
    assert_eq!(sent.uri(), "http://r:1/v1/services/svc/instances");
    assert_eq!(sent.headers()[CONTENT_TYPE], "application/json");
}

#[tokio::test]
async fn json_list_sends_the_revision_and_maps_304_to_none() {
    let fake = FakeTransport::new(|r| match r.headers().get(IF_NONE_MATCH) {
        Some(tag) if tag == "\"2a.7\"" => Ok(reply(304, &[], "")),
        _ => Ok(json(
            200,
            &InstanceList {
                service: "svc".into(),
                epoch: 42,
                revision: 7,
                warming: false,
                stale: false,
                instances: vec![Instance::from_addr("h:1")],
            },
        )),
    });
    let client = RegistryClient::new(fake, RegistryEndpoint::json("http://r:1", "svc"));
    let list = client.list(None).await.expect("list").expect("changed");
    assert_eq!(list.revision, 7);
    assert_eq!(client.list(Some(list.version())).await.expect("list"), None);
    // The same revision of another registry run is not the same list.
    let other_run = ListVersion {
        epoch: 43,
        ..list.version()
    };
    assert!(client.list(Some(other_run)).await.expect("list").is_some());
}

#[tokio::test]
async fn json_errors_malformed_bodies_and_invalid_input() {
    let fake = FakeTransport::new(|r| match *r.method() {
        Method::DELETE => Ok(json(
            404,
            &ErrorBody {
                error: "not registered".into(),
            },
        )),
        _ => Ok(reply(200, &[], "not json")),
    });
    let client = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r:1", "svc"));
    let err = client.deregister("tcp@h:1").await.expect_err("404");
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().ends_with("not registered"), "{err}");
    assert_eq!(
        fake.requests()[0].uri(),
        "http://r:1/v1/services/svc/instances/tcp@h:1"
    );
    let err = client.list(None).await.expect_err("malformed");
    assert!(matches!(err, Error::Malformed { .. }), "{err:?}");
    let err = client.register(&req("a,b")).await.expect_err("invalid");
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    let bad = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r:1", "a/b"));
    assert!(matches!(bad.list(None).await, Err(Error::Protocol(_))));
    assert_eq!(fake.count(), 2, "invalid input is refused before sending");
}

#[tokio::test(start_paused = true)]
async fn requests_time_out() {
    let fake = FakeTransport::delayed(|_| (Duration::from_secs(60), Ok(reply(200, &[], ""))));
    let client = RegistryClient::new(fake, RegistryEndpoint::seed("http://r/_rpc_/registry"))
        .with_timeout(Duration::from_secs(2));
    let err = client.list(None).await.expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_token_goes_with_every_request_and_never_into_debug() {
    let fake = FakeTransport::new(|r| {
        Ok(match *r.method() {
            Method::POST => json(
                201,
                &RegisterResponse {
                    service: "s".into(),
                    addr: "h:1".into(),
                    ttl_ms: 1000,
                    created: true,
                    revision: 1,
                },
            ),
            Method::DELETE => reply(204, &[], ""),
            _ => json(
                200,
                &InstanceList {
                    service: "s".into(),
                    epoch: 1,
                    revision: 1,
                    warming: false,
                    stale: false,
                    instances: Vec::new(),
                },
            ),
        })
    });
    let secret = "s3cret-0123456789abcdef";
    let client = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r", "s"))
        .with_token(Token::new(secret).expect("token"));
    client.register(&req("h:1")).await.expect("register");
    client.list(None).await.expect("list");
    client.deregister("h:1").await.expect("deregister");
    let sent = fake.requests();
    assert_eq!(sent.len(), 3);
    for request in &sent {
        assert_eq!(
            request.headers()[AUTHORIZATION],
            "Bearer s3cret-0123456789abcdef",
            "{} {}",
            request.method(),
            request.uri()
        );
    }
    assert!(!format!("{client:?}").contains(secret));

    let anonymous = RegistryClient::new(fake.clone(), RegistryEndpoint::json("http://r", "s"));
    anonymous.list(None).await.expect("list");
    assert!(fake.requests()[3].headers().get(AUTHORIZATION).is_none());
}
