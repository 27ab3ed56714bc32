//! Profiles and phase diagrams shared between processes.
//!
//! Both need one number from the whole selection before any cell can be
//! binned: a profile's first edge `r0` (the smallest cell of the
//! selection, when not given) and a phase diagram's default ranges (the
//! extrema). Each process finds its share's (a first pass over its files,
//! `amrkit_kernels::binned_files`), rank 0 combines them (min and max are
//! exact, so the outcome does not depend on the split) and broadcasts the
//! result; then every process bins its files, a CPU file at a time, into
//! per-block partials, which rank 0 folds in file order as one process
//! would.

use crate::wire::{self, Reader, Writer};
use crate::{gather_checked, share, Comm, Result};
use amrkit_io::Snapshot;
use amrkit_kernels::binned_files::{
    phase_cells_check, phase_extent, phase_partials_files, profile_partials_files,
    smallest_selected_cell,
};
use amrkit_kernels::binned_request::{
    name_phase, name_profile, phase_output, phase_spec, phase_vars, profile_output, profile_setup,
    BinnedColumns, Column, PhaseAxisRequest, ProfileRequest,
};
use amrkit_kernels::phase::{axes_from, combine_extrema, Phase, PhaseFold};
use amrkit_kernels::profile::{Profile, ProfileFold, ProfilePlan};
use amrkit_kernels::project::Weight;
use amrkit_kernels::{Exec, Selection};

/// Rank 0's `value` (computed there from every process's message) on
/// every process.
fn broadcast_f64s(comm: &dyn Comm, value: Vec<f64>) -> Result<Vec<f64>> {
    let mut w = Writer::default();
    w.f64s(&value);
    let bytes = comm.broadcast(w.buf);
    let mut r = Reader::new(&bytes);
    let v = r.f64s()?;
    r.done()?;
    Ok(v)
}

/// `profile`: on rank 0 the profile of `req` (as
/// [`profile_output`] makes it in one process, bit for bit); `None` on the
/// others.
pub fn profile(
    comm: &dyn Comm,
    s: &Snapshot,
    req: &ProfileRequest,
    exec: &Exec,
) -> Result<Option<(Profile, Vec<Column>)>> {
    let text = |e: amrkit_kernels::KernelError| e.to_string();
    if comm.size() == 1 {
        return profile_output(s, req, exec).map(Some).map_err(text);
    }
    // Step 1: every process finds the smallest cell of its share (the
    // amr files only; nothing to find when r0 is given).
    let vars: Vec<&str> = req.vars.iter().map(String::as_str).collect();
    let step1 = (|| -> Result<_> {
        let (spec, sel) = profile_setup(s, req).map_err(text)?;
        let mine = share(comm, s, &sel)?;
        let b = BinnedColumns::new(s, &vars, &req.units, req.mu).map_err(text)?;
        ProfilePlan::check(&spec).map_err(text)?;
        let r0 = match spec.rmin {
            Some(r0) => Some(r0),
            None => smallest_selected_cell(s, &mine, &spec, exec).map_err(text)?,
        };
        Ok((spec, mine, b, r0))
    })();
    let msg = step1.as_ref().map_err(Clone::clone).map(|x| {
        let mut w = Writer::default();
        w.f64(x.3.unwrap_or(f64::NAN));
        w.buf
    });
    let all = gather_checked(comm, msg)?;
    let (spec, mine, b, _) = step1.expect("every process agreed there was no error");
    let r0 = match all {
        Some(all) => {
            let mut r0 = f64::INFINITY;
            for m in &all {
                let mut r = Reader::new(m);
                let v = r.f64()?;
                r.done()?;
                if v < r0 {
                    r0 = v;
                }
            }
            vec![r0]
        }
        None => Vec::new(),
    };
    let r0 = broadcast_f64s(comm, r0)?[0];
    // Step 2: partials of each process's files, a file at a time, folded
    // on rank 0.
    let local = (|| -> Result<Vec<u8>> {
        if !r0.is_finite() {
            // No process has a cell in the selection.
            return Err(format!(
                "empty selection: no cell centre within {} (code units) of {:?}",
                spec.radius, spec.center
            ));
        }
        let plan = ProfilePlan::new(&spec, r0).map_err(text)?;
        let mut parts = Vec::new();
        profile_partials_files(s, &mine, &plan, &b, exec, |p| {
            parts.extend(p);
            Ok(())
        })
        .map_err(text)?;
        let mut w = Writer::default();
        wire::put_profile_partials(&mut w, &parts);
        Ok(w.buf)
    })();
    let Some(all) = gather_checked(comm, local)? else {
        return Ok(None);
    };
    let plan = ProfilePlan::new(&spec, r0).map_err(text)?;
    let mut fold = ProfileFold::new(plan.edges.bins(), vars.len());
    for m in &all {
        let mut r = Reader::new(m);
        for p in wire::get_profile_partials(&mut r)? {
            fold.add(&p);
        }
        r.done()?;
    }
    let mut p = Profile::from_sums(&plan, &b.names(), &fold.finish()).map_err(text)?;
    name_profile(&mut p, &b.cols);
    Ok(Some((p, b.cols)))
}

/// `phase`: on rank 0 the phase diagram (as [`phase_output`] makes it in
/// one process, bit for bit); `None` on the others.
#[allow(clippy::too_many_arguments)]
pub fn phase(
    comm: &dyn Comm,
    s: &Snapshot,
    sel: &Selection,
    axes: [&PhaseAxisRequest; 2],
    z: Option<(&str, Option<&str>)>,
    weight: Weight,
    mu: f64,
    exec: &Exec,
) -> Result<Option<(Phase, Vec<Column>)>> {
    let text = |e: amrkit_kernels::KernelError| e.to_string();
    if comm.size() == 1 {
        return phase_output(s, sel, axes, z, weight, mu, exec)
            .map(Some)
            .map_err(text);
    }
    let (vars, units) = phase_vars(axes, z);
    // Step 1: every process's share, its cell count and extrema (a pass
    // over x and y only; none when both ranges are given).
    let step1 = (|| -> Result<_> {
        let mine = share(comm, s, sel)?;
        let b = BinnedColumns::new(s, &vars, &units, mu).map_err(text)?;
        let spec = phase_spec(axes, &b.cols, weight);
        let xy = BinnedColumns::new(s, &vars[..2], &units[..2], mu).map_err(text)?;
        let ext = phase_extent(s, &mine, &spec, &xy, exec).map_err(text)?;
        Ok((mine, b, spec, ext))
    })();
    let msg = step1.as_ref().map_err(Clone::clone).map(|x| {
        let mut w = Writer::default();
        // Without a first pass: one cell (checked after the binning).
        let (cells, ext) = x.3.unwrap_or((1, [None, None]));
        w.usize(cells);
        for e in ext {
            w.f64s(&e.map_or(Vec::new(), |r| r.to_vec()));
        }
        w.buf
    });
    let all = gather_checked(comm, msg)?;
    let (mine, b, spec, _) = step1.expect("every process agreed there was no error");
    let combined = match all {
        Some(all) => {
            let (mut cells, mut ext) = (0usize, [None, None]);
            for m in &all {
                let mut r = Reader::new(m);
                cells += r.usize()?;
                let mut e = [None, None];
                for x in e.iter_mut() {
                    *x = match r.f64s()?[..] {
                        [] => None,
                        [a, b] => Some([a, b]),
                        _ => return Err(wire::malformed()),
                    };
                }
                r.done()?;
                ext = combine_extrema(ext, e);
            }
            // cells, then per axis: present, lo, hi.
            let mut v = vec![cells as f64];
            for e in ext {
                v.extend(e.map_or([0.0, 0.0, 0.0], |[a, b]| [1.0, a, b]));
            }
            v
        }
        None => Vec::new(),
    };
    let v = broadcast_f64s(comm, combined)?;
    if v.len() != 7 {
        return Err(wire::malformed());
    }
    let ext = [1, 4].map(|k| (v[k] == 1.0).then_some([v[k + 1], v[k + 2]]));
    let local = (|| -> Result<Vec<u8>> {
        let ax = axes_from(&spec, ext, v[0] as usize).map_err(text)?;
        let mut parts = Vec::new();
        phase_partials_files(s, &mine, &spec, &ax, &b, exec, |p| {
            parts.extend(p);
            Ok(())
        })
        .map_err(text)?;
        let mut w = Writer::default();
        wire::put_phase_partials(&mut w, &parts);
        Ok(w.buf)
    })();
    let Some(all) = gather_checked(comm, local)? else {
        return Ok(None);
    };
    let ax = axes_from(&spec, ext, v[0] as usize).map_err(text)?;
    let mut fold = PhaseFold::new(&ax);
    for m in &all {
        let mut r = Reader::new(m);
        for p in wire::get_phase_partials(&mut r)? {
            fold.add(&p);
        }
        r.done()?;
    }
    let mut ph = fold.finish(&spec, &ax);
    phase_cells_check(ph.binned[0] + ph.outside[0] + ph.dropped[0]).map_err(text)?;
    name_phase(&mut ph, &b.cols);
    Ok(Some((ph, b.cols)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use amrkit_kernels::profile::ProfileSpec;
    use std::sync::{Arc, Barrier, Mutex};

    /// `n` processes as threads of one test: collectives through shared
    /// slots and a barrier.
    struct Threads {
        rank: usize,
        n: usize,
        slots: Arc<Mutex<Vec<Vec<u8>>>>,
        barrier: Arc<Barrier>,
    }

    impl Comm for Threads {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            self.n
        }
        fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
            self.slots.lock().unwrap()[self.rank] = mine.to_vec();
            self.barrier.wait();
            let all = (self.rank == 0).then(|| self.slots.lock().unwrap().clone());
            self.barrier.wait();
            all
        }
        fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8> {
            if self.rank == 0 {
                self.slots.lock().unwrap()[0] = bytes;
            }
            self.barrier.wait();
            let b = self.slots.lock().unwrap()[0].clone();
            self.barrier.wait();
            b
        }
        fn barrier(&self) {
            self.barrier.wait();
        }
    }

    /// Runs `f` as `n` processes; rank 0's result.
    fn as_processes<T: Send + 'static>(
        n: usize,
        f: impl Fn(&dyn Comm) -> T + Send + Sync + 'static,
    ) -> T {
        let f = Arc::new(f);
        let slots = Arc::new(Mutex::new(vec![Vec::new(); n]));
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|rank| {
                let (f, slots, barrier) = (f.clone(), slots.clone(), barrier.clone());
                std::thread::spawn(move || {
                    f(&Threads {
                        rank,
                        n,
                        slots,
                        barrier,
                    })
                })
            })
            .collect();
        let mut out: Vec<T> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        out.swap_remove(0)
    }

    fn gravity() -> Option<Snapshot> {
        let dir = std::env::var_os("AMRKIT_TEST_DATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../shared/data/ramses")
            })
            .join("gravity/output_00002");
        if !dir.is_dir() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{dir:?} missing under CI=true"
            );
            eprintln!("SKIPPED: {dir:?} not found");
            return None;
        }
        Some(Snapshot::open(dir).unwrap())
    }

    #[test]
    fn profiles_and_phases_on_1_to_4_processes_are_the_same_bits() {
        let Some(s) = gravity() else { return };
        let s = Arc::new(s);
        let c = [0.15, 0.9, 0.5];
        let req = ProfileRequest {
            vars: vec!["density".into(), "temperature".into(), "velocity_x".into()],
            units: Vec::new(),
            center: c,
            radius: Some(0.4),
            spec: ProfileSpec::new(c, 0.4),
            mu: 0.6,
            lmax: None,
        };
        let ax = |v: &str| PhaseAxisRequest {
            var: v.into(),
            unit: None,
            lin: false,
            range: None,
            bins: 64,
        };
        let mut seen: Vec<(String, String)> = Vec::new();
        for n in 1..=4 {
            let (s, req) = (s.clone(), req.clone());
            let (ax0, ax1) = (ax("density"), ax("temperature"));
            let (p, ph) = as_processes(n, move |comm| {
                let exec = Exec::default();
                let p = profile(comm, &s, &req, &exec).unwrap();
                let ph = phase(
                    comm,
                    &s,
                    &Selection::default(),
                    [&ax0, &ax1],
                    Some(("velocity_x", None)),
                    Weight::Mass,
                    0.6,
                    &exec,
                )
                .unwrap();
                assert_eq!(p.is_some(), comm.rank() == 0);
                (p, ph)
            });
            let (p, _) = p.unwrap();
            let (ph, _) = ph.unwrap();
            assert_eq!(p.vars[1].name, "temperature");
            let values: Vec<u64> = ph.values.iter().map(|v| v.to_bits()).collect();
            seen.push((
                p.to_json(true).to_string(),
                format!("{values:?} {}", ph.to_json()),
            ));
        }
        for (n, s) in seen.iter().enumerate().skip(1) {
            assert!(s.0 == seen[0].0, "profile on {} processes differs", n + 1);
            assert!(s.1 == seen[0].1, "phase on {} processes differs", n + 1);
        }
    }

    #[test]
    fn an_empty_selection_fails_on_every_process() {
        let Some(s) = gravity() else { return };
        let s = Arc::new(s);
        let c = [0.5, 0.5, 0.5];
        let req = ProfileRequest {
            vars: vec!["density".into()],
            units: Vec::new(),
            center: c,
            radius: Some(1e-4),
            spec: ProfileSpec::new(c, 1e-4),
            mu: 0.6,
            lmax: None,
        };
        let errs = as_processes(3, move |comm| {
            profile(comm, &s, &req, &Exec::default()).unwrap_err()
        });
        assert!(errs.contains("empty selection"), "{errs}");
    }
}
