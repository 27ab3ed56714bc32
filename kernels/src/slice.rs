//! Slices: point samples of the leaf field on a plane of any orientation.
//!
//! Definition: the slice of a [`View`] is the plane through its centre
//! normal to its line of sight; pixel `(i, j)` takes the value of the leaf
//! cell whose half-open box `[lo, hi)` (per axis, code units, `lo =
//! (i·dx)·boxlen`, `hi = ((i+1)·dx)·boxlen` from the cell's integer
//! coordinates) holds the pixel centre of [`View::pixel_centre`]; a plane
//! on a cell face so takes the upper cell (as yt and MERA do). Pixels
//! whose centre no loaded leaf holds (outside the box, or outside a region
//! the caller chose) are NaN.
//!
//! Leaves do not overlap, so every pixel is written at most once and the
//! result does not depend on the order of the work. Only the CPU files the
//! plane can cross are read ([`View::cpus`]), one file per task, and of
//! each file only the cells near the plane (the scan's box).

use crate::derive::{derived, DERIVED};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{components, CellTable};
use crate::project::Maps;
use crate::select::Selection;
use crate::units::Units;
use crate::view::View;
use amrkit_io::Snapshot;

/// Whether `v` is read from the output's files (hydro, gravity, RAMSES-RT).
fn in_files(s: &Snapshot, v: &str) -> bool {
    s.hydro_index(v).is_some()
        || s.grav_index(v).is_some()
        || s.rt_index(v).is_some()
        || s.rt_variable_problem(v).is_some()
}

/// Loads the cells of the CPU files `only` (all those of `sel` when
/// `None`) with a column for every variable of `vars`, read or derived,
/// and `density` too when `density` is set; only those that can meet
/// `slab` when one is given.
#[allow(clippy::too_many_arguments)]
pub(crate) fn load_vars(
    snap: &Snapshot,
    only: Option<&[usize]>,
    sel: &Selection,
    vars: &[&str],
    density: bool,
    exec: &Exec,
    spare: Option<CellTable>,
    slab: Option<amrkit_io::Slab>,
) -> Result<CellTable> {
    let hydro: Vec<&str> = snap.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    let mut load: Vec<&str> = Vec::new();
    for &v in vars {
        if in_files(snap, v) {
            load.push(v);
        } else if DERIVED.contains(&v) {
            load.extend(hydro.iter().copied());
        } else {
            let mut all = hydro.clone();
            all.extend(snap.grav_fields.iter().map(String::as_str));
            all.extend(snap.rt_fields.iter().map(|f| f.name.as_str()));
            all.extend(DERIVED);
            return Err(KernelError::NoVariable {
                name: v.to_string(),
                available: all.join(", "),
            });
        }
    }
    if density {
        load.push("density");
    }
    load.sort_unstable();
    load.dedup();
    let c = components(snap, &load)?;
    let mut t = crate::load::load_components_near(snap, only, sel, &c, exec, spare, slab)?;
    for &v in vars {
        if t.column(v).is_err() {
            let col = derived(&t, v, exec)?;
            t.names.push(v.to_string());
            t.columns.push(col);
        }
    }
    Ok(t)
}

/// The pixel centres of a view, split so that a pixel's centre is two
/// table entries added: `x[i][d] = c_d + a_i·e1_d` and `y[j][d] =
/// b_j·e2_d`, so `x[i][d] + y[j][d]` is [`View::pixel_centre`] bit for bit
/// (it adds the same terms in the same order). Why: the containment test
/// of every pixel of a cell's box was most of a slice's time, and with
/// the tables it is three additions and six comparisons, without
/// branches.
struct Centres {
    x: Vec<[f64; 3]>,
    y: Vec<[f64; 3]>,
}

impl Centres {
    fn new(view: &View) -> Centres {
        let [n, m] = view.pixels;
        let (c, e1, e2) = (view.center, view.basis.e1, view.basis.e2);
        Centres {
            x: (0..n)
                .map(|i| {
                    let a = view.pixel_offset(i, 0)[0];
                    std::array::from_fn(|d| c[d] + a * e1[d])
                })
                .collect(),
            y: (0..m)
                .map(|j| {
                    let b = view.pixel_offset(0, j)[1];
                    std::array::from_fn(|d| b * e2[d])
                })
                .collect(),
        }
    }
}

/// The pixels of `view` whose centre cell `k` of `t` holds, as
/// pixel index, each given to `hit`.
fn cell_hits(view: &View, pc: &Centres, t: &CellTable, k: usize, mut hit: impl FnMut(usize)) {
    let b = t.units.boxlen;
    let dx = t.dx_box(k);
    let ic = [t.ix[k], t.iy[k], t.iz[k]];
    let lo: [f64; 3] = std::array::from_fn(|d| (ic[d] as f64 * dx) * b);
    let hi: [f64; 3] = std::array::from_fn(|d| ((ic[d] + 1) as f64 * dx) * b);
    let h = dx * b;
    let mid: [f64; 3] = std::array::from_fn(|d| 0.5 * (lo[d] + hi[d]) - view.center[d]);
    let bs = view.basis;
    let l1 = |e: [f64; 3]| e[0].abs() + e[1].abs() + e[2].abs();
    // Conservative tests (a margin of 1e-9 cells); the exact decision is
    // the containment test of each pixel centre below.
    let slack = 1e-9 * h;
    let s = mid[0] * bs.n[0] + mid[1] * bs.n[1] + mid[2] * bs.n[2];
    if s.abs() > 0.5 * h * l1(bs.n) + slack {
        return;
    }
    let [n, m] = view.pixels;
    let range = |centre: f64, half: f64, w: f64, np: usize| -> Option<(usize, usize)> {
        // Pixel `i` is centred at ((i+½)/np − ½)·w.
        let f = |a: f64| (a / w + 0.5) * np as f64 - 0.5;
        let (a0, a1) = (
            f(centre - half - slack).floor(),
            f(centre + half + slack).ceil(),
        );
        if a1 < 0.0 || a0 > (np - 1) as f64 {
            return None;
        }
        Some((a0.max(0.0) as usize, (a1 as usize).min(np - 1)))
    };
    let ua = mid[0] * bs.e1[0] + mid[1] * bs.e1[1] + mid[2] * bs.e1[2];
    let va = mid[0] * bs.e2[0] + mid[1] * bs.e2[1] + mid[2] * bs.e2[2];
    let Some((i0, i1)) = range(ua, 0.5 * h * l1(bs.e1), view.width[0], n) else {
        return;
    };
    let Some((j0, j1)) = range(va, 0.5 * h * l1(bs.e2), view.width[1], m) else {
        return;
    };
    let xs = &pc.x[i0..=i1];
    for (j, y) in pc.y.iter().enumerate().take(j1 + 1).skip(j0) {
        for (i, x) in xs.iter().enumerate() {
            // `&`, not `&&`: no branch per comparison.
            let mut inside = true;
            for d in 0..3 {
                let p = x[d] + y[d];
                inside &= (lo[d] <= p) & (p < hi[d]);
            }
            if inside {
                hit(j * n + i0 + i);
            }
        }
    }
}

/// The hits of every cell of a table, per CPU file's block (in parallel).
fn table_hits(view: &View, t: &CellTable, exec: &Exec) -> Vec<Vec<(usize, usize)>> {
    let ranges = t.file_ranges();
    let pc = Centres::new(view);
    exec.par().min_chunk(1).map(&ranges, |(_, r)| {
        let mut hits = Vec::new();
        for k in r.clone() {
            cell_hits(view, &pc, t, k, |q| hits.push((q, k)));
        }
        hits
    })
}

fn check_slice(view: &View, units: &Units, vars: &[&str]) -> Result<()> {
    if vars.is_empty() {
        return Err(KernelError::Invalid("a slice needs a variable".into()));
    }
    if units.ndim != 3 {
        return Err(KernelError::Invalid(format!(
            "slices need a 3D output (this one is {}D: its `project --axis z` map is its image)",
            units.ndim
        )));
    }
    view.check(units)?;
    // The plane must cross the box where the window is.
    let ext: [f64; 3] = std::array::from_fn(|d| units.extent[d] as f64 * units.boxlen);
    let [n, m] = view.pixels;
    let any = (0..m).any(|j| {
        (0..n).any(|i| {
            let p = view.pixel_centre(i, j);
            (0..3).all(|d| p[d] >= 0.0 && p[d] < ext[d])
        })
    });
    if !any {
        let c = view.center;
        let nn = view.basis.n;
        return Err(KernelError::Invalid(format!(
            "the slice plane through ({}, {}, {}) normal to ({}, {}, {}) misses the box [0, {}]×[0, {}]×[0, {}] (code units) within the window",
            c[0], c[1], c[2], nn[0], nn[1], nn[2], ext[0], ext[1], ext[2]
        )));
    }
    Ok(())
}

fn empty_maps(view: &View, vars: &[&str]) -> Maps {
    let [n, m] = view.pixels;
    let [pw, ph] = view.pixel_size();
    Maps {
        nx: n,
        ny: m,
        maps: vars
            .iter()
            .map(|v| (v.to_string(), vec![f64::NAN; n * m]))
            .collect(),
        pixel_area: pw * ph,
        extent: [
            -view.width[0] / 2.0,
            view.width[0] / 2.0,
            -view.width[1] / 2.0,
            view.width[1] / 2.0,
        ],
    }
}

/// The slice of a loaded table (its cells with a column per variable).
/// `extent` of the maps is in image coordinates relative to the centre.
pub fn slice_table(t: &CellTable, view: &View, vars: &[&str], exec: &Exec) -> Result<Maps> {
    check_slice(view, &t.units, vars)?;
    let cols: Vec<&[f64]> = vars.iter().map(|v| t.column(v)).collect::<Result<_>>()?;
    let mut out = empty_maps(view, vars);
    for hits in table_hits(view, t, exec) {
        for (q, k) in hits {
            for ((_, map), col) in out.maps.iter_mut().zip(&cols) {
                map[q] = col[k];
            }
        }
    }
    Ok(out)
}

/// Slices an output straight from its files: only the CPU files the plane
/// can cross, a window of them at a time, each read by one task (the
/// cells near the plane only, unless `sel` has a region: then the cells
/// of that region, as every map takes them). Variables may be derived
/// ones (`temperature`, …). The same bits as [`slice_table`] on the
/// loaded table.
pub fn slice(
    snap: &Snapshot,
    sel: &Selection,
    view: &View,
    vars: &[&str],
    exec: &Exec,
) -> Result<Maps> {
    let units = Units::from_info(&snap.info);
    check_slice(view, &units, vars)?;
    let sel = match sel.region {
        Some(_) => *sel,
        None => view.selection(&units, snap.info.levelmin, sel.lmax, Some(0.0)),
    };
    let mut cpus = view.cpus(snap, Some(0.0))?;
    if sel.region.is_some() {
        let of_region = crate::load::cpus_for(snap, &sel)?;
        cpus.retain(|c| of_region.contains(c));
    }
    let mut out = empty_maps(view, vars);
    let window = 2 * exec.threads();
    let pc = Centres::new(view);
    // The plane in box units: the reader keeps the cells that can hold a
    // pixel centre (a superset; `cell_hits` decides).
    let b = units.boxlen;
    let nrm = view.basis.n;
    let plane = Some(amrkit_io::Slab {
        normal: nrm,
        offset: (nrm[0] * view.center[0] + nrm[1] * view.center[1] + nrm[2] * view.center[2]) / b,
        half: 0.0,
    });
    // Tables done with, refilled by the next file (no fresh pages to fault
    // in for every file: they were a third of a slice's time).
    let spares = std::sync::Mutex::new(Vec::new());
    exec.start("slice", cpus.len() as u64);
    for win in cpus.chunks(window) {
        let found = exec.par().min_chunk(1).map(win, |&icpu| -> Result<_> {
            let one = Exec {
                max_threads: Some(1),
                progress: None,
                ..*exec
            };
            exec.check()?;
            let spare = spares.lock().map_or(None, |mut v| v.pop());
            let t = load_vars(snap, Some(&[icpu]), &sel, vars, false, &one, spare, plane)?;
            let cols: Vec<&[f64]> = vars.iter().map(|v| t.column(v)).collect::<Result<_>>()?;
            // The pixels hit, and for each its cell's value of every
            // variable (no list of cells to look up again).
            let (mut hits, mut vals) = (Vec::new(), Vec::new());
            for k in 0..t.len() {
                cell_hits(view, &pc, &t, k, |q| {
                    hits.push(q);
                    vals.extend(cols.iter().map(|c| c[k]));
                });
            }
            if let Ok(mut v) = spares.lock() {
                v.push(t);
            }
            exec.advance(1);
            Ok((hits, vals))
        });
        for found in found {
            let (hits, vals) = found?;
            for (&q, v) in hits.iter().zip(vals.chunks_exact(vars.len())) {
                for ((_, map), &x) in out.maps.iter_mut().zip(v) {
                    map[q] = x;
                }
            }
        }
    }
    exec.finish();
    Ok(out)
}
