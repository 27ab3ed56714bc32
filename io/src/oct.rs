//! An oct's cells: cell `ind` (0 to 2^ndim − 1) of an oct sits at offset
//! `(ind & 1, ind >> 1 & 1, ind >> 2 & 1)` from the oct's first cell, on
//! the grid of the oct's level. The reader and the synthetic writers both
//! number cells this way.

/// Offsets of cell `ind` within its oct.
pub(crate) fn cell_bits(ind: usize) -> [u32; 3] {
    [
        (ind & 1) as u32,
        ((ind >> 1) & 1) as u32,
        ((ind >> 2) & 1) as u32,
    ]
}
