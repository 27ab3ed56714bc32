//! `amrkit clumps`: the PHEW clump table by mass.

use crate::context::Ctx;
use crate::error::AnyResult;
use amrkit_kernels::report::{ClumpRow, ClumpsReport};
use amrkit_kernels::request::open;
use clap::Args;
use std::path::PathBuf;

/// `amrkit clumps`.
#[derive(Args, Debug)]
pub struct ClumpsArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Only the N most massive clumps.
    #[arg(long)]
    pub top: Option<usize>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Prints the clumps (text or `--json`); rank 0 only.
pub fn run(_ctx: &Ctx, a: &ClumpsArgs) -> AnyResult<()> {
    let s = open(&a.output)?;
    let r = ClumpsReport::of(&s, a.top)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r.to_json())?);
        return Ok(());
    }
    println!(
        "{} clumps in {} files, total mass {:.8e} (code units); {}:",
        r.n_clumps,
        r.n_files,
        // As read back from the JSON, where a non-finite mass was null.
        if r.total_mass.is_finite() {
            r.total_mass
        } else {
            0.0
        },
        match a.top {
            Some(n) => format!("the {n} most massive"),
            None => "by mass".to_string(),
        }
    );
    print_table(&r);
    Ok(())
}

/// The columns the text shows, in this order, when the files have them
/// (the rest only in `--json`), and whether each is a wide (real) one.
const SHOWN: [(&str, bool); 10] = [
    ("index", false),
    ("lev", false),
    ("parent", false),
    ("ncell", false),
    ("peak_x", true),
    ("peak_y", true),
    ("peak_z", true),
    ("rho+", true),
    ("mass_cl", true),
    ("relevance", true),
];

/// The clumps, one line each, ranked by mass.
fn print_table(r: &ClumpsReport) {
    // A value the JSON held as null: a column the files lack (or beyond a
    // clump's values), or a non-finite real.
    let null = |row: &ClumpRow, k: Option<usize>| match k
        .and_then(|k| row.values.get(k).map(|v| (v, k)))
    {
        Some((v, k)) => !r.integer[k] && !v.is_finite(),
        None => true,
    };
    // A column is shown unless the first clump has no value for it (with
    // no clumps every column is listed: the header alone prints).
    let cols: Vec<(&str, bool, Option<usize>)> = SHOWN
        .iter()
        .map(|&(c, wide)| (c, wide, r.column(c)))
        .filter(|&(_, _, k)| !r.rows.first().is_some_and(|row| null(row, k)))
        .collect();
    let mut head = String::from("rank");
    for (c, wide, _) in &cols {
        head += &if *wide {
            format!(" {c:>15}")
        } else {
            format!(" {c:>8}")
        };
    }
    println!("{head}");
    for (n, row) in r.rows.iter().enumerate() {
        let mut line = format!("{:>4}", n + 1);
        for &(_, _, k) in &cols {
            // A column the files lack reads as null: NaN.
            let cell = k.and_then(|k| Some((row.values.get(k).copied()?, r.integer[k])));
            line += &match cell {
                Some((v, true)) => format!(" {:>8}", v as i64),
                Some((v, false)) if v.is_finite() => format!(" {v:>15.8e}"),
                _ => format!(" {:>15.8e}", f64::NAN),
            };
        }
        println!("{line}");
    }
}
