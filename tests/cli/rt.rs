//! RAMSES-RT written by amrkit's synthetic writer and read back: every rt
//! value of every cell bit for bit, for both `info_rt_` layouts (one
//! `rt_c_frac`, or one per level as ramses-2025.05 writes it), with and
//! without `rt_file_descriptor.txt`, flat and in group folders; and bad rt
//! inputs, each refused in one line naming the file and the record or key.

use amrkit_io::rt::RtInfoLayout;
use amrkit_io::synth::{rt_at, RtSpec};
use amrkit_io::{CellRequest, Snapshot, SynthPlan, SynthSpec};
use std::path::{Path, PathBuf};
use testkit::{fails_with, json_of, run_ok};

fn spec(rt: RtSpec) -> SynthSpec {
    SynthSpec {
        ncpu: 3,
        levelmin: 3,
        levelmax: 5,
        n_dm: 0,
        n_star: 0,
        gravity: false,
        rt: Some(rt),
        ..SynthSpec::default()
    }
}

/// Writes `spec` into `dir` (flat, or in group folders of `group` CPUs).
fn write(dir: &Path, spec: SynthSpec, group: Option<usize>) -> PathBuf {
    let plan = SynthPlan::new(spec).unwrap();
    let out = plan.output_dir(dir);
    match group {
        None => plan.write(&out).unwrap(),
        Some(g) => plan.write_grouped(&out, g).unwrap(),
    }
    out
}

/// Every rt value of every leaf cell against the writer's analytic field;
/// returns the number of cells compared.
fn check_every_value(s: &Snapshot, groups: usize) -> usize {
    let req = CellRequest {
        lmax: s.info.levelmax,
        region: None,
        slab: None,
        hydro_vars: vec![0],
        grav_vars: vec![],
        rt_vars: (0..s.rt_fields.len()).collect(),
    };
    let mut n = 0;
    for icpu in 1..=s.info.ncpu {
        let c = s.read_cpu(icpu, &req).unwrap();
        assert_eq!(c.rt.len(), 4 * groups);
        for k in 0..c.len() {
            let dx = 0.5f64.powi(c.level[k] as i32);
            let x = [c.ix[k], c.iy[k], c.iz[k]].map(|i| (i as f64 + 0.5) * dx);
            let want = rt_at(x, groups);
            for (v, col) in c.rt.iter().enumerate() {
                assert_eq!(
                    col[k].to_bits(),
                    want[v].to_bits(),
                    "cpu {icpu} cell {k} var {v}"
                );
            }
            n += 1;
        }
    }
    n
}

#[test]
fn rt_files_round_trip_in_both_info_rt_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut case = 0;
    for per_level in [false, true] {
        for descriptor in [true, false] {
            for group in [None, Some(2)] {
                case += 1;
                let groups = 1 + case % 3;
                let dir = tmp.path().join(format!("case{case}"));
                let rt = RtSpec {
                    groups,
                    per_level_light_speed: per_level,
                    descriptor,
                    ..RtSpec::default()
                };
                let out = write(&dir, spec(rt.clone()), group);
                let s = Snapshot::open(&out).unwrap();
                assert!(s.rt_problem().is_none(), "{:?}", s.rt_problem());
                let names: Vec<&str> = s.rt_fields.iter().map(|f| f.name.as_str()).collect();
                assert_eq!(names.len(), 4 * groups);
                assert_eq!(names[0], "photon_flux_01");
                assert_eq!(names[4 * groups - 1], format!("photon_flux_{groups:02}_z"));
                let info = s.rt_info().unwrap();
                assert_eq!((info.ngroups, info.nrtvar), (groups, 4 * groups));
                assert_eq!(info.unit_pf, rt.unit_pf);
                assert_eq!(info.groups.len(), groups);
                if per_level {
                    assert_eq!(info.layout, RtInfoLayout::PerLevelLightSpeed);
                    assert_eq!(info.rt_c_frac, vec![0.01, 0.005, 0.0025]);
                    assert_eq!(info.rt_c_frac_at(5, 3), 0.0025);
                } else {
                    assert_eq!(info.layout, RtInfoLayout::SingleLightSpeed);
                    assert_eq!(info.rt_c_frac, vec![0.01]);
                }
                let plan = SynthPlan::new(spec(rt)).unwrap();
                let leaves: usize = plan.leaf_cells_per_level().iter().sum();
                assert_eq!(check_every_value(&s, groups), leaves);
                // The CLI: stats has one rt entry per variable; info says
                // which layout.
                let st = json_of(&run_ok(&["stats", "--json"], &out).0);
                assert_eq!(st["rt"].as_object().unwrap().len(), 4 * groups);
                let i = json_of(&run_ok(&["info", "--json"], &out).0);
                assert_eq!(
                    i["rt"]["rt_c_frac"].as_array().unwrap().len(),
                    if per_level { 3 } else { 1 }
                );
            }
        }
    }
}

/// Writes a small RT output and returns (tempdir, output folder).
fn fresh() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = write(tmp.path(), spec(RtSpec::default()), None);
    (tmp, out)
}

/// The gas of a broken rt output is still reported by `stats` (a one-line
/// warning, `rt_error` in the JSON); rt variables fail in one line; both
/// name the file and what is wrong.
fn check_refused(out: &Path, needles: &[&str]) {
    let (so, se) = run_ok(&["stats", "--json"], out);
    let st = json_of(&so);
    assert!(st["n_leaf_total"].as_u64().unwrap() > 0);
    assert!(st["hydro"]["density"].is_object());
    assert!(st.get("rt").is_none(), "{st}");
    let e = st["rt_error"].as_str().unwrap();
    assert_eq!(se.trim().lines().count(), 1, "{se}");
    let e2 = fails_with(
        &[
            "project",
            "--var",
            "photon_flux_02",
            "--out",
            "/dev/null/x.npy",
        ],
        out,
    );
    for n in needles {
        assert!(e.contains(n), "rt_error {e:?} lacks {n:?}");
        assert!(se.contains(n), "stderr {se:?} lacks {n:?}");
        assert!(e2.contains(n), "project error {e2:?} lacks {n:?}");
    }
}

#[test]
fn a_truncated_rt_file_names_the_file_and_its_length() {
    let (_t, out) = fresh();
    let f = out.join("rt_00001.out00002");
    let len = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(len - 100)
        .unwrap();
    check_refused(
        &out,
        &["rt_00001.out00002", &format!("is {} bytes", len - 100)],
    );
    // A header cut inside its records: the record is named.
    let f1 = out.join("rt_00001.out00001");
    let b = std::fs::read(&f1).unwrap();
    std::fs::write(&f1, &b[..20]).unwrap();
    check_refused(&out, &["rt_00001.out00001", "record 2 (nrtvar)"]);
}

#[test]
fn a_descriptor_that_disagrees_with_the_rt_header_is_refused() {
    let (_t, out) = fresh();
    let d = out.join("rt_file_descriptor.txt");
    let text = std::fs::read_to_string(&d).unwrap();
    let fewer: Vec<&str> = text.lines().take(text.lines().count() - 1).collect();
    std::fs::write(&d, fewer.join("\n") + "\n").unwrap();
    check_refused(
        &out,
        &[
            "rt_file_descriptor.txt",
            "lists 11 variables",
            "record 2 (nrtvar)",
            "12",
        ],
    );
}

#[test]
fn a_missing_or_bad_info_rt_is_refused() {
    let (_t, out) = fresh();
    let p = out.join("info_rt_00001.txt");
    let good = std::fs::read_to_string(&p).unwrap();
    std::fs::remove_file(&p).unwrap();
    check_refused(&out, &["info_rt_00001.txt", "missing"]);
    std::fs::write(
        &p,
        good.replace("nRTvar       =          12", "nRTvar       =           8"),
    )
    .unwrap();
    check_refused(
        &out,
        &["info_rt_00001.txt", "nRTvar = 8", "record 2 (nrtvar)"],
    );
    std::fs::write(&p, good.replace("unit_pf", "unit_zz")).unwrap();
    check_refused(&out, &["info_rt_00001.txt", "no `unit_pf =` line"]);
    std::fs::write(
        &p,
        good.replace("rt_c_frac    =   0.1", "rt_c_frac    =   x.1"),
    )
    .unwrap();
    check_refused(&out, &["info_rt_00001.txt", "line 11", "rt_c_frac"]);
}

#[test]
fn rt_variables_load_with_regions_like_hydro_ones() {
    // A region selects the same cells for rt and hydro variables, and the
    // Python-facing request path (`cells_for`) gives rt columns.
    let (_t, out) = fresh();
    let s = Snapshot::open(&out).unwrap();
    let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    let exec = amrkit_kernels::Exec::on(&pool);
    let sel = amrkit_kernels::Selection {
        lmax: None,
        region: Some(amrkit_kernels::Region::Box {
            lo: [0.2, 0.3, 0.4],
            hi: [0.6, 0.7, 0.8],
        }),
        ..Default::default()
    };
    let t = amrkit_kernels::request::cells_for(
        &s,
        &sel,
        &["photon_flux_01", "x", "y", "z"],
        amrkit_kernels::project::Weight::None,
        &exec,
    )
    .unwrap();
    assert!(t.len() > 100);
    let (x, y, z, f) = (
        t.column("x").unwrap(),
        t.column("y").unwrap(),
        t.column("z").unwrap(),
        t.column("photon_flux_01").unwrap(),
    );
    let b = s.info.boxlen;
    for k in 0..t.len() {
        let want = rt_at([x[k] / b, y[k] / b, z[k] / b], 3)[0];
        assert_eq!(f[k].to_bits(), want.to_bits(), "cell {k}");
    }
    let all =
        amrkit_kernels::load_rt(&s, &amrkit_kernels::Selection::default(), &[], &exec).unwrap();
    assert_eq!(all.names.len(), 12);
}
