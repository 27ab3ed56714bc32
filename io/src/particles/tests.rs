//! Layout inference on synthetic particle files.

use super::*;
use crate::error::Result;

/// A particle file: the 8 header records, then one record per field
/// of `npart` values of `sizes[i]` bytes (value `i` everywhere).
fn part_file(npart: usize, sizes: &[usize]) -> Vec<u8> {
    let mut b = Vec::new();
    let mut rec = |payload: &[u8]| {
        b.extend((payload.len() as i32).to_le_bytes());
        b.extend(payload);
        b.extend((payload.len() as i32).to_le_bytes());
    };
    rec(&1i32.to_le_bytes());
    rec(&3i32.to_le_bytes());
    rec(&(npart as i32).to_le_bytes());
    rec(&[0u8; 16]);
    rec(&0i32.to_le_bytes());
    rec(&0f64.to_le_bytes());
    rec(&0f64.to_le_bytes());
    rec(&0i32.to_le_bytes());
    for (i, &sz) in sizes.iter().enumerate() {
        rec(&vec![i as u8; npart * sz]);
    }
    b
}

fn infer(npart: usize, sizes: &[usize], tokens: Option<&str>) -> Result<PartLayout> {
    let data = part_file(npart, sizes);
    let toks: Vec<String> = tokens
        .map(|t| t.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let h = Path::new("header_00001.txt");
    infer_layout(Path::new("part_00001.out00001"), &data, Some((h, &toks)))
}

fn names_kinds(l: &PartLayout) -> Vec<(&str, PartKind)> {
    l.fields.iter().map(|f| (f.name.as_str(), f.kind)).collect()
}

const BASE8: [usize; 9] = [8, 8, 8, 8, 8, 8, 8, 4, 4];

#[test]
fn current_format_without_extras_needs_no_header() {
    let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1]).collect();
    let l = infer(7, &sizes, None).unwrap();
    assert!(!l.from_descriptor);
    let nk = names_kinds(&l);
    assert_eq!(nk.len(), 11);
    assert_eq!(nk[7], ("identity", PartKind::I32));
    assert_eq!(nk[8], ("levelp", PartKind::I32));
    assert_eq!(nk[9], ("family", PartKind::I8));
    assert_eq!(nk[10], ("tag", PartKind::I8));
    // The layout reads the file back.
    let data = part_file(7, &sizes);
    let mut fam = vec![0i8; 7];
    read_particles_into(
        Path::new("p"),
        &data,
        &l,
        &[9],
        vec![PartColumnMut::I8(&mut fam)],
    )
    .unwrap();
    assert_eq!(fam, vec![9i8; 7]);
}

#[test]
fn long_ids_and_single_precision() {
    // LONGINT: 8-byte ids.
    let sizes: Vec<usize> = [8, 8, 8, 8, 8, 8, 8, 8, 4, 1, 1, 8, 8, 8].to_vec();
    let l = infer(5, &sizes, None).unwrap();
    let nk = names_kinds(&l);
    assert_eq!(nk[7], ("identity", PartKind::I64));
    assert_eq!(
        &nk[11..],
        &[
            ("potential", PartKind::F64),
            ("birth_time", PartKind::F64),
            ("metallicity", PartKind::F64)
        ]
    );
    // NPRE=4: every real is 4 bytes.
    let sizes = [4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 1];
    let l = infer(5, &sizes, None).unwrap();
    assert!(l.fields[..7].iter().all(|f| f.kind == PartKind::F32));
}

#[test]
fn old_format_names_birth_time_then_metallicity() {
    for (extra, want) in [
        (0, vec![]),
        (1, vec!["birth_time"]),
        (2, vec!["birth_time", "metallicity"]),
    ] {
        let sizes: Vec<usize> = BASE8.iter().copied().chain(vec![8; extra]).collect();
        let l = infer(3, &sizes, None).unwrap();
        let names: Vec<&str> = l.fields[9..].iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, want);
        assert!(l.index("family").is_none());
    }
}

#[test]
fn one_or_two_extra_reals_need_the_header_tokens() {
    for extra in [1, 2] {
        let sizes: Vec<usize> = BASE8
            .iter()
            .copied()
            .chain([1, 1])
            .chain(vec![8; extra])
            .collect();
        let e = infer(4, &sizes, None).unwrap_err().to_string();
        assert!(
            e.contains("part_00001.out00001")
                && e.contains("ambiguous")
                && e.contains("header_00001.txt"),
            "{e}"
        );
    }
    // With the header's token line the same records are named.
    let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1, 8]).collect();
    let l = infer(4, &sizes, Some("pos vel mass iord level family tag tform")).unwrap();
    assert_eq!(l.fields[11].name, "birth_time");
    let l = infer(4, &sizes, Some("pos vel mass iord level family tag phi")).unwrap();
    assert_eq!(l.fields[11].name, "potential");
    let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1, 8, 8]).collect();
    let l = infer(
        4,
        &sizes,
        Some("pos vel mass iord level family tag tform metal"),
    )
    .unwrap();
    assert_eq!(l.fields[12].name, "metallicity");
    // Tokens that disagree with the records are refused.
    let e = infer(4, &sizes, Some("pos vel mass iord level family tag tform"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("names 12 fields") && e.contains("13 field records"),
        "{e}"
    );
    let e = infer(
        4,
        &sizes,
        Some("pos vel mass iord level tform metal family tag"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("field record 10 (birth_time) is 4 bytes for 4 particles"),
        "{e}"
    );
}

#[test]
fn impossible_records_are_refused_with_the_record() {
    // Ids of 2 bytes.
    let e = infer(6, &[8, 8, 8, 8, 8, 8, 8, 2, 4, 1, 1], None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field record 8 (identity) is 12 bytes for 6 particles, expected 4 or 8"),
        "{e}"
    );
    // Mass in single precision, positions in double.
    let e = infer(6, &[8, 8, 8, 8, 8, 8, 4, 4, 4], None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field record 7 (mass)") && e.contains("width of the positions"),
        "{e}"
    );
    // A record that is not a whole number of bytes per particle.
    let mut data = part_file(3, &BASE8);
    let n = data.len();
    data.truncate(n - 4 - 12 - 4);
    data.extend(11i32.to_le_bytes());
    data.extend([0u8; 11]);
    data.extend(11i32.to_le_bytes());
    let e = infer_layout(Path::new("p1"), &data, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field record 9 is 11 bytes") && e.contains("3 particles"),
        "{e}"
    );
    // Too few and too many records.
    let e = infer(2, &[8; 5], None).unwrap_err().to_string();
    assert!(
        e.contains("5 field records") && e.contains("at least 9"),
        "{e}"
    );
    let sizes: Vec<usize> = BASE8.iter().copied().chain([1, 1, 8, 8, 8, 8]).collect();
    let e = infer(2, &sizes, None).unwrap_err().to_string();
    assert!(e.contains("more than RAMSES writes"), "{e}");
}

#[test]
fn files_without_particles_give_a_layout_by_record_count() {
    let l = infer(0, &[8, 8, 8, 8, 8, 8, 8, 4, 4, 1, 1], None).unwrap();
    assert_eq!(l.fields.len(), 11);
    assert_eq!(l.fields[9].name, "family");
}
