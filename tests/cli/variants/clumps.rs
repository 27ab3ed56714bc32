//! PHEW clump tables: the reference rows, group folders, outputs without
//! clumps.

use crate::reference::check_stats;
use serde_json::Value;
use testkit::{amrkit, close, json_of, run_ok, variant};

/// The clump JSON rows against reference.json's `top5_by_mass` rows:
/// every column, integers exactly, reals to the last bit (both parse the
/// same decimal text).
fn check_clump_rows(got: &[Value], want: &[Value]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        for (k, v) in w.as_object().unwrap() {
            assert_eq!(&g[k], v, "clump {} column {k}", w["index"]);
        }
    }
}

#[test]
fn clumps_match_the_reference_table() {
    let Some(run) = variant("clumps") else {
        return;
    };
    let r = &run.reference;
    let all = &r["clumps"]["all_files"];
    let (so, _) = run_ok(&["clumps", "--json"], &run.output);
    let j = json_of(&so);
    assert_eq!(j["n_clumps"], all["n_clumps"]);
    assert_eq!(j["n_files"], all["n_files"]);
    assert_eq!(j["columns"], all["columns"]);
    let m = j["total_mass"].as_f64().unwrap();
    assert!(
        close(m, all["total_mass_code"].as_f64().unwrap(), 1e-12, 0.0),
        "{m}"
    );
    let rows = j["clumps"].as_array().unwrap();
    let top5 = all["top5_by_mass"].as_array().unwrap();
    check_clump_rows(&rows[..top5.len()], top5);
    // Per file: count, mass and rows, from the `cpu` of each clump.
    for (file, f) in r["clumps"]["files"].as_object().unwrap() {
        let cpu: u64 = file.rsplit("txt").next().unwrap().parse().unwrap();
        let mine: Vec<Value> = rows.iter().filter(|c| c["cpu"] == cpu).cloned().collect();
        assert_eq!(mine.len() as u64, f["n_clumps"].as_u64().unwrap(), "{file}");
        let mass: f64 = mine.iter().map(|c| c["mass_cl"].as_f64().unwrap()).sum();
        assert!(
            close(mass, f["total_mass_code"].as_f64().unwrap(), 1e-12, 0.0),
            "{file}"
        );
        let t5 = f["top5_by_mass"].as_array().unwrap();
        check_clump_rows(&mine[..t5.len()], t5);
    }
    // --top N: the N most massive.
    let (so, _) = run_ok(&["clumps", "--json", "--top", "2"], &run.output);
    let j2 = json_of(&so);
    check_clump_rows(j2["clumps"].as_array().unwrap(), &top5[..2]);
    assert_eq!(j2["n_clumps"], all["n_clumps"]);
    // Text: one line per clump, the most massive first.
    let (text, _) = run_ok(&["clumps", "--top", "3"], &run.output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 3, "{text}");
    assert!(lines[0].starts_with("5 clumps in 4 files") && lines[0].contains("3 most massive"));
    let first: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&first[..5], &["1", "1", "0", "1", "2458"], "{text}");
    // The gas of this output too.
    let (so, _) = run_ok(&["stats", "--json"], &run.output);
    check_stats("clumps", &json_of(&so), r);
}

#[test]
fn clumps_in_group_folders_and_outputs_without_clumps() {
    let Some(run) = variant("clumps") else {
        return;
    };
    // The same output rearranged as IOGROUPSIZEREP = 3 writes it.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output_00002");
    testkit::copy_tree(&run.output, &out);
    for e in std::fs::read_dir(&out).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let cpu = name
            .rsplit_once(".out")
            .or_else(|| name.rsplit_once(".txt"))
            .and_then(|(_, c)| c.parse::<usize>().ok());
        let g = cpu.map_or(1, |c| (c - 1) / 3 + 1);
        let to = out.join(format!("group_{g:05}"));
        std::fs::create_dir_all(&to).unwrap();
        std::fs::rename(e.path(), to.join(&name)).unwrap();
    }
    assert!(out.join("group_00002/clump_00002.txt00004").is_file());
    let (a, _) = run_ok(&["clumps", "--json"], &run.output);
    let (b, _) = run_ok(&["clumps", "--json"], &out);
    let (mut a, mut b) = (json_of(&a), json_of(&b));
    a["output"] = Value::Null;
    b["output"] = Value::Null;
    assert_eq!(a, b);
    // A missing clump file is named.
    std::fs::remove_file(out.join("group_00002/clump_00002.txt00004")).unwrap();
    let o = amrkit().arg("clumps").arg(&out).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("clump_00002.txt00004: missing"),
        "{e}"
    );
    // No clump finder: one line saying so.
    let Some(cosmo) = variant("cosmo") else {
        return;
    };
    let o = amrkit().arg("clumps").arg(&cosmo.output).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("clumpfind") && e.trim().lines().count() == 1,
        "{e}"
    );
}
