//! The comparisons the tests state their tolerances with, and JSON output
//! parsed with the text shown when it is not JSON.

/// `|got - want| ≤ rel·|want|`, or `≤ rel·range` for values near zero
/// relative to the field's range (means that vanish by symmetry).
pub fn close(got: f64, want: f64, rel: f64, range: f64) -> bool {
    let d = (got - want).abs();
    d <= rel * want.abs() || d <= rel * range.abs()
}

/// Largest |got − want| over a map, and the map's largest |want| (the
/// scale map tolerances are relative to).
pub fn map_error(got: &[f64], want: &[f64]) -> (f64, f64) {
    assert_eq!(got.len(), want.len(), "map sizes differ");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    (worst, scale)
}

/// `text` (a `&str`, or a process's stdout bytes) parsed as JSON, or a
/// panic showing it.
pub fn json_of<T: AsRef<[u8]> + ?Sized>(text: &T) -> serde_json::Value {
    let b = text.as_ref();
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

/// Asserts that a map is `want` to `rel` of the largest |want| (`rel` 0:
/// bit for bit), the message naming `what` with the worst difference.
pub fn assert_map_close(got: &[f64], want: &[f64], rel: f64, what: &str) {
    let (worst, scale) = map_error(got, want);
    assert!(
        worst <= rel * scale,
        "{what}: {worst:e} of {scale:e} (allowed {rel:e} of it)"
    );
}
