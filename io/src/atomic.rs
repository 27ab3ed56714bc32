//! Writing a file whole or not at all: the bytes go to a temporary name in
//! the same folder, which is renamed over the final name only when every
//! byte is written, and removed on failure.

use crate::error::{io_err, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// `<path>.tmp`, beside `path`.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `path` through `fill`, which gets a buffered writer on the
/// temporary file.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = tmp_path(path);
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        fill(&mut w)?;
        w.flush()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        // Name the file the caller asked for, not the temporary one, and
        // say so when its folder is missing.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(crate::error::Error::Inconsistent {
                    path: path.to_path_buf(),
                    problem: format!(
                        "cannot write: the folder {} does not exist (create it first)",
                        parent.display()
                    ),
                });
            }
        }
        return Err(io_err(path, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

/// Writes `bytes` to `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_requested_file_and_the_missing_folder() {
        let dir = std::env::temp_dir().join(format!("amrkit-atomic-{}", std::process::id()));
        let path = dir.join("missing/x.npy");
        let e = write_atomic(&path, b"abc").unwrap_err().to_string();
        assert!(!e.contains("x.npy.tmp"), "{e}");
        assert!(e.contains("x.npy") && e.contains("does not exist"), "{e}");
        std::fs::create_dir_all(&dir).unwrap();
        let ok = dir.join("y.bin");
        write_atomic(&ok, b"abc").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"abc");
        assert!(!tmp_path(&ok).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
