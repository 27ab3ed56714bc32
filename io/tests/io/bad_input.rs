//! Bad input gives clear errors, never a panic: real files truncated at
//! every record boundary and at random offsets, random bytes flipped, and
//! broken folders.

use amrkit_io::cpu::{read_cpu_cells, CellRequest, CpuFiles, FileBytes};
use amrkit_io::Snapshot;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use testkit::boundaries;

struct Files {
    amr: (PathBuf, Vec<u8>),
    hydro: (PathBuf, Vec<u8>),
    grav: Option<(PathBuf, Vec<u8>)>,
    levelmax: u32,
}

fn load(output: &Path) -> Files {
    let s = Snapshot::open(output).unwrap();
    let read = |p: PathBuf| {
        let d = std::fs::read(&p).unwrap();
        (p, d)
    };
    Files {
        amr: read(s.file("amr", 1)),
        hydro: read(s.file("hydro", 1)),
        grav: (!s.grav_fields.is_empty()).then(|| read(s.file("grav", 1))),
        levelmax: s.info.levelmax,
    }
}

fn parse(f: &Files, amr: &[u8], hydro: &[u8], grav: Option<&[u8]>) -> amrkit_io::Result<usize> {
    let files = CpuFiles {
        icpu: 1,
        amr: FileBytes {
            path: &f.amr.0,
            data: amr,
        },
        hydro: Some(FileBytes {
            path: &f.hydro.0,
            data: hydro,
        }),
        grav: grav.map(|data| FileBytes {
            path: &f.grav.as_ref().unwrap().0,
            data,
        }),

        rt: None,
    };
    let req = CellRequest {
        lmax: f.levelmax,
        region: None,
        slab: None,
        hydro_vars: vec![0, 4],
        grav_vars: if grav.is_some() { vec![0] } else { vec![] },
        rt_vars: vec![],
    };
    read_cpu_cells(&files, &req).map(|c| c.len())
}

fn sedov() -> Option<Files> {
    let run = testkit::runs()
        .into_iter()
        .find(|r| r.name == "gravity")
        .or_else(|| testkit::runs().into_iter().next())?;
    Some(load(&run.output))
}

#[test]
fn truncation_at_every_record_boundary_is_an_error() {
    let Some(f) = sedov() else { return };
    let grav = f.grav.as_ref().map(|g| g.1.as_slice());
    let full = parse(&f, &f.amr.1, &f.hydro.1, grav).unwrap();
    assert!(full > 0);
    let mut checked = 0;
    for (which, data) in [("amr", &f.amr.1), ("hydro", &f.hydro.1)] {
        let b = boundaries(data);
        assert_eq!(
            *b.last().unwrap(),
            data.len(),
            "{which}: markers do not tile the file"
        );
        for &cut in &b[..b.len() - 1] {
            for cut in [cut, cut + 2, cut + 5] {
                if cut >= data.len() {
                    continue;
                }
                let t = &data[..cut];
                let r = match which {
                    "amr" => parse(&f, t, &f.hydro.1, grav),
                    _ => parse(&f, &f.amr.1, t, grav),
                };
                let e = r.expect_err("a truncated file must not parse");
                let msg = e.to_string();
                assert!(
                    msg.contains(&format!("{which}_00002")),
                    "message names the file: {msg}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn errors_name_file_record_and_expectation() {
    let Some(f) = sedov() else { return };
    let grav = f.grav.as_ref().map(|g| g.1.as_slice());
    // Break the trailing marker of the hydro file's 2nd record (nvar):
    // bytes 12..16 lead, 16..20 hold nvar, 20..24 trail.
    let mut h = f.hydro.1.clone();
    h[20] ^= 0xFF;
    let msg = parse(&f, &f.amr.1, &h, grav).unwrap_err().to_string();
    assert!(
        msg.contains("hydro_00002.out00001") && msg.contains("record 2") && msg.contains("marker"),
        "{msg}"
    );
    // Another CPU's hydro bytes: its blocks do not line up with this amr
    // file (the oct counts or the record lengths disagree).
    let other = std::fs::read(f.hydro.0.with_extension("out00002")).unwrap();
    let msg = parse(&f, &f.amr.1, &other, grav).unwrap_err().to_string();
    assert!(
        msg.contains("hydro_00002.out00001")
            && (msg.contains("record") || msg.contains("octs") || msg.contains("oct counts")),
        "{msg}"
    );
    // Not a folder / not an output folder.
    let msg = Snapshot::open("/nonexistent/output_00001")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("/nonexistent/output_00001"), "{msg}");
    let msg = Snapshot::open(std::env::temp_dir())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("output_NNNNN"), "{msg}");
}

/// The reader steps over ghost blocks by lengths computed from the header's
/// oct counts (`numbl`, record 22): a wrong count must be an error naming
/// the file, not a read of the wrong bytes.
#[test]
fn corrupt_oct_counts_are_caught() {
    let Some(f) = sedov() else { return };
    let grav = f.grav.as_ref().map(|g| g.1.as_slice());
    let hdr = Snapshot::open(f.amr.0.parent().unwrap()).unwrap();
    let ncpu = hdr.info.ncpu;
    let numbl_at = boundaries(&f.amr.1)[21] + 4;
    let entry = |ilevel: usize, idom: usize| numbl_at + 4 * ((ilevel - 1) * ncpu + (idom - 1));
    let get = |d: &[u8], at: usize| i32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    // Pick the deepest level where the own domain (1) and a ghost domain
    // both have octs.
    let levels = f.levelmax as usize;
    let (l, ghost) = (1..=levels)
        .rev()
        .find_map(|l| {
            (get(&f.amr.1, entry(l, 1)) > 0)
                .then(|| {
                    (2..=ncpu)
                        .find(|&d| get(&f.amr.1, entry(l, d)) > 0)
                        .map(|d| (l, d))
                })
                .flatten()
        })
        .expect("a level with own and ghost octs");
    for (what, idom, delta) in [
        ("own count + 1", 1, 1),
        ("ghost count + 1", ghost, 1),
        ("ghost count − 1", ghost, -1),
    ] {
        let mut a = f.amr.1.clone();
        let at = entry(l, idom);
        let v = get(&a, at) + delta;
        a[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let msg = parse(&f, &a, &f.hydro.1, grav).expect_err(what).to_string();
        assert!(
            msg.contains("amr_00002.out00001") && msg.contains("oct counts"),
            "{what}: {msg}"
        );
    }
}

#[test]
fn missing_cpu_file_is_named() {
    let Some(root) = testkit::data_root() else {
        return;
    };
    let src = testkit::runs().into_iter().next().unwrap().output;
    let dir = std::env::temp_dir()
        .join(format!("amrkit-missing-{}", std::process::id()))
        .join("output_00002");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "hydro_00002.out00003" {
            std::fs::copy(e.path(), dir.join(&name)).unwrap();
        }
    }
    let s = Snapshot::open(&dir).unwrap();
    let req = CellRequest {
        lmax: s.info.levelmax,
        region: None,
        slab: None,
        hydro_vars: vec![0],
        grav_vars: vec![],
        rt_vars: vec![],
    };
    assert!(s.read_cpu(1, &req).is_ok());
    let msg = s.read_cpu(3, &req).unwrap_err().to_string();
    assert!(msg.contains("hydro_00002.out00003"), "{msg}");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    let _ = root;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random cuts and flipped bytes: an error or a result, never a panic,
    /// and never more cells than the octs could hold.
    #[test]
    fn random_damage_never_panics(cut in any::<prop::sample::Index>(),
                                  flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8),
                                  target in 0usize..2) {
        let Some(f) = SEDOV.as_ref() else { return Ok(()) };
        let grav = f.grav.as_ref().map(|g| g.1.as_slice());
        let mut a = f.amr.1.clone();
        let mut h = f.hydro.1.clone();
        let data = if target == 0 { &mut a } else { &mut h };
        for (i, x) in &flips {
            let k = i.index(data.len());
            data[k] ^= x;
        }
        let r1 = parse(f, &a, &h, grav);
        let full = f.amr.1.len() / 8;
        if let Ok(n) = r1 { prop_assert!(n <= full); }
        let data = if target == 0 { &f.amr.1 } else { &f.hydro.1 };
        let k = cut.index(data.len());
        let t = &data[..k];
        let r2 = if target == 0 { parse(f, t, &f.hydro.1, grav) } else { parse(f, &f.amr.1, t, grav) };
        prop_assert!(r2.is_err());
    }
}

static SEDOV: std::sync::LazyLock<Option<Files>> = std::sync::LazyLock::new(sedov);
