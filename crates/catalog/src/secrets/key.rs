//! The embedded store's 32-byte key: parsing, generating, and the key file.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{KeyInit, OsRng};
use zeroize::Zeroizing;

use crate::error::{CatalogError, Result};

/// A key for the embedded secret store. Written as 64 hexadecimal digits, in
/// `AIRLOCK_SECRET_KEY` and in the key file. `Debug` never shows it; the bytes are wiped
/// on drop.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; 32]>);

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> SecretKey {
        // Straight into the wiped buffer: no copy of the key is left behind.
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *bytes);
        SecretKey(bytes)
    }

    /// Parses 64 hexadecimal digits (either case); surrounding whitespace is ignored, so
    /// a key file may end with a newline.
    pub fn from_hex(text: &str) -> Option<SecretKey> {
        let text = text.trim().as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(SecretKey(bytes))
    }

    /// The key as 64 lower-case hexadecimal digits.
    pub fn to_hex(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = Zeroizing::new(String::with_capacity(64));
        for byte in self.0.iter() {
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        out
    }

    pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The most a key file is read: 64 digits and some whitespace. A longer file is not a
/// key file, and reading into a buffer that never grows leaves no stray copy of the key
/// in freed memory.
const MAX_KEY_FILE_BYTES: usize = 256;

/// Reads the key file, or `None` if there is none.
pub(crate) fn read_key_file(path: &Path) -> Result<Option<SecretKey>> {
    let io_err = |e| CatalogError::io(format!("read secret key file {}", path.display()), e);
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(e)),
    };
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_BYTES + 1));
    io::Read::take(file, MAX_KEY_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    // Past the bound it is not a key file, whatever its first bytes say.
    let text = if bytes.len() <= MAX_KEY_FILE_BYTES {
        std::str::from_utf8(&bytes).unwrap_or("")
    } else {
        ""
    };
    SecretKey::from_hex(text)
        .map(Some)
        .ok_or_else(|| CatalogError::InvalidSecretKey {
            source_name: format!("key file {}", path.display()),
        })
}

/// Creates the key file with a new key, mode 0600, or returns the key already there.
///
/// The key is written to a private temporary file first and then hard-linked into
/// place: the link either appears complete or fails because a file is already there, so
/// a concurrent opener never reads half a key and an existing key is never overwritten.
pub(crate) fn create_key_file(path: &Path) -> Result<SecretKey> {
    let key = SecretKey::generate();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "airlock.key".to_owned());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", uuid::Uuid::new_v4()));
    let io_err = |what: &str, e| CatalogError::io(format!("{what} {}", path.display()), e);

    let written = (|| {
        let mut file = private_create_new(&tmp)?;
        let mut text = key.to_hex();
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("create secret key file", e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            sync_parent_dir(path);
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key_file(path)?
            .ok_or_else(|| io_err("read secret key file", io::ErrorKind::NotFound.into())),
        Err(e) => Err(io_err("create secret key file", e)),
    }
}

/// Creates a file that does not exist yet, readable and writable by its owner only.
pub(crate) fn private_create_new(path: &Path) -> io::Result<fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes a new directory entry durable. Best effort: not every file system allows
/// opening a directory, and the entry is there either way.
pub(crate) fn sync_parent_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let key = SecretKey::generate();
        let again = SecretKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(*key.0, *again.0);
        assert!(SecretKey::from_hex(&format!(" {}\n", key.to_hex().to_uppercase())).is_some());
        assert!(SecretKey::from_hex("abc").is_none());
        assert!(SecretKey::from_hex(&"g".repeat(64)).is_none());
        assert!(SecretKey::from_hex(&"é".repeat(32)).is_none());
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db.key");
        let first = create_key_file(&path).unwrap();
        let second = create_key_file(&path).unwrap();
        assert_eq!(
            *first.0, *second.0,
            "an existing key file is never replaced"
        );
        assert_eq!(*read_key_file(&path).unwrap().unwrap().0, *first.0);
        // A file far longer than a key is not one (and is not read whole).
        let long = dir.path().join("long.key");
        fs::write(
            &long,
            format!("{}\n{}", first.to_hex().as_str(), " ".repeat(1 << 20)),
        )
        .unwrap();
        assert!(matches!(
            read_key_file(&long),
            Err(CatalogError::InvalidSecretKey { .. })
        ));
        fs::remove_file(&long).unwrap();
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files are removed");
    }
}
