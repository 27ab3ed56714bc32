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
        return Err(io_err(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

/// Writes `bytes` to `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with(path, |w| w.write_all(bytes))
}
