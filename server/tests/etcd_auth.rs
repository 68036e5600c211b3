//! Frontends over an etcd with authentication on, as real `rollcall serve`
//! processes: with a user whose role may use the prefix, every write, expiry and
//! read works, also after etcd has made the frontend's token invalid (a password
//! change does, even to the same password; so does etcd's idle token TTL): the
//! frontend authenticates again. Without credentials, with a wrong password,
//! or with a user that may not use the prefix, the start stops at once with etcd's
//! reason instead of retrying for the start timeout.
#![cfg(unix)]

pub mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::etcd::Etcd;
use common::eventually;
use common::frontend::{Frontend, addrs};
use common::process::{run_to_end, said};
use etcd_client::{Client, ConnectOptions, Permission, RoleRevokePermissionOptions};
use tokio::sync::OnceCell;

/// The prefix the `frontend` user may read and write; `nobody` may use nothing.
const PREFIX: &str = "/auth-test";
const FRONTEND_USER: &str = "frontend";
const FRONTEND_PASSWORD: &str = "frontend-password-0123";
const NOBODY_USER: &str = "nobody";
const NOBODY_PASSWORD: &str = "nobody-password-0123";
const ROOT_PASSWORD: &str = "root-password-0123";

/// Turns authentication on in this binary's etcd, once: a `root` user (etcd
/// needs one), `frontend` with read and write on [`PREFIX`], `nobody` with no role.
async fn auth_on() -> &'static Etcd {
    static ON: OnceCell<()> = OnceCell::const_new();
    let etcd = Etcd::shared();
    ON.get_or_init(|| async {
        let mut admin = Client::connect([etcd.endpoint.as_str()], None)
            .await
            .expect("connect to etcd");
        admin
            .user_add("root", ROOT_PASSWORD, None)
            .await
            .expect("root");
        admin.role_add("root").await.expect("role root");
        admin
            .user_grant_role("root", "root")
            .await
            .expect("root's role");
        admin.role_add("rollcall").await.expect("role rollcall");
        let prefix = Permission::read_write(PREFIX).with_prefix();
        admin
            .role_grant_permission("rollcall", prefix)
            .await
            .expect("the prefix for rollcall");
        admin
            .user_add(FRONTEND_USER, FRONTEND_PASSWORD, None)
            .await
            .expect("frontend");
        admin
            .user_grant_role(FRONTEND_USER, "rollcall")
            .await
            .expect("frontend's role");
        admin
            .user_add(NOBODY_USER, NOBODY_PASSWORD, None)
            .await
            .expect("nobody");
        admin.auth_enable().await.expect("authentication on");
    })
    .await;
    etcd
}

/// A client of this binary's etcd acting as `root`, once authentication is on.
async fn admin(etcd: &Etcd) -> Client {
    let root = ConnectOptions::new().with_user("root", ROOT_PASSWORD);
    Client::connect([etcd.endpoint.as_str()], Some(root))
        .await
        .expect("connect as root")
}

/// A password file holding `password` and a newline, removed when dropped.
struct PasswordFile(PathBuf);

impl PasswordFile {
    fn new(name: &str, password: &str) -> PasswordFile {
        let path =
            std::env::temp_dir().join(format!("rollcall-etcd-pw-{}-{name}", std::process::id()));
        std::fs::write(&path, format!("{password}\n")).expect("write the password file");
        PasswordFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for PasswordFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_credentials_every_write_works_also_after_etcd_dropped_the_token() {
    let etcd = auth_on().await;
    let password = PasswordFile::new("good", FRONTEND_PASSWORD);
    let credentials = [
        "--etcd-user",
        FRONTEND_USER,
        "--etcd-password-file",
        password.path(),
    ];
    let frontend = Frontend::start_with(&etcd.endpoint, PREFIX, &credentials);

    let created = frontend
        .register("pay", "10.0.0.1:80", 60_000)
        .await
        .expect("register");
    assert_eq!(created.status, 201, "{}", created.text());
    // Every token etcd gave the frontend is invalid from now on.
    let mut admin = admin(etcd).await;
    admin
        .user_change_password(FRONTEND_USER, FRONTEND_PASSWORD)
        .await
        .expect("the same password again");
    let after = frontend
        .register("pay", "10.0.0.2:80", 2_000)
        .await
        .expect("register");
    assert_eq!(
        after.status,
        201,
        "with a token etcd dropped: {}",
        after.text()
    );
    let renewed = frontend
        .register("pay", "10.0.0.1:80", 60_000)
        .await
        .expect("renew");
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    assert_eq!(
        addrs(&frontend.list("pay").await),
        ["10.0.0.1:80", "10.0.0.2:80"]
    );

    // etcd's expiry reaches the frontend's watch, which was opened with a token.
    eventually(
        "the 2 s instance expires",
        Duration::from_secs(15),
        async || addrs(&frontend.list("pay").await) == ["10.0.0.1:80"],
    )
    .await;
    let leases = frontend
        .get("/v1/services/pay/leases")
        .await
        .expect("leases");
    assert_eq!(leases.status, 200, "{}", leases.text());
    let path = "/v1/services/pay/instances/10.0.0.1:80";
    let gone = common::request(frontend.addr, "DELETE", path, &[], b"")
        .await
        .expect("delete");
    assert_eq!(gone.status, 204, "{}", gone.text());
    assert!(frontend.list("pay").await.instances.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_stop_the_start_at_once_with_etcds_reason() {
    let etcd = auth_on().await;
    let wrong = PasswordFile::new("wrong", "not-the-password-0123");
    let nobody = PasswordFile::new("nobody", NOBODY_PASSWORD);
    let store = [
        "--store",
        "etcd",
        "--etcd-endpoints",
        &etcd.endpoint,
        "--etcd-prefix",
        PREFIX,
    ];
    let cases: [(&[&str], &str); 3] = [
        (&[], "user name is empty"),
        (
            &[
                "--etcd-user",
                FRONTEND_USER,
                "--etcd-password-file",
                wrong.path(),
            ],
            "authentication failed",
        ),
        (
            &[
                "--etcd-user",
                NOBODY_USER,
                "--etcd-password-file",
                nobody.path(),
            ],
            "permission denied",
        ),
    ];
    for (credentials, reason) in cases {
        let args: Vec<&str> = store.iter().chain(credentials).copied().collect();
        let output = run_to_end(&args);
        let said = said(&output);
        assert!(!output.status.success(), "{credentials:?} started");
        assert!(
            said.contains("etcd refused this frontend"),
            "{credentials:?}: {said}"
        );
        assert!(said.contains(reason), "{credentials:?}: {said}");
        assert!(
            !said.contains(FRONTEND_PASSWORD) && !said.contains(NOBODY_PASSWORD),
            "{said}"
        );
    }
}

#[test]
fn a_user_without_a_password_file_or_an_unreadable_one_is_refused() {
    let store = ["--store", "etcd", "--etcd-endpoints", "http://127.0.0.1:9"];
    let alone: Vec<&str> = store
        .iter()
        .copied()
        .chain(["--etcd-user", FRONTEND_USER])
        .collect();
    let output = run_to_end(&alone);
    assert!(!output.status.success());
    assert!(said(&output).contains("--etcd-password-file"));

    let missing = "/nonexistent/rollcall-etcd-password";
    let unreadable: Vec<&str> = store
        .iter()
        .copied()
        .chain([
            "--etcd-user",
            FRONTEND_USER,
            "--etcd-password-file",
            missing,
        ])
        .collect();
    let output = run_to_end(&unreadable);
    let said = said(&output);
    assert!(!output.status.success());
    assert!(
        said.contains("cannot read the etcd password from /nonexistent"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_taken_away_is_answered_503_with_the_reason_and_logged() {
    let etcd = auth_on().await;
    let (prefix, user, password) = ("/auth-revoked", "revoked", "revoked-password-0123");
    let mut admin = admin(etcd).await;
    admin.role_add(user).await.expect("role");
    let permission = Permission::read_write(prefix).with_prefix();
    admin
        .role_grant_permission(user, permission)
        .await
        .expect("grant");
    admin.user_add(user, password, None).await.expect("user");
    admin
        .user_grant_role(user, user)
        .await
        .expect("user's role");
    let file = PasswordFile::new(user, password);
    let credentials = ["--etcd-user", user, "--etcd-password-file", file.path()];
    let mut frontend = Frontend::start_with(&etcd.endpoint, prefix, &credentials);
    let created = frontend
        .register("pay", "10.0.0.1:80", 60_000)
        .await
        .expect("register");
    assert_eq!(created.status, 201, "{}", created.text());

    let all = RoleRevokePermissionOptions::new().with_prefix();
    admin
        .role_revoke_permission(user, prefix, Some(all))
        .await
        .expect("revoke");
    let refused = frontend
        .register("pay", "10.0.0.2:80", 60_000)
        .await
        .expect("register");
    assert_refused(&refused);
    assert!(
        !refused.text().contains("permission denied"),
        "etcd's words stay in the log"
    );
    let logged = frontend.wait_for_log("etcd refused this frontend");
    assert!(logged.contains("permission denied"), "{logged}");
    let list = frontend.list("pay").await;
    assert_eq!(addrs(&list), ["10.0.0.1:80"], "nothing half-written");
    eventually("/readyz says so", Duration::from_secs(10), async || {
        frontend.get("/readyz").await.is_ok_and(|r| r.status == 503)
    })
    .await;
    assert!(frontend.list("pay").await.stale, "reads are marked stale");
    let again = frontend
        .register("pay", "10.0.0.3:80", 60_000)
        .await
        .expect("register");
    assert_refused(&again);

    // Given the permission back, the frontend goes on by itself.
    let permission = Permission::read_write(prefix).with_prefix();
    admin
        .role_grant_permission(user, permission)
        .await
        .expect("grant again");
    eventually("writes taken again", Duration::from_secs(10), async || {
        let reply = frontend.register("pay", "10.0.0.2:80", 60_000).await;
        reply.is_ok_and(|r| r.status == 201)
    })
    .await;
    frontend.wait_for_log("etcd answers again");
    assert!(!frontend.list("pay").await.stale);
}

/// A write answered `503` because etcd refused the frontend.
fn assert_refused(reply: &common::Reply) {
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(
        reply.text().contains("etcd refused this frontend"),
        "{}",
        reply.text()
    );
}
