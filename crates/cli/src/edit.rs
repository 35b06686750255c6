//! `\e [FILE]`: edits the query buffer (or the last query, or FILE) in an editor, as
//! psql does. The editor is `$AIRLOCK_EDITOR`, `$EDITOR` or `$VISUAL` (psql reads
//! `PSQL_EDITOR` first), else `vi`, run as `exec EDITOR 'FILE'` by `/bin/sh`.
//!
//! The buffer goes through a temporary file, created new with mode 0600 and removed
//! afterwards: it may hold a statement with a secret value.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming Airlock's editor (psql's `PSQL_EDITOR`).
pub const EDITOR_ENV: &str = "AIRLOCK_EDITOR";

/// Opens `text` (or FILE) in the editor and returns what it holds afterwards; the error
/// is psql's wording.
pub fn edit(text: &str, file: Option<&str>) -> Result<String, String> {
    match file {
        Some(file) => {
            run_editor(Path::new(file))?;
            fs::read_to_string(file).map_err(|e| format!("{file}: {}", crate::run::io_message(&e)))
        }
        None => {
            let temp = TempFile::create(text)?;
            run_editor(&temp.path)?;
            fs::read_to_string(&temp.path).map_err(|e| {
                format!(
                    "could not read \"{}\": {}",
                    temp.path.display(),
                    crate::run::io_message(&e)
                )
            })
        }
    }
}

fn run_editor(path: &Path) -> Result<(), String> {
    let editor = [EDITOR_ENV, "EDITOR", "VISUAL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    let quoted = path.display().to_string().replace('\'', "'\\''");
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("exec {editor} '{quoted}'"))
        .status()
        .map_err(|e| {
            format!(
                "could not start editor \"{editor}\": {}",
                crate::run::io_message(&e)
            )
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("editor \"{editor}\" failed: {status}"))
    }
}

/// A private temporary file, removed when dropped.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn create(text: &str) -> Result<TempFile, String> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("airlock.edit.{}.{n}.sql", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(|e| {
            format!(
                "could not open temporary file \"{}\": {}",
                path.display(),
                crate::run::io_message(&e)
            )
        })?;
        let temp = TempFile { path };
        file.write_all(text.as_bytes()).map_err(|e| {
            format!(
                "could not write \"{}\": {}",
                temp.path.display(),
                crate::run::io_message(&e)
            )
        })?;
        Ok(temp)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
