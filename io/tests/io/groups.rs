//! Outputs in `group_GGGGG/` folders (`IOGROUPSIZEREP`): the real `groups`
//! variant against yt's figures, synthetic outputs of every group size
//! against the same output written flat, and broken group layouts.

use amrkit_io::{CellRequest, FileLayout, Snapshot, SynthPlan, SynthSpec};
use std::path::Path;
use testkit::{close, variant};

fn all_cells(s: &Snapshot) -> CellRequest {
    CellRequest {
        lmax: s.info.levelmax,
        region: None,
        slab: None,
        hydro_vars: (0..s.hydro_fields.len()).collect(),
        grav_vars: (0..s.grav_fields.len()).collect(),
        rt_vars: vec![],
    }
}

#[test]
fn real_group_output_matches_yt() {
    let Some(run) = variant("groups") else {
        return;
    };
    let r = &run.reference;
    let s = Snapshot::open(&run.output).unwrap();
    // The layout comes from the files: 6 CPUs, 2 per group, 3 groups.
    assert_eq!(s.info.ncpu as u64, r["info"]["ncpu"].as_u64().unwrap());
    assert_eq!(s.layout, FileLayout::Groups { size: 2, count: 3 });
    assert!(s.file("amr", 5).ends_with("group_00003/amr_00002.out00005"));
    assert!(s
        .text_file("info_00002.txt")
        .ends_with("group_00001/info_00002.txt"));
    let names: Vec<&str> = s.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names[0], "density");
    let rho = s.hydro_index("density").unwrap();
    let req = all_cells(&s);
    let mut per_level = std::collections::BTreeMap::<u8, u64>::new();
    let (mut mass, mut lo, mut hi) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for icpu in 1..=s.info.ncpu {
        let c = s.read_cpu(icpu, &req).unwrap();
        for (k, &l) in c.level.iter().enumerate() {
            *per_level.entry(l).or_default() += 1;
            let d = c.hydro[rho][k];
            mass += d * (s.info.boxlen * 0.5f64.powi(l as i32)).powi(3);
            lo = lo.min(d);
            hi = hi.max(d);
        }
    }
    for (l, n) in r["cells"]["leaf_cells_per_level"].as_object().unwrap() {
        assert_eq!(
            per_level.get(&l.parse::<u8>().unwrap()).copied(),
            n.as_u64(),
            "level {l}"
        );
    }
    let want = r["gas"]["total_mass_code"].as_f64().unwrap();
    assert!(close(mass, want, 1e-10, 0.0), "mass {mass} vs {want}");
    let d = &r["hydro"]["Density"]["code"];
    assert!(close(lo, d["min"].as_f64().unwrap(), 1e-12, 0.0));
    assert!(close(hi, d["max"].as_f64().unwrap(), 1e-12, 0.0));
    // Region selection opens files in the group folders too.
    let cpus = s.cpus_for_region([0.0; 3], [0.2; 3]).unwrap();
    assert!(!cpus.is_empty() && cpus.len() < s.info.ncpu, "{cpus:?}");
}

fn small_spec(ncpu: usize) -> SynthSpec {
    SynthSpec {
        ncpu,
        levelmin: 3,
        levelmax: 5,
        n_dm: 400,
        n_star: 100,
        ..SynthSpec::default()
    }
}

/// Reads every cell and particle of every CPU.
fn read_everything(s: &Snapshot) -> Vec<(amrkit_io::CpuCells, Vec<amrkit_io::PartColumn>)> {
    let req = all_cells(s);
    let nf = s.part_layout.as_ref().map_or(0, |l| l.fields.len());
    let wanted: Vec<usize> = (0..nf).collect();
    (1..=s.info.ncpu)
        .map(|c| {
            (
                s.read_cpu(c, &req).unwrap(),
                s.read_particles(c, &wanted).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_group_size_reads_like_the_flat_output() {
    let tmp = tempfile::tempdir().unwrap();
    for ncpu in [1, 5, 7] {
        let plan = SynthPlan::new(small_spec(ncpu)).unwrap();
        let flat_dir = tmp.path().join(format!("flat{ncpu}/output_00001"));
        plan.write(&flat_dir).unwrap();
        let flat = Snapshot::open(&flat_dir).unwrap();
        assert_eq!(flat.layout, FileLayout::Flat);
        let want = read_everything(&flat);
        for size in [1, 2, 3, ncpu, ncpu + 3] {
            let dir = tmp.path().join(format!("g{ncpu}_{size}/output_00001"));
            plan.write_grouped(&dir, size).unwrap();
            // Nothing but group folders at the top, as RAMSES writes it.
            assert!(!dir.join("info_00001.txt").exists());
            let s = Snapshot::open(&dir).unwrap();
            let count = ncpu.div_ceil(size);
            let layout = FileLayout::Groups {
                size: size.min(ncpu),
                count,
            };
            assert_eq!(s.layout, layout, "ncpu {ncpu} size {size}");
            assert_eq!(s.hydro_fields, flat.hydro_fields);
            assert_eq!(s.grav_fields, flat.grav_fields);
            assert_eq!(s.part_layout, flat.part_layout);
            assert!(s.part_header_text().unwrap().is_some());
            assert_eq!(read_everything(&s), want, "ncpu {ncpu} size {size}");
        }
    }
}

fn grouped(tmp: &Path, ncpu: usize, size: usize) -> std::path::PathBuf {
    let dir = tmp.join(format!("out{ncpu}_{size}/output_00001"));
    SynthPlan::new(small_spec(ncpu))
        .unwrap()
        .write_grouped(&dir, size)
        .unwrap();
    dir
}

fn open_err(dir: &Path) -> String {
    Snapshot::open(dir).unwrap_err().to_string()
}

#[test]
fn broken_group_layouts_are_refused_naming_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    // A CPU file missing from its group.
    let dir = grouped(tmp.path(), 5, 2);
    std::fs::remove_file(dir.join("group_00002/amr_00001.out00004")).unwrap();
    let e = open_err(&dir);
    assert!(
        e.contains("group_00002") && e.contains("expected CPUs 3..=4"),
        "{e}"
    );
    // A CPU file in the wrong group.
    let dir = grouped(tmp.path(), 5, 2);
    std::fs::rename(
        dir.join("group_00003/amr_00001.out00005"),
        dir.join("group_00002/amr_00001.out00005"),
    )
    .unwrap();
    let e = open_err(&dir);
    assert!(
        e.contains("group_00002") && e.contains("CPUs 3..=5, expected CPUs 3..=4"),
        "{e}"
    );
    // A whole group folder missing.
    let dir = grouped(tmp.path(), 6, 2);
    std::fs::remove_dir_all(dir.join("group_00003")).unwrap();
    let e = open_err(&dir);
    assert!(
        e.contains("group_00003") && e.contains("no CPU files"),
        "{e}"
    );
    // No info file anywhere.
    let dir = grouped(tmp.path(), 4, 2);
    std::fs::remove_file(dir.join("group_00001/info_00001.txt")).unwrap();
    let e = open_err(&dir);
    assert!(
        e.contains("no info_00001.txt") && e.contains("group_XXXXX"),
        "{e}"
    );
    // group_00001 without CPU files: the group size cannot be known.
    let dir = grouped(tmp.path(), 4, 2);
    for c in [1, 2] {
        std::fs::remove_file(dir.join(format!("group_00001/amr_00001.out{c:05}"))).unwrap();
    }
    let e = open_err(&dir);
    assert!(e.contains("group_00001") && e.contains("group size"), "{e}");
    // Empty group folders made ahead of the run (RAMSES's withoutmkdir)
    // beyond the last group are harmless.
    let dir = grouped(tmp.path(), 4, 2);
    std::fs::create_dir(dir.join("group_00003")).unwrap();
    let s = Snapshot::open(&dir).unwrap();
    assert_eq!(s.layout, FileLayout::Groups { size: 2, count: 2 });
    // Text files moved to another group folder are still found.
    let dir = grouped(tmp.path(), 4, 2);
    std::fs::rename(
        dir.join("group_00001/hydro_file_descriptor.txt"),
        dir.join("group_00002/hydro_file_descriptor.txt"),
    )
    .unwrap();
    let s = Snapshot::open(&dir).unwrap();
    assert!(s
        .text_file("hydro_file_descriptor.txt")
        .ends_with("group_00002/hydro_file_descriptor.txt"));
    assert_eq!(s.hydro_fields[4].name, "pressure");
}
