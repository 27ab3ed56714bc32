//! Errors of the kernels: the file layer's, plus bad requests.

use crate::quantity::Quantity;

/// What can go wrong in a kernel.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// Reading the output failed.
    #[error(transparent)]
    Io(#[from] amrkit_io::Error),
    /// A variable the output does not have.
    #[error("no variable `{name}` (available: {available})")]
    NoVariable {
        /// The name asked for.
        name: String,
        /// What exists.
        available: String,
    },
    /// A unit name that is not one of the quantity's.
    #[error("unknown unit `{unit}` for {} (valid: {valid})", quantity.name())]
    Unit {
        /// The quantity.
        quantity: Quantity,
        /// The unit asked for.
        unit: String,
        /// The names valid for the quantity, comma-separated.
        valid: String,
    },
    /// Any other invalid request.
    #[error("{0}")]
    Invalid(String),
    /// The caller's progress observer asked to stop.
    #[error("cancelled")]
    Cancelled,
    /// Writing an output file failed.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Result with [`KernelError`].
pub type Result<T> = std::result::Result<T, KernelError>;
