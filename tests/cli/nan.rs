//! Values that are not finite are shown as such (issue 26, item 2): `stats`
//! prints NaN (never 0) and warns with the count per variable, the JSON has
//! null and `non_finite`, and a map's NaN pixels have their own colour,
//! named in the colour bar's legend. Log colour bars span the data, not
//! round-off (item 4); every `stats --json` figure names its unit (item 5);
//! `stats --unit` takes only `auto` or `code` (item 7).
//!
//! The NaN output is a copy of the shared `particles` output whose CPU 1
//! hydro file has every density of its deepest level set to NaN.

use std::path::{Path, PathBuf};
use std::process::Output;

fn particles_output() -> Option<PathBuf> {
    let out = std::env::var_os("AMRKIT_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ramses"))
        .join("particles/output_00002");
    if out.is_dir() {
        return Some(out);
    }
    let msg = format!("shared output {out:?} not found (set AMRKIT_TEST_DATA)");
    assert!(
        std::env::var("CI").map_or(true, |c| c != "true"),
        "{msg}: required under CI=true"
    );
    eprintln!("SKIPPED: {msg}");
    None
}

fn amrkit(args: &[&str]) -> Output {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_amrkit"))
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Fortran records of a file: (offset of the data, length).
fn records(b: &[u8]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut at = 0;
    while at + 4 <= b.len() {
        let n = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        v.push((at + 4, n));
        at += n + 8;
    }
    v
}

/// A copy of `out` in `to` whose CPU 1 hydro file has NaN for every density
/// of the deepest level (RAMSES's layout: 6 header records, then per level
/// and per domain the level, the count `n` and, when `n > 0`, 2^ndim × nvar
/// records of `n` reals).
fn with_nan_densities(out: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(out).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    let path = to.join("hydro_00002.out00001");
    let mut b = std::fs::read(&path).unwrap();
    let rec = records(&b);
    let int = |k: usize| i32::from_le_bytes(b[rec[k].0..rec[k].0 + 4].try_into().unwrap()) as usize;
    let (ncpu, nvar, ndim, nlevel, nbound) = (int(0), int(1), int(2), int(3), int(4));
    let mut k = 6;
    let mut nans = Vec::new();
    for _ in 0..nlevel {
        for _ in 0..ncpu + nbound {
            let (level, n) = (int(k), int(k + 1));
            k += 2;
            if n == 0 {
                continue;
            }
            for _ in 0..1 << ndim {
                for var in 0..nvar {
                    if level == nlevel && var == 0 {
                        nans.push(rec[k]);
                    }
                    k += 1;
                }
            }
        }
    }
    assert!(!nans.is_empty());
    for (at, len) in nans {
        for x in b[at..at + len].chunks_exact_mut(8) {
            x.copy_from_slice(&f64::NAN.to_le_bytes());
        }
    }
    std::fs::write(&path, b).unwrap();
}

/// The PNG's pixels (RGB) and its text chunks.
fn read_png(path: &Path) -> (usize, Vec<u8>, Vec<(String, String)>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    let text = r
        .info()
        .uncompressed_latin1_text
        .iter()
        .map(|t| (t.keyword.clone(), t.text.clone()))
        .collect();
    (info.width as usize, buf, text)
}

fn chunk<'a>(text: &'a [(String, String)], key: &str) -> &'a str {
    &text.iter().find(|(k, _)| k == key).unwrap().1
}

#[test]
fn nan_is_shown_counted_and_coloured() {
    let Some(out) = particles_output() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("output_00002");
    with_nan_densities(&out, &bad);
    let b = bad.to_str().unwrap();

    // The NaN cells, as the reader gives them.
    let pool = amrkit_pool::Pool::builder().num_threads(2).build().unwrap();
    let s = amrkit_io::Snapshot::open(&bad).unwrap();
    let t = amrkit_kernels::load_hydro(
        &s,
        &amrkit_kernels::Selection::default(),
        &["density"],
        &amrkit_kernels::Exec::on(&pool),
    )
    .unwrap();
    let n_nan = t
        .column("density")
        .unwrap()
        .iter()
        .filter(|v| v.is_nan())
        .count();
    assert!(n_nan > 1000, "{n_nan}");

    let o = amrkit(&["stats", b]);
    let (text, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(row("gas mass").contains("NaN"), "{text}");
    let drow = row("density ");
    let density: Vec<&str> = drow.split_whitespace().skip(1).collect();
    assert_eq!(&density[2..], ["NaN", "NaN"], "{text}");
    assert!(
        density[0].parse::<f64>().unwrap() > 0.0,
        "min skips NaN: {text}"
    );
    assert!(!text.contains(" 0.0000000000e0"), "{text}");
    assert!(
        err.contains(&format!("density: {n_nan} of 79129 cells are NaN")),
        "{err}"
    );
    let j: serde_json::Value =
        serde_json::from_slice(&amrkit(&["stats", b, "--json"]).stdout).unwrap();
    assert_eq!(j["hydro"]["density"]["non_finite"], n_nan);
    assert_eq!(j["hydro"]["pressure"]["non_finite"], 0);
    assert!(j["hydro"]["density"]["volume_weighted_mean"].is_null());
    assert!(j["total_mass"].is_null());

    // The map: NaN pixels (those of the .npy) in their own colour, named
    // by the legend.
    let (npy, pngp) = (tmp.path().join("m.npy"), tmp.path().join("m.png"));
    let arg = format!("{},{}", npy.display(), pngp.display());
    amrkit(&[
        "-q", "project", b, "--var", "density", "--res", "64", "--log", "--out", &arg,
    ]);
    let bytes = std::fs::read(&npy).unwrap();
    let hl = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let map: Vec<f64> = bytes[10 + hl..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let nan_px = map.iter().filter(|v| v.is_nan()).count();
    assert!(nan_px > 0);
    let (w, rgb, text) = read_png(&pngp);
    let bx: Vec<usize> = chunk(&text, "amrkit:map")
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    let grey = [170u8, 170, 170];
    let px = |x: usize, y: usize| &rgb[3 * (y * w + x)..3 * (y * w + x) + 3];
    let (bw, bh) = (bx[2], bx[3]);
    let mut in_map = 0;
    for j in 0..64 {
        for i in 0..64 {
            // The image pixel at the centre of map pixel (i, j), y up.
            let x = bx[0] + ((i as f64 + 0.5) / 64.0 * bw as f64) as usize;
            let y = bx[1] + bh - 1 - ((j as f64 + 0.5) / 64.0 * bh as f64) as usize;
            let is_grey = px(x, y) == grey;
            assert_eq!(is_grey, map[j * 64 + i].is_nan(), "pixel ({i}, {j})");
            in_map += usize::from(is_grey);
        }
    }
    assert_eq!(in_map, nan_px);
    let outside = (0..rgb.len() / 3)
        .filter(|&p| {
            let (x, y) = (p % w, p / w);
            let inside = x >= bx[0] && x < bx[0] + bw && y >= bx[1] && y < bx[1] + bh;
            !inside && rgb[3 * p..3 * p + 3] == grey
        })
        .count();
    // The legend swatch is 13 × 13 pixels of it (text antialiasing may
    // give a few more).
    assert!(
        outside >= 150,
        "a legend swatch in the NaN colour: {outside}"
    );
    assert!(chunk(&text, "Comment").contains(&format!("{nan_px} NaN pixels")));
}

/// A log map's colour bar spans the data: values under 1e-12 of the
/// largest (round-off; here the mass-weighted x velocity of sedov3d, 1e-62
/// where it cancels) are drawn as zero, not 62 decades down the bar.
#[test]
fn log_colour_bars_span_the_data() {
    let Some(out) = particles_output() else {
        return;
    };
    let sedov = out.join("../../sedov3d/output_00002");
    let tmp = tempfile::tempdir().unwrap();
    let pngp = tmp.path().join("v.png");
    let p = pngp.to_str().unwrap();
    let s = sedov.to_str().unwrap();
    amrkit(&[
        "-q",
        "project",
        s,
        "--var",
        "velocity_x",
        "--weight",
        "mass",
        "--res",
        "128",
        "--log",
        "--out",
        p,
    ]);
    let (_, _, text) = read_png(&pngp);
    let c = chunk(&text, "Comment");
    let range = c.split("colour bar log10 [").nth(1).unwrap();
    let (lo, hi) = range.split_once(", ").unwrap();
    let lo: f64 = lo.parse().unwrap();
    let hi: f64 = hi.split(']').next().unwrap().parse().unwrap();
    assert!(hi - lo <= 12.0 + 1e-9, "{c}");
    assert!(c.contains("<= 0"), "{c}");
}

/// `--vmin`/`--vmax` set the colour bar's ends of `project` and `slice`
/// PNGs (the text chunk states them; the map's values beyond them take the
/// end colours), and ends a scale cannot use are refused, before any work,
/// with one line naming the flag and what to do.
#[test]
fn vmin_and_vmax_set_the_colour_bar() {
    let Some(out) = particles_output() else {
        return;
    };
    let sedov = out.join("../../sedov3d/output_00002");
    let s = sedov.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let pngp = tmp.path().join("m.png");
    let p = pngp.to_str().unwrap();
    for (cmd, extra, scale) in [
        (
            "project",
            &["--normal", "1,2,3"][..],
            "log10 [-5.228787e-1, 4.771213e-1]",
        ),
        ("slice", &["--lin"][..], "[3.000000e-1, 3.000000e0]"),
    ] {
        let mut args = vec!["-q", cmd, s, "--var", "density", "--res", "64"];
        args.extend(extra);
        args.extend(["--vmin", "0.3", "--vmax", "3", "--out", p]);
        amrkit(&args);
        let (_, _, text) = read_png(&pngp);
        let c = chunk(&text, "Comment");
        assert!(
            c.contains(&format!("colour bar {scale} bottom to top")),
            "{cmd}: {c}"
        );
    }
    for (args, says) in [
        (
            &["--vmin", "-1"][..],
            "--vmin -1: a log colour scale needs positive ends (or use --lin)",
        ),
        (
            &["--vmin", "2", "--vmax", "1"][..],
            "--vmin 2 must be below --vmax 1",
        ),
    ] {
        for cmd in ["project", "slice"] {
            let mut a = vec![cmd, s, "--var", "density", "--out", p];
            a.extend(args);
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_amrkit"))
                .args(&a)
                .output()
                .unwrap();
            let e = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success() && e.trim().lines().count() == 1, "{e}");
            assert!(e.contains(says), "{cmd}: {e}");
        }
    }
}

/// `stats --json` names the unit of every figure; `--unit` is auto or code.
#[test]
fn stats_json_names_units_and_refuses_unknown_ones() {
    let Some(out) = particles_output() else {
        return;
    };
    let o = out.to_str().unwrap();
    let j: serde_json::Value =
        serde_json::from_slice(&amrkit(&["stats", o, "--json", "--unit", "auto"]).stdout).unwrap();
    let u = &j["units"];
    assert_eq!(u["total_mass"], "Msol");
    assert_eq!(u["hydro"]["density"], "g/cm^3");
    assert_eq!(u["hydro"]["velocity_x"], "km/s");
    assert_eq!(u["hydro"]["pressure"], "dyn/cm^2");
    assert_eq!(u["gravity"]["potential"], "km^2/s^2");
    assert_eq!(u["particles"]["total_mass"], "Msol");
    assert_eq!(u["sinks"]["total_mass"], "Msol");
    for g in ["hydro", "gravity"] {
        for k in j[g].as_object().unwrap().keys() {
            assert!(u[g][k].is_string(), "{g}.{k} has no unit");
        }
    }
    let code: serde_json::Value =
        serde_json::from_slice(&amrkit(&["stats", o, "--json"]).stdout).unwrap();
    assert_eq!(code["units"]["hydro"]["density"], "code");
    let f = std::process::Command::new(env!("CARGO_BIN_EXE_amrkit"))
        .args(["stats", o, "--unit", "furlongs"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&f.stderr);
    assert!(
        !f.status.success() && e.contains("furlongs") && e.contains("auto"),
        "{e}"
    );
}
