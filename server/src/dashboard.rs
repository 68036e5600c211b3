//! The browser dashboard's files, served at `/` of the registry's listen address.
//!
//! The bundle (`index.html`, the wasm-bindgen glue, the `.wasm`, the stylesheet) is
//! read into memory once at startup: requests never touch the file system, so no
//! path can escape the directory and a missing file is a plain 404.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use bytes::Bytes;

/// Largest file the dashboard loads (the release `.wasm` is well under this).
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// One file of the bundle with its content type.
#[derive(Debug, Clone)]
pub struct Asset {
    pub content_type: &'static str,
    pub body: Bytes,
}

/// The dashboard bundle, by URL path (`/index.html`, `/web_demo.js`, ...).
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    assets: BTreeMap<String, Asset>,
}

impl Dashboard {
    /// Loads every regular file directly inside `dir` (not subdirectories).
    pub fn load(dir: &Path) -> io::Result<Dashboard> {
        let mut assets = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
                continue;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let body = Bytes::from(std::fs::read(entry.path())?);
            let content_type = content_type(&name);
            assets.insert(format!("/{name}"), Asset { content_type, body });
        }
        if !assets.contains_key("/index.html") {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} has no index.html", dir.display()),
            ));
        }
        Ok(Dashboard { assets })
    }

    /// The asset at `path`; `/` is `/index.html`.
    pub fn get(&self, path: &str) -> Option<&Asset> {
        let path = if path == "/" { "/index.html" } else { path };
        self.assets.get(path)
    }

    /// How many files were loaded.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// Whether no file was loaded.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }
}

/// The content type for a file name; `application/wasm` matters: browsers refuse to
/// stream-compile a module served as anything else.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_directory_and_maps_root_to_index() {
        let dir = std::env::temp_dir().join(format!("rollcall-dash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("index.html"), "<h1>x</h1>").expect("write");
        std::fs::write(dir.join("app_bg.wasm"), [0u8, 97, 115, 109]).expect("write");
        let dashboard = Dashboard::load(&dir).expect("load");
        assert_eq!(dashboard.len(), 2);
        let index = dashboard.get("/").expect("index");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert_eq!(&index.body[..], b"<h1>x</h1>");
        assert_eq!(
            dashboard.get("/app_bg.wasm").map(|a| a.content_type),
            Some("application/wasm")
        );
        assert!(dashboard.get("/../etc/passwd").is_none());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_directory_without_index_is_an_error() {
        let dir = std::env::temp_dir().join(format!("rollcall-dash-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        assert!(Dashboard::load(&dir).is_err());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
