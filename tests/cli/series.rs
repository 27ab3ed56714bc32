//! `series`: one row per snapshot in output order, broken snapshots
//! reported in their row; the table and figure in absolute units.

use testkit::{amrkit, close, runs, stdout_ok};

/// yt's solar mass in g (unyt's `mass_sun_kg`), written here on its own.
const YT_MSUN_G: f64 = 1.988_415_86e33;

/// A CSV text as (header, rows), each row its cells by column name.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(String::from))
                .collect()
        })
        .collect()
}

/// A PNG's text chunks and its RGB pixels.
fn png_of(path: &std::path::Path) -> (Vec<(String, String)>, Vec<[u8; 3]>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut r = dec.read_info().unwrap();
    let text = r
        .info()
        .uncompressed_latin1_text
        .iter()
        .map(|t| (t.keyword.clone(), t.text.clone()))
        .collect();
    let mut buf = vec![0; r.output_buffer_size()];
    let f = r.next_frame(&mut buf).unwrap();
    assert_eq!(f.color_type, png::ColorType::Rgb);
    let px = buf[..f.buffer_size()]
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (text, px)
}

/// Writes synthetic outputs `iouts` into `sim`, output `i` at time
/// `0.01 i` with `10 i` star particles.
fn synth_series(sim: &std::path::Path, iouts: &[u32]) {
    for &iout in iouts {
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
}

/// With `--csv`, stdout is a table for people (times in Myr, masses in
/// M☉, a failed output with its error) and says which files were
/// written; the figure has both series in their colours on a log mass
/// axis in M☉ against Myr.
#[test]
fn series_prints_its_table_and_the_files_it_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path();
    synth_series(sim, &[1, 2, 4]);
    std::fs::create_dir(sim.join("output_00003")).unwrap(); // empty: broken
    let (csv, png) = (sim.join("s.csv"), sim.join("s.png"));
    let out = stdout_ok(
        &[
            "series",
            "--csv",
            csv.to_str().unwrap(),
            "--png",
            png.to_str().unwrap(),
        ],
        sim,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.last().copied(),
        Some(format!("wrote {}, {}", csv.display(), png.display()).as_str()),
        "{out}"
    );
    let head = lines[0];
    for col in [
        "time [Myr]",
        "gas mass [Msun]",
        "stellar mass [Msun]",
        "mean T [K]",
    ] {
        assert!(head.contains(col), "{col} not in {head:?}");
    }
    let rows = csv_rows(&std::fs::read_to_string(&csv).unwrap());
    // Rows 1, 2, 3 (failed), 4 in output order, aligned under the header.
    for (k, row) in rows.iter().enumerate() {
        let line = lines[k + 1];
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[0], row["output"], "{out}");
        if row["output"] == "3" {
            assert!(
                line.contains("failed:") && line.contains("info_00003.txt"),
                "{line}"
            );
            continue;
        }
        assert_eq!(line.len(), head.len(), "columns not aligned:\n{out}");
        // Shown with 4 significant digits: the CSV's figures.
        for (cell, col) in [
            (cells[1], "time_myr"),
            (cells[2], "gas_mass_msun"),
            (cells[3], "stellar_mass_msun"),
        ] {
            let (shown, exact): (f64, f64) = (cell.parse().unwrap(), row[col].parse().unwrap());
            assert!(
                exact > 0.0 && close(shown, exact, 1e-3, 0.0),
                "{col}: {cell} vs {exact}"
            );
        }
    }
    let (text, px) = png_of(&png);
    let desc = &text.iter().find(|(k, _)| k == "Description").unwrap().1;
    assert!(
        desc.contains("x: time [Myr] (linear)") && desc.contains("y: mass [Msun] (log)"),
        "{desc}"
    );
    // Both series are drawn: the gas line and hollow circles in blue, the
    // stars' line and triangles in orange.
    let count = |c: [u8; 3]| px.iter().filter(|p| **p == c).count();
    let (gas, stars) = (count([31, 90, 170]), count([214, 96, 20]));
    assert!(
        gas > 1000 && stars > 1000,
        "gas {gas}, stars {stars} pixels"
    );
}

/// On a real run with stars, the masses in M☉ are yt's (its solar mass,
/// `unit_d·unit_l³`) to 1e-12, and the time in Myr is yt's current time.
#[test]
fn series_masses_in_msun_are_yts() {
    let Some(run) = runs().into_iter().find(|r| r.name == "particles") else {
        return;
    };
    let sim = run.output.parent().unwrap();
    let rows = csv_rows(&stdout_ok(&["series", "-q"], sim));
    assert_eq!(rows.len(), 1);
    let got = |c: &str| -> f64 { rows[0][c].parse().unwrap() };
    let r = &run.reference;
    let gas = r["gas"]["yt_total_mass_Msun"].as_f64().unwrap();
    let stars = r["particles"]["families"]["star"]["total_mass_g"]
        .as_f64()
        .unwrap()
        / YT_MSUN_G;
    assert!(
        close(got("gas_mass_msun"), gas, 1e-12, 0.0),
        "{} vs {gas}",
        got("gas_mass_msun")
    );
    assert!(
        close(got("stellar_mass_msun"), stars, 1e-12, 0.0),
        "{} vs {stars}",
        got("stellar_mass_msun")
    );
    let myr = r["yt_unit_system"]["yt_current_time_s"].as_f64().unwrap() / 3.15576e13;
    assert!(close(got("time_myr"), myr, 1e-12, 0.0));
}

/// A run without physical units (sedov3d: unit_l = unit_d = unit_t = 1)
/// keeps code units in the table and the figure, and leaves the M☉
/// columns of the CSV empty rather than writing grams as solar masses.
#[test]
fn series_of_a_unitless_run_stays_in_code_units() {
    let Some(run) = runs().into_iter().find(|r| r.name == "sedov3d") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (csv, png) = (tmp.path().join("s.csv"), tmp.path().join("s.png"));
    let sim = run.output.parent().unwrap();
    let out = stdout_ok(
        &[
            "series",
            "--csv",
            csv.to_str().unwrap(),
            "--png",
            png.to_str().unwrap(),
        ],
        sim,
    );
    assert!(
        out.contains("time [code]") && out.contains("gas mass [code]"),
        "{out}"
    );
    let rows = csv_rows(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(
        (
            rows[0]["gas_mass_msun"].as_str(),
            rows[0]["stellar_mass_msun"].as_str()
        ),
        ("", "")
    );
    let (text, _) = png_of(&png);
    let desc = &text.iter().find(|(k, _)| k == "Description").unwrap().1;
    assert!(
        desc.contains("time [code units]") && desc.contains("mass [code units]"),
        "{desc}"
    );
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
