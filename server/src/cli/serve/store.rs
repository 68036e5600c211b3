//! Which store `rollcall serve` keeps the registry in (`--store`), opened before
//! it listens: the memory registry, or a frontend over etcd, which must load the
//! registry from etcd first.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rollcall_server::{
    DEFAULT_ETCD_START_TIMEOUT, EtcdConfig, EtcdCredentials, EtcdStore, Registry, RegistryConfig,
    Store,
};
use tracing::info;

use super::ServeArgs;
use super::args::StoreKind;

/// The store the command line chose, and what opening it needs.
#[derive(Debug)]
pub(super) enum Choice {
    Memory,
    Etcd {
        config: EtcdConfig,
        /// `--warmup` was given: it has no meaning over etcd.
        warmup: bool,
    },
}

impl Choice {
    /// The choice, with the etcd password read from its file.
    pub(super) fn of(args: &ServeArgs) -> Result<Choice, String> {
        Ok(match args.store {
            StoreKind::Memory => Choice::Memory,
            StoreKind::Etcd => Choice::Etcd {
                config: EtcdConfig {
                    endpoints: args.etcd_endpoints.clone(),
                    prefix: args.etcd_prefix.clone(),
                    timeout: args.etcd_timeout,
                    start_timeout: DEFAULT_ETCD_START_TIMEOUT,
                    credentials: credentials(args)?,
                },
                warmup: args.warmup.is_some(),
            },
        })
    }

    /// The store, ready to serve: over etcd, once the registry is loaded and
    /// followed. A setting etcd cannot honour, or an etcd that stays unreachable
    /// for [`DEFAULT_ETCD_START_TIMEOUT`], stops the start with the reason.
    pub(super) async fn open(self, registry: RegistryConfig) -> Result<Arc<dyn Store>, String> {
        match self {
            Choice::Memory => Ok(Arc::new(Registry::new(registry))),
            Choice::Etcd { warmup: true, .. } => Err(
                "--warmup does not apply with --store etcd: a frontend that starts has lost nothing, the instances are in etcd"
                    .to_owned(),
            ),
            Choice::Etcd { config, .. } => {
                info!(endpoints = ?config.endpoints, prefix = %config.prefix, "loading the registry from etcd");
                let store = EtcdStore::connect(config, registry)
                    .await
                    .map_err(|e| format!("cannot use etcd: {e}"))?;
                Ok(Arc::new(store))
            }
        }
    }
}

/// Longest password file read: a password is a line, not a document.
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

/// `--etcd-user` with the first line of `--etcd-password-file` (clap makes each
/// require the other).
fn credentials(args: &ServeArgs) -> Result<Option<EtcdCredentials>, String> {
    let (Some(user), Some(file)) = (&args.etcd_user, &args.etcd_password_file) else {
        return Ok(None);
    };
    let password = read_password(file)?;
    Ok(Some(EtcdCredentials {
        user: user.clone(),
        password,
    }))
}

/// The first line of `file`, without its line ending; an error naming the file if
/// it cannot be read, is too long, or the line is empty.
fn read_password(file: &Path) -> Result<String, String> {
    let cannot = |why: String| {
        format!(
            "cannot read the etcd password from {}: {why}",
            file.display()
        )
    };
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| {
            f.take(MAX_PASSWORD_FILE_BYTES + 1)
                .read_to_string(&mut text)
        })
        .map_err(|e| cannot(e.to_string()))?;
    if text.len() as u64 > MAX_PASSWORD_FILE_BYTES {
        return Err(cannot(format!(
            "longer than {MAX_PASSWORD_FILE_BYTES} bytes"
        )));
    }
    let password = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if password.is_empty() {
        return Err(cannot("its first line is empty".to_owned()));
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("rollcall-pw-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("write the password file");
        path
    }

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        let unix = file_with("unix", b"s3cret pass\nignored\n");
        assert_eq!(read_password(&unix).as_deref(), Ok("s3cret pass"));
        let dos = file_with("dos", b"s3cret\r\n");
        assert_eq!(read_password(&dos).as_deref(), Ok("s3cret"));
        let bare = file_with("bare", b"s3cret");
        assert_eq!(read_password(&bare).as_deref(), Ok("s3cret"));
    }

    #[test]
    fn an_unusable_password_file_is_refused_with_its_name() {
        for (name, bytes) in [("empty", &b""[..]), ("blank", b"\nsecond line")] {
            let path = file_with(name, bytes);
            let refused = read_password(&path).unwrap_err();
            assert!(refused.contains(&path.display().to_string()), "{refused}");
            assert!(refused.contains("empty"), "{refused}");
        }
        let long = file_with("long", &[b'x'; 5000]);
        assert!(
            read_password(&long)
                .unwrap_err()
                .contains("longer than 4096")
        );
        let missing = Path::new("/nonexistent/rollcall-password");
        assert!(
            read_password(missing)
                .unwrap_err()
                .contains("/nonexistent/rollcall-password")
        );
    }
}
