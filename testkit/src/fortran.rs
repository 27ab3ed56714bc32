//! Where the records of a Fortran unformatted file begin: the tests that
//! truncate or corrupt real files cut and patch at record boundaries.

/// Offsets of every record boundary of a Fortran file (little-endian
/// 4-byte markers), the file's start first.
pub fn boundaries(data: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    let mut pos = 0;
    while pos + 4 <= data.len() {
        let n = i32::from_le_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        pos += n + 8;
        out.push(pos);
    }
    out
}
