//! Errors of the file layer: every one names the file, where in it, and what
//! was expected.

use std::path::{Path, PathBuf};

/// Anything that can go wrong while reading a RAMSES output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system could not read a file or folder.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes of a binary file do not have the expected layout.
    #[error("{path}: record {record} ({what}) at byte {offset}: {problem}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based index of the Fortran record.
        record: usize,
        /// What the record should hold.
        what: String,
        /// Byte offset of the record's leading marker.
        offset: usize,
        /// What was wrong: what was expected and what was found.
        problem: String,
    },
    /// A text file (info, descriptor, header) could not be understood.
    #[error("{path}: line {line}: {problem}")]
    Text {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0: the file as a whole).
        line: usize,
        /// What was expected and what was found.
        problem: String,
    },
    /// Files of one output disagree with each other.
    #[error("{path}: {problem}")]
    Inconsistent {
        /// The file in which the disagreement was found.
        path: PathBuf,
        /// What disagrees with what.
        problem: String,
    },
    /// An error found earlier (when the output was opened) and kept.
    #[error("{0}")]
    Shared(std::sync::Arc<Error>),
    /// A valid output that this version of amrkit cannot read.
    #[error("{path}: unsupported: {problem}")]
    Unsupported {
        /// The file or folder.
        path: PathBuf,
        /// What is not supported.
        problem: String,
    },
}

/// Result with the file layer's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io_err(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
    Error::Io {
        path: path.into(),
        source,
    }
}

/// An [`Error::Inconsistent`] about `path`.
pub(crate) fn inconsistent(path: &Path, problem: String) -> Error {
    Error::Inconsistent {
        path: path.to_path_buf(),
        problem,
    }
}
