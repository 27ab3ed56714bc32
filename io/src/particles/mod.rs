//! Particles: `part_NNNNN.outCCCCC`, its descriptor, `header_NNNNN.txt`.
//!
//! A particle file is an 8-record header followed by one record per field,
//! each holding `npart` values. Which fields exist depends on how RAMSES
//! was built, so the layout comes from `part_file_descriptor.txt` when it
//! exists, and otherwise from the record lengths of the old (pre-2018)
//! format: x, y, z, vx, vy, vz, mass, id, level, then optionally birth time
//! and metallicity. Every record's length is checked against the layout.
//!
//! One file a noun: the layout ([`PartLayout`]: the fields and where they
//! are read from), the binary header ([`PartHeader`]), the text header
//! ([`PartHeaderText`]), the inference from record lengths
//! ([`infer_layout`]), the columns read into ([`PartColumn`]) and the read
//! itself ([`read_particles_into`]); family codes ([`family_name`]).

use crate::error::Error;
use std::path::Path;

mod column;
mod family;
mod header;
mod header_text;
mod infer;
mod layout;
mod read;
#[cfg(test)]
mod tests;

pub use column::{PartColumn, PartColumnMut};
pub use family::{family_code, family_name};
pub use header::{read_part_header, PartHeader};
pub use header_text::{parse_part_header_text, PartHeaderText};
pub use infer::infer_layout;
pub use layout::{part_layout, read_layout, ColumnKind, PartField, PartKind, PartLayout};
pub use read::{part_count, read_particles_into};

/// An [`Error::Inconsistent`] naming `path`.
fn fmt_err(path: &Path, problem: String) -> Error {
    Error::Inconsistent {
        path: path.to_path_buf(),
        problem,
    }
}
