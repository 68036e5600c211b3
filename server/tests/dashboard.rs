//! The dashboard bundle served at `/` beside the registry's routes.

pub mod common;

use common::TestServer;
use rollcall_server::{Dashboard, HttpConfig, RegistryConfig};

fn bundle_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rollcall-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>rollcall</title>",
    )
    .expect("index");
    std::fs::write(dir.join("web_demo_bg.wasm"), b"\0asm\x01\0\0\0").expect("wasm");
    dir
}

#[tokio::test]
async fn serves_the_bundle_at_root_and_keeps_the_api() {
    let dir = bundle_dir("dash");
    let http = HttpConfig {
        dashboard: Some(Dashboard::load(&dir).expect("load bundle")),
        ..HttpConfig::default()
    };
    let server = TestServer::with(RegistryConfig::default(), http).await;

    let index = server.get("/").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(index.text().contains("<title>rollcall</title>"));

    let wasm = server.get("/web_demo_bg.wasm").await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    let head = server.send("HEAD", "/web_demo_bg.wasm", &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("8"));
    assert!(head.body.is_empty());

    // The API and the seed path still answer; unknown files are 404; only GET/HEAD.
    assert_eq!(server.get("/v1/services").await.status, 200);
    assert_eq!(server.get("/_rpc_/registry").await.status, 200);
    assert_eq!(server.get("/missing.js").await.status, 404);
    assert_eq!(server.send("POST", "/", &[], b"").await.status, 404);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test]
async fn without_a_dashboard_root_is_not_found() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/").await.status, 404);
    assert_eq!(server.get("/index.html").await.status, 404);
}
