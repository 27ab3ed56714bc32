//! Reading back the `.npy` maps and profiles the CLI writes, independently
//! of the writer.

use std::path::Path;

/// A 2D little-endian float64 `.npy` file: `(rows, cols, values)`.
pub fn read_npy(path: &Path) -> (usize, usize, Vec<f64>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..6], b"\x93NUMPY", "{path:?}: not a .npy file");
    let (hlen, start) = if b[6] == 1 {
        (u16::from_le_bytes([b[8], b[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape = header.split("'shape': (").nth(1).unwrap();
    let dims: Vec<usize> = shape
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let data: Vec<f64> = b[start + hlen..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    // A 1D array (a profile) reads as one column.
    let cols = dims.get(1).copied().unwrap_or(1);
    assert_eq!(data.len(), dims[0] * cols);
    (dims[0], cols, data)
}
