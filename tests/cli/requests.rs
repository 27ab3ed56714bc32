//! Issue 26 on the shared outputs, through the CLI: yt's constants (item
//! 5), one rule for lengths and their units (items 6, 7), opening outputs
//! as yt users name them (item 8), and `export-vtk` never writing two
//! arrays of one name (item 3).

use amrkit_kernels::units::{Quantity, Units, AU, KPC, K_B, MPC, MSOL, M_H, M_P, PC, YR};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The shared data folder (`ramses/`, `ramses-variants/`), or `None` with
/// the reason printed; under `CI=true` a missing folder fails.
fn data() -> Option<PathBuf> {
    let root = std::env::var_os("AMRKIT_TEST_DATA")
        .map(|p| PathBuf::from(p).join(".."))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if root.join("ramses/particles/output_00002").is_dir() {
        return Some(root);
    }
    let msg = format!("shared RAMSES outputs not found under {root:?} (set AMRKIT_TEST_DATA)");
    assert!(
        std::env::var("CI").map_or(true, |c| c != "true"),
        "{msg}: required under CI=true"
    );
    eprintln!("SKIPPED: {msg}");
    None
}

fn amrkit(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_amrkit"))
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .args(args)
        .output()
        .unwrap()
}

/// stdout of a command that must succeed.
fn ok(args: &[&str]) -> String {
    let o = amrkit(args);
    assert!(
        o.status.success(),
        "amrkit {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// stderr of a command that must fail (exit 1, one line).
fn fails(args: &[&str]) -> String {
    let o = amrkit(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "amrkit {args:?} should fail: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    err
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every shared output with a yt mass in Msun: `stats --unit auto` gives
/// it to 1e-12 (yt's solar mass; amrkit's old 1.98892e33 g was 2.5e-4
/// off: 441.05 against 441.16 Msol on `gravity`).
#[test]
fn solar_masses_are_yts() {
    let Some(root) = data() else { return };
    let mut checked = 0;
    for group in ["ramses", "ramses-variants"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(group))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|d| d.join("reference.json").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let r = json(&std::fs::read_to_string(dir.join("reference.json")).unwrap());
            let Some(want) = r["gas"]["yt_total_mass_Msun"].as_f64() else {
                continue;
            };
            let out = dir.join(r["output"].as_str().unwrap_or("output_00002"));
            let st = json(&ok(&["stats", p(&out), "--json", "--unit", "auto"]));
            let got = st["total_mass"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "{dir:?}: {got} Msol, yt {want} (relative {:e})",
                (got - want) / want
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "{checked} outputs checked");
}

/// The constants are unyt's figures (unyt 3.0, `_physical_ratios.py`)
/// through unyt's arithmetic, as `docs/units.md` lists them.
#[test]
fn constants_are_unyts() {
    let same = |a: f64, b: f64, what: &str| {
        assert!((a - b).abs() <= 1e-15 * b.abs(), "{what}: {a:e} vs {b:e}")
    };
    same(MSOL, 1.98841586e30 * 1e3, "Msun");
    same(PC, 1.0 / (3.24077929e-23 / 1e-6) * 100.0, "pc");
    same(KPC, 1e3 * PC, "kpc");
    same(MPC, 1e6 * PC, "Mpc");
    same(AU, 1.0 / 6.68458712e-12 * 100.0, "AU");
    same(YR, 31.5576e6, "yr");
    same(M_H, 1.007947 * 1.660538921e-27 * 1e3, "mh");
    same(M_P, 1.672623110e-27 * 1e3, "mp");
    same(K_B, 1.3806488e-23 * 1e7, "kb");
    // docs/units.md gives every one of them with its source.
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/units.md")).unwrap();
    for name in [
        "`MSOL`", "`PC`", "`KPC`", "`MPC`", "`AU`", "`YR`", "`M_H`", "`M_P`", "`K_B`", "`G`",
    ] {
        assert!(doc.contains(name), "docs/units.md lacks {name}");
    }
}

/// A bare centre is in `--range-unit` (code by default), like the ranges
/// and the radius; a unit may follow any value. Before: the centre was in
/// box units, so `--center 50,50,50` on a box of 100 selected nothing,
/// with exit 0.
#[test]
fn every_length_follows_one_rule() {
    let Some(root) = data() else { return };
    let out = root.join("ramses/particles/output_00002");
    let o = p(&out);
    let n = |args: &[&str]| -> u64 {
        let mut a = vec!["stats", o, "--json"];
        a.extend_from_slice(args);
        json(&ok(&a))["n_leaf_total"].as_u64().unwrap()
    };
    let code = n(&["--center", "50,50,40", "--radius", "10"]);
    assert!(code > 0, "a code-unit centre selects cells");
    assert_eq!(code, n(&["--center", "0.5,0.5,0.4box", "--radius", "10"]));
    assert_eq!(
        code,
        n(&[
            "--center",
            "0.5,0.5,0.4",
            "--range-unit",
            "box",
            "--radius",
            "0.1"
        ])
    );
    assert_eq!(code, n(&["--center", "50,50,40", "--radius", "0.1box"]));
    let ranges = n(&[
        "--center",
        "50,50,40",
        "--xrange=-5,5",
        "--yrange",
        "-5,5",
        "--zrange",
        "-5,5",
    ]);
    assert_eq!(
        ranges,
        n(&[
            "--center",
            "50,50,40",
            "--xrange=-0.05,0.05box",
            "--yrange",
            "-5,5",
            "--zrange",
            "-5,5"
        ])
    );
    assert!(ranges > 0);
    // A region outside the box is an error that says so.
    for args in [
        &["--center", "500,50,50", "--radius", "1"][..],
        &["--center", "50,50,50", "--xrange", "60,70"][..],
    ] {
        let mut a = vec!["stats", o, "--json"];
        a.extend_from_slice(args);
        let e = fails(&a);
        assert!(e.contains("outside the box"), "{args:?}: {e}");
    }
}

/// Unknown unit names are refused with the valid ones for the quantity.
#[test]
fn unknown_units_are_refused_with_the_valid_ones() {
    let Some(root) = data() else { return };
    let out = root.join("ramses/particles/output_00002");
    let o = p(&out);
    let e = fails(&["stats", o, "--radius", "10", "--range-unit", "parsec"]);
    assert!(e.contains("parsec") && e.contains("pc, kpc, Mpc"), "{e}");
    let e = fails(&["stats", o, "--radius", "10furlongs"]);
    assert!(e.contains("furlongs") && e.contains("kpc"), "{e}");
    let e = fails(&[
        "project", o, "--var", "density", "--weight", "mass", "--unit", "furlongs", "--out",
        "x.npy",
    ]);
    assert!(e.contains("furlongs") && e.contains("g/cm^3"), "{e}");
    let u = Units::default();
    let e = u.factor(Quantity::Mass, "parsec").unwrap_err().to_string();
    assert!(e.contains("a mass") && e.contains("Msol"), "{e}");
}

/// yt users pass `…/info_NNNNN.txt`; an output folder may be renamed; a
/// missing output number lists the outputs there.
#[test]
fn outputs_open_as_yt_users_name_them() {
    let Some(root) = data() else { return };
    let out = root.join("ramses/particles/output_00002");
    let want = ok(&["info", p(&out), "--json"]);
    let by_info = ok(&["info", p(&out.join("info_00002.txt")), "--json"]);
    assert_eq!(json(&want)["levelmax"], json(&by_info)["levelmax"]);
    assert_eq!(json(&want)["ncpu"], json(&by_info)["ncpu"]);

    let tmp = tempfile::tempdir().unwrap();
    let renamed = tmp.path().join("my_run_snapshot");
    std::fs::create_dir(&renamed).unwrap();
    for e in std::fs::read_dir(&out).unwrap().flatten() {
        std::fs::copy(e.path(), renamed.join(e.file_name())).unwrap();
    }
    let st = json(&ok(&["stats", p(&renamed), "--json"]));
    let st0 = json(&ok(&["stats", p(&out), "--json"]));
    assert_eq!(st["total_mass"], st0["total_mass"]);

    let e = fails(&["info", p(&root.join("ramses/particles/output_00009"))]);
    assert!(
        e.contains("output_00009") && e.contains("holds output 2"),
        "{e}"
    );
}

/// `--scalars X --vector X` would write two arrays named X (VTK keeps one):
/// refused before anything is read or written.
#[test]
fn export_vtk_never_writes_two_arrays_of_one_name() {
    let Some(root) = data() else { return };
    let out = root.join("ramses-variants/rt3d/output_00002");
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("vtk/rt");
    let e = fails(&[
        "export-vtk",
        p(&out),
        "--scalars",
        "photon_flux_01",
        "--vector",
        "photon_flux_01",
        "--out",
        p(&prefix),
    ]);
    assert!(e.contains("two arrays named `photon_flux_01`"), "{e}");
    assert!(!tmp.path().join("vtk").exists(), "nothing written");
    let e = fails(&[
        "export-vtk",
        p(&out),
        "--scalars",
        "density,density",
        "--out",
        p(&prefix),
    ]);
    assert!(e.contains("twice"), "{e}");
    // With --log the scalar is log10_photon_flux_01: no clash.
    ok(&[
        "-q",
        "export-vtk",
        p(&out),
        "--scalars",
        "photon_flux_01",
        "--vector",
        "photon_flux_01",
        "--log",
        "--lmax",
        "5",
        "--out",
        p(&prefix),
    ]);
    let vtu = std::fs::read(tmp.path().join("vtk/rt_level_05.vtu")).unwrap();
    let vtu = String::from_utf8_lossy(&vtu);
    assert_eq!(vtu.matches("Name=\"photon_flux_01\"").count(), 1);
    assert_eq!(vtu.matches("Name=\"log10_photon_flux_01\"").count(), 1);
}

/// Every argument is checked before any work, and `particles` takes
/// `--unit` (items 7, 11): `--family DM` shows no star ages, a bad
/// `--axis` or `--unit` fails before anything is printed or written.
#[test]
fn arguments_are_checked_before_any_work() {
    let Some(root) = data() else { return };
    let out = root.join("ramses/particles/output_00002");
    let o = p(&out);
    let dm = ok(&["particles", o, "--family", "DM"]);
    assert!(dm.contains("DM") && !dm.contains("star"), "{dm}");
    let tmp = tempfile::tempdir().unwrap();
    let npy = tmp.path().join("m.npy");
    for args in [
        vec!["particles", o, "--axis", "w", "--out", p(&npy)],
        vec!["particles", o, "--unit", "furlongs"],
        vec!["particles", o, "--deposit", "tsc"],
        vec![
            "project",
            o,
            "--var",
            "density",
            "--weight",
            "mass",
            "--unit",
            "furlongs",
            "--out",
            p(&npy),
        ],
        vec!["project", o, "--var", "density", "--out", "map.txt"],
    ] {
        let r = amrkit(&args);
        assert_eq!(r.status.code(), Some(1), "{args:?}");
        assert!(
            r.stdout.is_empty(),
            "{args:?} printed {}",
            String::from_utf8_lossy(&r.stdout)
        );
        assert!(!npy.exists(), "{args:?} wrote a map");
    }
    let e = fails(&["particles", o, "--unit", "furlongs"]);
    assert!(e.contains("a mass") && e.contains("Msol"), "{e}");
    let code = json(&ok(&["particles", o, "--json"]));
    let named = json(&ok(&["particles", o, "--json", "--unit", "auto"]));
    assert_eq!(named["units"]["total_mass"], "Msol");
    let msol = 1.98841586e33 / 4.877078249527188e31; // code masses per Msol here
    let (c, n) = (
        code["DM"]["total_mass"].as_f64().unwrap(),
        named["DM"]["total_mass"].as_f64().unwrap(),
    );
    assert!((n * msol - c).abs() <= 1e-12 * c, "{n} Msol vs {c} code");
}

/// `info` says when a run has no physical units (not "= 0.0000 Myr") and
/// shows unit_l, unit_d, unit_t and gamma (item 12).
#[test]
fn info_shows_units_and_gamma() {
    let Some(root) = data() else { return };
    for (run, unitless) in [("sedov3d", true), ("particles", false), ("gravity", false)] {
        let dir = root.join("ramses").join(run);
        let r = json(&std::fs::read_to_string(dir.join("reference.json")).unwrap());
        let out = dir.join("output_00002");
        let text = ok(&["info", p(&out)]);
        assert_eq!(text.contains("no physical units"), unitless, "{text}");
        assert!(!text.contains("= 0.0000 Myr"), "{text}");
        assert!(
            text.contains("unit_l") && text.contains("unit_d") && text.contains("unit_t"),
            "{text}"
        );
        let gamma = r["info"]["gamma_yt"].as_f64().unwrap();
        assert!(text.contains(&format!("gamma {gamma}")), "{text}");
        let j = json(&ok(&["info", p(&out), "--json"]));
        assert_eq!(j["gamma"].as_f64(), Some(gamma));
        assert_eq!(j["unitless"], unitless);
    }
}

/// `amrkit tune` says where it stores its thread count; `--show` prints
/// it, `bench` mentions it, `--reset` forgets it (item 9).
#[test]
fn tune_state_is_shown_and_reset() {
    let Some(root) = data() else { return };
    let out = root.join("ramses/particles/output_00002");
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| -> String {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_amrkit"))
            .env("HOME", home.path())
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env_remove("AMRKIT_NO_TUNE_CACHE")
            .env_remove("AMRKIT_NUM_THREADS")
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let file = home.path().join("cache/amrkit/tune.json");
    assert!(run(&["tune", "--show"]).contains("nothing stored"));
    let t = run(&["-q", "tune", p(&out), "--samples", "1"]);
    assert!(t.contains(file.to_str().unwrap()), "{t}");
    let shown = run(&["tune", "--show"]);
    assert!(
        shown.contains("stored: ") && shown.contains(file.to_str().unwrap()),
        "{shown}"
    );
    assert!(run(&["-q", "bench", p(&out), "--samples", "1"]).contains("stored by amrkit tune"));
    assert!(run(&["tune", "--reset"]).contains("forgot"));
    assert!(!file.exists());
    assert!(run(&["tune", "--show"]).contains("nothing stored"));
}

/// A region that holds no cell centre is an error naming the region flags,
/// not a table of NaN with exit 0 (found by the new-user trial).
#[test]
fn an_empty_selection_is_refused() {
    let Some(root) = data() else { return };
    let out = root.join("ramses/particles/output_00002");
    for args in [
        &[
            "stats",
            p(&out),
            "--center",
            "0.5,0.5,0.5box",
            "--radius",
            "1e-9",
        ][..],
        &[
            "stats",
            p(&out),
            "--json",
            "--center",
            "0.5,0.5,0.5box",
            "--radius",
            "1e-9",
        ][..],
    ] {
        let e = fails(args);
        assert!(e.contains("no leaf cell") && e.contains("--radius"), "{e}");
    }
}
