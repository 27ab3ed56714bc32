//! NumPy `.npy` files (format version 1.0, little-endian float64, C
//! order): how maps and profiles leave the CLI for Python.

use amrkit_io::atomic::write_with;
use std::io::Write;
use std::path::Path;

/// Writes a 2D float64 `.npy` (C order, `rows × cols`) via a temporary name.
pub fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f64]) -> amrkit_io::Result<()> {
    write_npy_shape(path, &format!("({rows}, {cols})"), data, 1.0)
}

/// [`write_npy`] of `data` times `factor` (each value multiplied as it is
/// written: no scaled copy of the map).
pub fn write_npy_scaled(
    path: &Path,
    rows: usize,
    cols: usize,
    data: &[f64],
    factor: f64,
) -> amrkit_io::Result<()> {
    write_npy_shape(path, &format!("({rows}, {cols})"), data, factor)
}

/// Writes a 1D float64 array (a profile) as a `.npy` file of shape `(n,)`.
pub fn write_npy_1d(path: &Path, data: &[f64]) -> amrkit_io::Result<()> {
    write_npy_shape(path, &format!("({},)", data.len()), data, 1.0)
}

fn write_npy_shape(path: &Path, shape: &str, data: &[f64], factor: f64) -> amrkit_io::Result<()> {
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n', padded to 64.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.next_multiple_of(64) - total));
    header.push('\n');
    write_with(path, |w| {
        w.write_all(b"\x93NUMPY\x01\x00")?;
        w.write_all(&(header.len() as u16).to_le_bytes())?;
        w.write_all(header.as_bytes())?;
        // The values a chunk at a time (not a second copy of the map).
        let mut chunk = Vec::with_capacity(1 << 16);
        for part in data.chunks(1 << 13) {
            chunk.clear();
            for v in part {
                // `v * 1.0` is `v`, bit for bit (NaNs stay NaN).
                chunk.extend_from_slice(&(v * factor).to_le_bytes());
            }
            w.write_all(&chunk)?;
        }
        Ok(())
    })
}
