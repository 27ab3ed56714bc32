//! The columns particle fields are read into: caller-owned slices
//! ([`PartColumnMut`]) and owned vectors ([`PartColumn`]).

use super::ColumnKind;

/// A caller-owned output column for one particle field.
pub enum PartColumnMut<'a> {
    /// For real fields.
    F64(&'a mut [f64]),
    /// For integer fields (ids, levels).
    I64(&'a mut [i64]),
    /// For byte fields (family, tag).
    I8(&'a mut [i8]),
}

/// An owned particle column.
#[derive(Clone, Debug, PartialEq)]
pub enum PartColumn {
    /// Real values.
    F64(Vec<f64>),
    /// Integer values.
    I64(Vec<i64>),
    /// Byte values.
    I8(Vec<i8>),
}

impl PartColumn {
    /// A zeroed column of `n` values of `kind`.
    pub fn zeros(kind: ColumnKind, n: usize) -> PartColumn {
        match kind {
            ColumnKind::F64 => PartColumn::F64(vec![0.0; n]),
            ColumnKind::I64 => PartColumn::I64(vec![0; n]),
            ColumnKind::I8 => PartColumn::I8(vec![0; n]),
        }
    }

    /// A mutable view for [`read_particles_into`](crate::particles::read_particles_into).
    pub fn as_mut(&mut self) -> PartColumnMut<'_> {
        match self {
            PartColumn::F64(v) => PartColumnMut::F64(v),
            PartColumn::I64(v) => PartColumnMut::I64(v),
            PartColumn::I8(v) => PartColumnMut::I8(v),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            PartColumn::F64(v) => v.len(),
            PartColumn::I64(v) => v.len(),
            PartColumn::I8(v) => v.len(),
        }
    }

    /// Whether the column is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` as f64 (ids above 2^53 round).
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            PartColumn::F64(v) => v[i],
            PartColumn::I64(v) => v[i] as f64,
            PartColumn::I8(v) => v[i] as f64,
        }
    }
}
