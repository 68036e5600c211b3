//! Running cargo and other programs from the workspace root.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The workspace root: xtask lives one directory below it.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// A `cargo` command in the workspace root, using the cargo that runs xtask (cargo
/// sets `CARGO`), so a toolchain override applies to every step.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(workspace_root());
    command
}

/// Runs `command` to completion with inherited stdio, echoing it first.
pub fn status(command: &mut Command) -> Result<ExitStatus, String> {
    eprintln!("$ {}", display(command));
    command
        .status()
        .map_err(|error| format!("cannot start {}: {error}", display(command)))
}

/// Runs `command`, failing unless it exits successfully.
pub fn run(command: &mut Command) -> Result<(), String> {
    let status = status(command)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed: {status}", display(command)))
    }
}

/// `program arg arg..`, for logs; the program without its directory, so the
/// toolchain's long path does not drown the arguments.
pub fn display(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let mut text = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}
