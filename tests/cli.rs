//! The `amrkit` binary, run as a user would, on the real outputs and on
//! generated snapshots.

mod common;

use common::amrkit;

use common::{close, read_npy, runs};
use serde_json::Value;

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

/// Decodes a map PNG and checks its drawing: the map box (from the
/// `amrkit:map` text chunk) is `nx × ny`, the brightest colour sits where
/// `map` (row j = y, log-scaled) is largest, and there is text (black
/// pixels) under the map (x ticks and label), left of it (y) and right of
/// the colour bar.
fn check_png_map(path: &std::path::Path, map: &[f64], nx: usize, ny: usize) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let boxtext = reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == "amrkit:map")
        .map(|t| t.text.clone())
        .expect("amrkit:map text chunk");
    let b: Vec<usize> = boxtext.split(' ').map(|v| v.parse().unwrap()).collect();
    assert_eq!((b[2], b[3]), (nx, ny), "{boxtext}");
    let mut img = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut img).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    assert!(w > b[0] + nx && h > b[1] + ny, "margins around the map");
    let px = |x: usize, y: usize| {
        [
            img[(y * w + x) * 3],
            img[(y * w + x) * 3 + 1],
            img[(y * w + x) * 3 + 2],
        ]
    };
    let k = (0..map.len())
        .max_by(|&a, &c| map[a].total_cmp(&map[c]))
        .unwrap();
    let (i, j) = (k % nx, k / nx);
    assert_eq!(
        px(b[0] + i, b[1] + ny - 1 - j),
        [252, 242, 140],
        "top colour at the maximum"
    );
    let ink = |x0: usize, x1: usize, y0: usize, y1: usize| {
        (y0..y1).any(|y| (x0..x1).any(|x| px(x, y) == [0, 0, 0]))
    };
    assert!(ink(b[0], b[0] + nx, b[1] + ny + 2, h), "x axis labels");
    assert!(
        ink(0, b[0].saturating_sub(2), b[1], b[1] + ny),
        "y axis labels"
    );
    assert!(
        ink(b[0] + nx + 2, w, 0, b[1]) || ink(w - 20, w, b[1], b[1] + ny),
        "colour bar labels"
    );
}

#[test]
fn info_and_stats_json_match_reference() {
    for run in runs() {
        let out = amrkit()
            .arg("info")
            .arg(&run.output)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success());
        let info = json_of(&out.stdout);
        let r = &run.reference;
        assert_eq!(info["ncpu"], r["info"]["ncpu"]);
        assert_eq!(info["levelmax"], r["info"]["levelmax"]);
        assert!(close(
            info["time_code"].as_f64().unwrap(),
            r["info"]["time_code"].as_f64().unwrap(),
            1e-12,
            0.0
        ));

        let out = amrkit()
            .arg("stats")
            .arg(&run.output)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let st = json_of(&out.stdout);
        assert_eq!(st["n_leaf_total"], r["cells"]["n_leaf_total"]);
        for (l, n) in r["cells"]["leaf_cells_per_level"].as_object().unwrap() {
            assert_eq!(&st["leaf_cells_per_level"][l], n, "level {l}");
        }
        let want = r["gas"]["total_mass_code"].as_f64().unwrap();
        assert!(close(st["total_mass"].as_f64().unwrap(), want, 1e-10, 0.0));
        for (yt, ours, group) in [
            ("Density", "density", "hydro"),
            ("Pressure", "pressure", "hydro"),
            ("x-velocity", "velocity_x", "hydro"),
            ("Potential", "potential", "gravity"),
        ] {
            let refv = &r[group][yt]["code"];
            if refv.is_null() {
                assert!(group == "gravity");
                continue;
            }
            let range = refv["max"].as_f64().unwrap() - refv["min"].as_f64().unwrap();
            for key in ["min", "max", "volume_weighted_mean", "mass_weighted_mean"] {
                let (g, w) = (
                    st[group][ours][key].as_f64().unwrap(),
                    refv[key].as_f64().unwrap(),
                );
                assert!(
                    close(g, w, 1e-10, range),
                    "{} {ours} {key}: {g} vs {w}",
                    run.name
                );
            }
        }
        if let Some(fams) = r["particles"]["families"].as_object() {
            for (name, f) in fams {
                assert_eq!(st["particles"][name]["count"], f["count"]);
                let w = f["total_mass_code"].as_f64().unwrap();
                assert!(close(
                    st["particles"][name]["total_mass"].as_f64().unwrap(),
                    w,
                    1e-10,
                    0.0
                ));
            }
        }
    }
}

#[test]
fn project_writes_the_reference_maps() {
    let tmp = tempfile::tempdir().unwrap();
    for run in runs() {
        let dir = run.output.parent().unwrap();
        for (file, var, weight) in [
            ("proj_density_z_256.npy", "density", "none"),
            ("proj_massweighted_pressure_z_256.npy", "pressure", "mass"),
        ] {
            let npy = tmp.path().join(format!("{}_{var}.npy", run.name));
            let png = tmp.path().join(format!("{}_{var}.png", run.name));
            let out = amrkit()
                .args(["project"])
                .arg(&run.output)
                .args([
                    "--var", var, "--axis", "z", "--res", "256", "--weight", weight, "--log",
                    "--out",
                ])
                .arg(format!("{},{}", npy.display(), png.display()))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (_, _, got) = read_npy(&npy);
            let (_, _, want) = read_npy(&dir.join(file));
            let (worst, scale) = common::map_error(&got, &want);
            assert!(worst <= 1e-12 * scale, "{} {file}: {worst:e}", run.name);
            check_png_map(&png, &got, 256, 256);
        }
    }
}

#[test]
fn export_particles_and_demo_on_generated_data() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let out = amrkit()
        .arg("demo")
        .arg(&demo)
        .args(["--levelmin", "4", "--levelmax", "6", "--ncpu", "4"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in ["generate", "load", "project", "export", "files:"] {
        assert!(text.contains(step), "{text}");
    }
    for f in [
        "maps/density_z.npy",
        "maps/density_z.png",
        "maps/temperature_z.png",
        "vtk/cells.vtm",
        "vtk/particles.vtu",
    ] {
        assert!(demo.join(f).is_file(), "{f}");
    }
    let snap = demo.join("output_00001");
    // export-vtk writes one .vtu per level and an index VTK can read.
    let prefix = tmp.path().join("vtk/out");
    let out = amrkit()
        .arg("export-vtk")
        .arg(&snap)
        .args([
            "--scalars",
            "density,temperature",
            "--vector",
            "velocity",
            "--zlib",
            "--particles",
            "--out",
        ])
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vtm = tmp.path().join("vtk/out.vtm");
    assert!(vtm.is_file() && tmp.path().join("vtk/out_particles.vtu").is_file());
    if let Some(py) = common::vtk_python() {
        let s = common::vtk_summary(&py, std::slice::from_ref(&vtm));
        let blocks = s[vtm.to_str().unwrap()].as_array().unwrap();
        let cells: u64 = blocks.iter().map(|b| b["cells"].as_u64().unwrap()).sum();
        let st = json_of(
            &amrkit()
                .arg("stats")
                .arg(&snap)
                .arg("--json")
                .output()
                .unwrap()
                .stdout,
        );
        assert_eq!(cells, st["n_leaf_total"].as_u64().unwrap());
    }
    // particles: counts per family and a map.
    let map = tmp.path().join("stars.npy");
    let out = amrkit()
        .arg("particles")
        .arg(&snap)
        .args([
            "--family",
            "star",
            "--deposit",
            "cic",
            "--res",
            "64",
            "--json",
            "--out",
        ])
        .arg(&map)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json_of(&out.stdout);
    assert_eq!(j["star"]["count"], 5000);
    let (r, c, m) = read_npy(&map);
    assert_eq!((r, c), (64, 64));
    let area = (100.0f64 / 64.0).powi(2);
    let mass: f64 = m.iter().sum::<f64>() * area;
    assert!(close(
        mass,
        j["star"]["total_mass"].as_f64().unwrap(),
        1e-9,
        0.0
    ));
}

#[test]
fn series_reports_each_snapshot_and_survives_a_broken_one() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path();
    for iout in [1, 2] {
        let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
            ncpu: 3,
            levelmin: 4,
            levelmax: 6,
            iout,
            time: 0.01 * iout as f64,
            n_dm: 100,
            n_star: 10 * iout as usize,
            ..Default::default()
        })
        .unwrap();
        plan.write(&plan.output_dir(sim)).unwrap();
    }
    std::fs::create_dir(sim.join("output_00003")).unwrap(); // empty: broken
    let csv = sim.join("series.csv");
    let png = sim.join("series.png");
    let out = amrkit()
        .arg("series")
        .arg(sim)
        .args(["--outputs", "1..3", "--csv"])
        .arg(&csv)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("1,0.01,"));
    assert!(
        lines[3].starts_with("3,") && lines[3].contains("info_00003.txt"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("output 3"));
    assert!(png.is_file());
}

/// `series` runs as a pipeline (read -> analysis -> writer): with two
/// snapshots read at once and one broken in the middle, the rows still come
/// in output order, the broken one carries its error, and the rows after it
/// are the same as with one read at a time.
#[test]
fn series_pipeline_keeps_output_order_around_a_broken_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path();
    for iout in [1, 3, 4, 5] {
        let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
            ncpu: 2,
            levelmin: 3,
            levelmax: 5,
            iout,
            time: 0.01 * iout as f64,
            n_dm: 50,
            n_star: 5 * iout as usize,
            ..Default::default()
        })
        .unwrap();
        plan.write(&plan.output_dir(sim)).unwrap();
    }
    std::fs::create_dir(sim.join("output_00002")).unwrap(); // empty: broken
    let run = |extra: &[&str]| {
        let out = amrkit()
            .arg("series")
            .arg(sim)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let two = run(&[
        "--concurrent",
        "2",
        "--capacity",
        "2",
        "--read-threads",
        "1",
    ]);
    let lines: Vec<&str> = two.lines().collect();
    assert_eq!(lines.len(), 6, "{two}");
    for (k, n) in [1, 2, 3, 4, 5].iter().enumerate() {
        assert!(lines[k + 1].starts_with(&format!("{n},")), "{two}");
    }
    assert!(lines[2].contains("info_00002.txt"), "{two}");
    assert!(!lines[4].ends_with(",\"\""), "{two}");
    assert_eq!(two, run(&[]), "rows depend on the pipeline's settings");
}

#[test]
fn bad_input_gives_one_line_and_a_failure_code() {
    let out = amrkit()
        .args(["info", "/nonexistent/output_00001"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/output_00001"), "{err}");
    let out = amrkit()
        .args([
            "project", ".", "--var", "density", "--axis", "w", "--out", "x.npy",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn bench_runs_a_thread_sweep() {
    let Some(run) = runs().into_iter().next() else {
        return;
    };
    let out = amrkit()
        .arg("bench")
        .arg(&run.output)
        .args(["--samples", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("threads") && text.lines().count() >= 4,
        "{text}"
    );
}

#[test]
fn particles_json_gives_counts_masses_and_star_ages() {
    for run in runs() {
        let fams = &run.reference["particles"]["families"];
        let Some(star) = fams.get("star") else {
            continue;
        };
        let out = amrkit()
            .arg("particles")
            .arg(&run.output)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j = json_of(&out.stdout);
        for (name, f) in fams.as_object().unwrap() {
            assert_eq!(j[name]["count"], f["count"], "{name}");
            let m = j[name]["total_mass"].as_f64().unwrap();
            assert!(close(m, f["total_mass_code"].as_f64().unwrap(), 1e-10, 0.0));
        }
        // Non-cosmological: age = (time − birth) · unit_t, the oldest star
        // born at the smallest birth time yt reports.
        let info = &run.reference["info"];
        let (time, unit_t) = (
            info["time_code"].as_f64().unwrap(),
            info["unit_t_s"].as_f64().unwrap(),
        );
        let myr = 1e6 * amrkit_kernels::units::YR;
        let age = |b: &Value| (time - b.as_f64().unwrap()) * unit_t / myr;
        let got = &j["star"]["age_myr"];
        let (lo, hi) = (
            age(&star["birth_time_max_yt_units"]),
            age(&star["birth_time_min_yt_units"]),
        );
        assert!(
            close(got["min"].as_f64().unwrap(), lo, 1e-10, 0.0),
            "{got} vs {lo}"
        );
        assert!(
            close(got["max"].as_f64().unwrap(), hi, 1e-10, 0.0),
            "{got} vs {hi}"
        );
        assert!(lo >= 0.0 && hi > lo);
    }
}

/// `amrkit … | head` must end quietly when the reader goes away, as Unix
/// filters do: no "failed printing to stdout" panic. The child's stdout is
/// a pipe whose read end is already closed, so its first write fails.
#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly() {
    use std::os::fd::FromRawFd;
    use std::os::unix::process::ExitStatusExt;
    let Some(run) = runs().into_iter().next() else {
        return;
    };
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors were just created and are owned here only.
    let (read, write) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(read);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("amrkit"))
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .args(["--threads", "2", "stats"])
        .arg(&run.output)
        .stdout(std::process::Stdio::from(write))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?}: {err}",
        out.status
    );
}
