//! The positioned-read path of `Snapshot` (issue 15: a few `pread`s of the
//! needed byte ranges per CPU file instead of two maps of every file) gives
//! exactly the cells of the reference walk over the whole file in memory
//! (`cpu::read_cpu_cells`), takes that path on every valid output, and on
//! damaged files on disk gives the reference walk's error, word for word:
//! truncated and corrupted headers (`numbl` included, which the positioned
//! path reads with one `pread`) and blocks.

use amrkit_io::cpu::{positioned, read_cpu_cells, CellRequest, CpuCells, CpuFiles, FileBytes};
use amrkit_io::{Snapshot, SynthPlan, SynthSpec, VarKind};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use testkit::boundaries;

/// The reference walk: CPU `icpu`'s files read whole, then parsed in memory.
fn reference(s: &Snapshot, icpu: usize, req: &CellRequest) -> Result<CpuCells, String> {
    let read = |kind: &str, want: bool| -> Option<(PathBuf, Vec<u8>)> {
        let p = s.file(kind, icpu);
        want.then(|| {
            let d = std::fs::read(&p).unwrap();
            (p, d)
        })
    };
    let amr = read("amr", true).unwrap();
    let hydro = read("hydro", !req.hydro_vars.is_empty());
    let grav = read("grav", !req.grav_vars.is_empty());
    let rt = read("rt", !req.rt_vars.is_empty());
    fn fb(f: &Option<(PathBuf, Vec<u8>)>) -> Option<FileBytes<'_>> {
        f.as_ref().map(|(path, data)| FileBytes {
            path: path.as_path(),
            data: data.as_slice(),
        })
    }
    let files = CpuFiles {
        icpu,
        amr: FileBytes {
            path: &amr.0,
            data: &amr.1,
        },
        hydro: fb(&hydro),
        grav: fb(&grav),
        rt: fb(&rt),
    };
    read_cpu_cells(&files, req).map_err(|e| e.to_string())
}

/// `Snapshot::read_cpu` (the positioned path), and whether it fell back to
/// the reference walk.
fn positioned(s: &Snapshot, icpu: usize, req: &CellRequest) -> (Result<CpuCells, String>, bool) {
    let before = positioned::fallbacks();
    let r = s.read_cpu(icpu, req).map_err(|e| e.to_string());
    (r, positioned::fallbacks() > before)
}

/// `Snapshot::stream_cpu`'s groups laid end to end, as a [`CpuCells`]
/// without coordinates: `None` when it leaves the file to the whole read.
/// Each group must start where the one before it of its kind ended and be
/// of one level.
fn streamed(s: &Snapshot, icpu: usize, req: &CellRequest) -> Option<CpuCells> {
    let scan = s.scan_cpu(icpu, req).unwrap();
    let n = scan.len();
    let mut got = CpuCells {
        level: vec![0; n],
        hydro: vec![vec![f64::NAN; n]; req.hydro_vars.len()],
        grav: vec![vec![f64::NAN; n]; req.grav_vars.len()],
        rt: vec![vec![f64::NAN; n]; req.rt_vars.len()],
        ..CpuCells::default()
    };
    let mut next = [0usize; 3];
    let mut scratch = Vec::new();
    let gamma = s
        .stream_cpu(&scan, req, &mut scratch, |kind, g| {
            let (k, cols) = match kind {
                VarKind::Hydro => (0, &mut got.hydro),
                VarKind::Grav => (1, &mut got.grav),
                VarKind::Rt => (2, &mut got.rt),
            };
            assert_eq!(g.first, next[k], "CPU {icpu}: groups out of order");
            next[k] = g.first + g.len;
            got.level[g.first..next[k]].fill(g.level);
            for (c, col) in cols.iter_mut().enumerate() {
                col[g.first..next[k]].copy_from_slice(&g.columns[c][..g.len]);
            }
        })
        .unwrap()?;
    got.gamma = gamma;
    Some(got)
}

/// Requests covering every variable, a shallower `lmax`, single variables
/// and a region.
fn requests(s: &Snapshot) -> Vec<CellRequest> {
    let all = CellRequest {
        lmax: s.info.levelmax,
        region: None,
        slab: None,
        hydro_vars: (0..s.hydro_fields.len()).collect(),
        grav_vars: (0..s.grav_fields.len()).collect(),
        rt_vars: if s.rt_info().is_ok() {
            (0..s.rt_fields.len()).collect()
        } else {
            Vec::new()
        },
    };
    let mut out = vec![all.clone()];
    out.push(CellRequest {
        lmax: s.info.levelmin + 1,
        ..all.clone()
    });
    if !s.hydro_fields.is_empty() {
        out.push(CellRequest {
            hydro_vars: vec![s.hydro_fields.len() - 1],
            grav_vars: vec![],
            rt_vars: vec![],
            ..all.clone()
        });
    }
    if !s.grav_fields.is_empty() {
        out.push(CellRequest {
            hydro_vars: vec![],
            grav_vars: vec![1.min(s.grav_fields.len() - 1)],
            rt_vars: vec![],
            ..all.clone()
        });
    }
    let e = s.info.extent.map(|v| v as f64);
    out.push(CellRequest {
        region: Some((
            [0.1 * e[0], 0.2 * e[1], 0.0],
            [0.6 * e[0], 0.55 * e[1], 0.7 * e[2]],
        )),
        ..all
    });
    out
}

/// Every CPU and request: the positioned path equals the reference walk
/// and does not fall back (unless `may_fall_back`: bisection ordering,
/// whose header the positioned path leaves to the reference walk).
fn check_output(name: &str, out: &Path, may_fall_back: bool) -> usize {
    let s = Snapshot::open(out).unwrap();
    let mut cells = 0;
    for req in requests(&s) {
        for icpu in 1..=s.info.ncpu {
            let want = reference(&s, icpu, &req).unwrap();
            let (got, fell_back) = positioned(&s, icpu, &req);
            assert_eq!(got.as_ref(), Ok(&want), "{name} CPU {icpu} {req:?}");
            assert!(
                may_fall_back || !fell_back,
                "{name} CPU {icpu}: the positioned path fell back on a valid output"
            );
            // Streamed a group at a time: the same cells, levels, values.
            match streamed(&s, icpu, &req) {
                Some(g) => {
                    let w = &want;
                    let bits = |c: &[Vec<f64>]| -> Vec<Vec<u64>> {
                        c.iter()
                            .map(|v| v.iter().map(|x| x.to_bits()).collect())
                            .collect()
                    };
                    assert_eq!(g.level, w.level, "{name} CPU {icpu}: streamed levels");
                    assert_eq!(bits(&g.hydro), bits(&w.hydro), "{name} CPU {icpu}");
                    assert_eq!(bits(&g.grav), bits(&w.grav), "{name} CPU {icpu}");
                    assert_eq!(bits(&g.rt), bits(&w.rt), "{name} CPU {icpu}");
                    assert_eq!(g.gamma, w.gamma);
                }
                None => assert!(may_fall_back, "{name} CPU {icpu}: not streamed"),
            }
            cells += want.len();
        }
    }
    cells
}

#[test]
fn positioned_path_equals_reference_walk_on_real_outputs() {
    let mut cells = 0;
    for run in testkit::runs() {
        cells += check_output(&run.name, &run.output, false);
    }
    for name in [
        "blast2d",
        "sedov1d",
        "mhd3d",
        "single4",
        "groups",
        "bisection",
        "cosmo",
        "rt3d",
        "clumps",
    ] {
        if let Some(run) = testkit::variant(name) {
            cells += check_output(name, &run.output, name == "bisection");
        }
    }
    if testkit::data_root().is_some() {
        assert!(cells > 100_000, "{cells}");
    }
}

#[test]
fn positioned_path_equals_reference_walk_on_synthetic_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    for (ncpu, levelmin, levelmax) in [(1, 3, 5), (7, 3, 6), (64, 4, 6)] {
        let plan = SynthPlan::new(SynthSpec {
            ncpu,
            levelmin,
            levelmax,
            ..SynthSpec::default()
        })
        .unwrap();
        let out = plan.output_dir(&tmp.path().join(format!("n{ncpu}")));
        plan.write(&out).unwrap();
        let cells = check_output(&format!("synth {ncpu}"), &out, false);
        assert!(cells > 0);
    }
}

/// A copy of the `gravity` run (hydro and gravity files), damaged in the
/// files of its last CPU (CPU 1's headers are read by `Snapshot::open`).
struct Damage {
    _tmp: tempfile::TempDir,
    snap: Snapshot,
    icpu: usize,
    amr: (PathBuf, Vec<u8>),
    hydro: (PathBuf, Vec<u8>),
    req: CellRequest,
}

impl Damage {
    fn new() -> Option<Damage> {
        let run = testkit::runs().into_iter().find(|r| r.name == "gravity")?;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("output_00002");
        testkit::copy_tree(&run.output, &out);
        let snap = Snapshot::open(&out).unwrap();
        let icpu = snap.info.ncpu;
        let read = |p: PathBuf| {
            let d = std::fs::read(&p).unwrap();
            (p, d)
        };
        let amr = read(snap.file("amr", icpu));
        let hydro = read(snap.file("hydro", icpu));
        let req = CellRequest {
            lmax: snap.info.levelmax,
            region: None,
            slab: None,
            hydro_vars: vec![0, 4],
            grav_vars: vec![0],
            rt_vars: vec![],
        };
        Some(Damage {
            _tmp: tmp,
            snap,
            icpu,
            amr,
            hydro,
            req,
        })
    }

    /// Writes `amr` and `hydro` as the CPU's files, reads them both ways.
    fn read(
        &self,
        amr: &[u8],
        hydro: &[u8],
    ) -> (Result<CpuCells, String>, Result<CpuCells, String>) {
        std::fs::write(&self.amr.0, amr).unwrap();
        std::fs::write(&self.hydro.0, hydro).unwrap();
        let (got, _) = positioned(&self.snap, self.icpu, &self.req);
        let want = reference(&self.snap, self.icpu, &self.req);
        std::fs::write(&self.amr.0, &self.amr.1).unwrap();
        std::fs::write(&self.hydro.0, &self.hydro.1).unwrap();
        (got, want)
    }

    /// Damaged bytes must give the reference walk's error, naming `file`.
    fn expect_error(&self, what: &str, amr: &[u8], hydro: &[u8], file: &str, words: &[&str]) {
        let (got, want) = self.read(amr, hydro);
        let msg = got.expect_err(what);
        assert_eq!(Some(&msg), want.as_ref().err(), "{what}");
        assert!(msg.contains(file), "{what}: message names {file}: {msg}");
        for w in words {
            assert!(msg.contains(w), "{what}: message says {w:?}: {msg}");
        }
    }
}

fn i32_at(d: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}

fn set_i32(d: &mut [u8], at: usize, v: i32) {
    d[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn damaged_headers_and_blocks_on_disk_give_the_reference_errors() {
    let Some(d) = Damage::new() else { return };
    let (ok, want) = d.read(&d.amr.1, &d.hydro.1);
    assert_eq!(ok, want);
    assert!(ok.unwrap().len() > 1000);
    let amr_name = d.amr.0.file_name().unwrap().to_string_lossy().into_owned();
    let hydro_name = d
        .hydro
        .0
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    // Truncations at, and just after, every record boundary of the amr
    // header and the first body records, and in the middle of `numbl`
    // (record 22), whose read is one `pread` of the table.
    let b = boundaries(&d.amr.1);
    let numbl = (b[21], b[22]);
    let mut cuts: Vec<usize> = b[..b.len().min(60)]
        .iter()
        .flat_map(|&c| [c, c + 3, c + 6])
        .collect();
    cuts.extend([
        numbl.0 + 4,
        (numbl.0 + numbl.1) / 2,
        numbl.1 - 5,
        numbl.1 - 1,
    ]);
    for &cut in &cuts {
        if cut >= d.amr.1.len() {
            continue;
        }
        d.expect_error(
            &format!("amr cut at {cut}"),
            &d.amr.1[..cut],
            &d.hydro.1,
            &amr_name,
            &[],
        );
    }
    // The same in the hydro file, through its last own block.
    let bh = boundaries(&d.hydro.1);
    for &c in bh.iter().step_by((bh.len() / 200).max(1)) {
        for cut in [c, c + 2] {
            if cut >= d.hydro.1.len() {
                continue;
            }
            let what = format!("hydro cut at {cut}");
            d.expect_error(&what, &d.amr.1, &d.hydro.1[..cut], &hydro_name, &[]);
        }
    }
    // Corrupt values of numbl: negative, and counts that move the blocks.
    let ncpu = d.snap.info.ncpu;
    let entry = |ilevel: usize, idom: usize| numbl.0 + 4 + 4 * ((ilevel - 1) * ncpu + (idom - 1));
    let levels = d.snap.info.levelmax as usize;
    let (l, ghost) = (1..=levels)
        .rev()
        .find_map(|l| {
            (i32_at(&d.amr.1, entry(l, d.icpu)) > 0)
                .then(|| {
                    (1..ncpu)
                        .find(|&g| i32_at(&d.amr.1, entry(l, g)) > 0)
                        .map(|g| (l, g))
                })
                .flatten()
        })
        .expect("a level with own and ghost octs");
    for (what, idom, v, words) in [
        (
            "negative count",
            ghost,
            Some(-3),
            &["numbl", "expected ≥ 0"][..],
        ),
        ("own count + 1", d.icpu, None, &["oct counts"][..]),
        ("ghost count + 1", ghost, None, &["oct counts"][..]),
    ] {
        let mut a = d.amr.1.clone();
        let at = entry(l, idom);
        let v = v.unwrap_or(i32_at(&a, at) + 1);
        set_i32(&mut a, at, v);
        d.expect_error(what, &a, &d.hydro.1, &amr_name, words);
    }
    // The markers of headl and taill, which the positioned path steps over.
    for (what, at) in [
        ("headl trailing marker", b[20] - 4),
        ("taill leading marker", b[20]),
    ] {
        let mut a = d.amr.1.clone();
        a[at] ^= 0x10;
        d.expect_error(what, &a, &d.hydro.1, &amr_name, &["record"]);
    }
    // The own block of the deepest level of the hydro file: its pair and
    // its first variable record's marker. Find it by walking the markers.
    let mut at = bh[6];
    let mut own = None;
    let nvar = d.snap.hydro_fields.len();
    for ilevel in 1..=levels {
        for idom in 1..=ncpu {
            let n = i32_at(&d.hydro.1, at + 16) as usize;
            if idom == d.icpu && ilevel == l {
                own = Some(at);
            }
            at += 24;
            if n > 0 {
                at += 8 * nvar * (8 * n + 8);
            }
        }
    }
    let pair = own.expect("own block");
    for (what, off, words) in [
        ("hydro ilevel", pair + 4, &["says level"][..]),
        ("hydro ncache", pair + 16, &["octs, the amr file has"][..]),
        (
            "hydro first record marker",
            pair + 24,
            &["cell variable"][..],
        ),
    ] {
        let mut h = d.hydro.1.clone();
        h[off] ^= 0x01;
        d.expect_error(what, &d.amr.1, &h, &hydro_name, words);
    }
    // Markers of requested records inside the block. On the deepest level
    // every cell is a leaf, so these records are read by `preadv` straight
    // into their columns, and only their markers pass through the buffer:
    // variable 1 of cell 0 (trailing marker) and variable 5 of cell 3 (both).
    let n = i32_at(&d.hydro.1, pair + 16) as usize;
    assert_eq!(l, levels, "the block checked is on the deepest level");
    let rec = |ind: usize, ivar: usize| pair + 24 + (ind * nvar + ivar) * (8 * n + 8);
    for (what, off) in [
        ("var 1 cell 0 trailing marker", rec(0, 0) + 4 + 8 * n),
        ("var 5 cell 3 leading marker", rec(3, 4)),
        ("var 5 cell 3 trailing marker", rec(3, 4) + 4 + 8 * n),
    ] {
        let mut h = d.hydro.1.clone();
        h[off] ^= 0x01;
        d.expect_error(what, &d.amr.1, &h, &hydro_name, &["cell variable"]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random cuts and flipped bytes on disk: the positioned path gives the
    /// reference walk's result (the same cells, or the same error), never a
    /// panic.
    #[test]
    fn random_damage_on_disk_matches_the_reference(
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8),
        target in 0usize..2,
    ) {
        let Some(d) = DAMAGE.as_ref() else { return Ok(()) };
        let mut a = d.amr.1.clone();
        let mut h = d.hydro.1.clone();
        let data = if target == 0 { &mut a } else { &mut h };
        for (i, x) in &flips {
            let k = i.index(data.len());
            data[k] ^= x;
        }
        let (got, want) = d.read(&a, &h);
        prop_assert_eq!(got, want);
        let (a, h) = if target == 0 {
            (&d.amr.1[..cut.index(d.amr.1.len())], &d.hydro.1[..])
        } else {
            (&d.amr.1[..], &d.hydro.1[..cut.index(d.hydro.1.len())])
        };
        let (got, want) = d.read(a, h);
        prop_assert!(got.is_err());
        prop_assert_eq!(got, want);
    }
}

static DAMAGE: std::sync::LazyLock<Option<Damage>> = std::sync::LazyLock::new(Damage::new);

/// `part_scan` keeps a file of at most a page (most files of a run with
/// thousands of CPUs), and `read_particles_scanned` then decodes the kept
/// bytes without opening the file again (it is gone by then); larger files
/// are read again. Both give `read_particles`' columns.
#[test]
fn small_particle_files_are_read_once() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = SynthPlan::new(SynthSpec {
        ncpu: 16,
        levelmin: 4,
        levelmax: 5,
        n_dm: 2000,
        n_star: 40,
        ..SynthSpec::default()
    })
    .unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    let s = Snapshot::open(&out).unwrap();
    let layout = s.particle_layout().unwrap().clone();
    let all: Vec<usize> = (0..layout.fields.len()).collect();
    let (mut small, mut large) = (0, 0);
    for icpu in 1..=s.info.ncpu {
        let want = s.read_particles(icpu, &all).unwrap();
        let path = s.file("part", icpu);
        let len = std::fs::metadata(&path).unwrap().len();
        let scan = s.part_scan(icpu).unwrap();
        assert_eq!(scan.count, want.first().map_or(0, |c| c.len()));
        let kept = len <= 4096;
        if kept {
            small += 1;
            // Gone: only the kept bytes can give the columns now.
            std::fs::remove_file(&path).unwrap();
        } else {
            large += 1;
        }
        let mut got: Vec<amrkit_io::PartColumn> = layout
            .fields
            .iter()
            .map(|f| amrkit_io::PartColumn::zeros(f.kind.column(), scan.count))
            .collect();
        let cols = got.iter_mut().map(|c| c.as_mut()).collect();
        s.read_particles_scanned(icpu, &scan, &all, cols).unwrap();
        assert_eq!(got, want, "CPU {icpu}");
    }
    assert!(
        small > 0 && large > 0,
        "{small} small and {large} large files"
    );
}
