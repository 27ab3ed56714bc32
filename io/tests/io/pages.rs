//! Reads touch only the pages the request needs (issue 15), checked by page
//! residency rather than time: the output's pages are evicted from the
//! page cache (`posix_fadvise(DONTNEED)` after `fsync`), the reader runs,
//! and `mincore` tells which pages of each file it brought in. Every
//! resident page must be one that `amrkit_io::pages::needed_pages` (an
//! independent walk of the record markers) counts as needed; a reader that
//! walks ghost blocks or unrequested variables record by record, or lets
//! the kernel read ahead, fails.

use amrkit_io::pages::{needed_pages, PAGE};
use amrkit_io::{CellRequest, Snapshot, SynthPlan, SynthSpec};
use std::collections::BTreeSet;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Drops the file's cached pages; false if the file system keeps them.
fn evict(path: &Path) -> bool {
    let f = std::fs::File::open(path).unwrap();
    f.sync_all().unwrap();
    // SAFETY: a valid descriptor; advice only.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    resident(path).is_empty()
}

/// Indices of the file's pages now in the page cache.
fn resident(path: &Path) -> BTreeSet<u64> {
    let f = std::fs::File::open(path).unwrap();
    let len = f.metadata().unwrap().len() as usize;
    if len == 0 {
        return BTreeSet::new();
    }
    let pages = len.div_ceil(PAGE as usize);
    // SAFETY: a fresh read-only shared map of the whole file, never read
    // through (mincore only asks the kernel about it), unmapped below.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        )
    };
    assert_ne!(addr, libc::MAP_FAILED);
    let mut vec = vec![0u8; pages];
    // SAFETY: `addr..addr+len` is the map above; `vec` has one byte per page.
    let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr()) };
    // SAFETY: the map made above, not used afterwards.
    unsafe { libc::munmap(addr, len) };
    assert_eq!(rc, 0, "mincore failed");
    (0..pages as u64)
        .filter(|&i| vec[i as usize] & 1 != 0)
        .collect()
}

fn check(req_vars: &[&str], grav: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = SynthPlan::new(SynthSpec {
        ncpu: 16,
        levelmin: 5,
        levelmax: 7,
        ..SynthSpec::default()
    })
    .unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    let snap = Snapshot::open(&out).unwrap();
    let hydro_vars: Vec<usize> = req_vars
        .iter()
        .map(|v| snap.hydro_index(v).unwrap())
        .collect();
    let grav_vars: Vec<usize> = if grav {
        (0..snap.grav_fields.len()).collect()
    } else {
        vec![]
    };
    let lmax = snap.info.levelmax;
    let ncpu = snap.info.ncpu;
    let needed: Vec<_> = (1..=ncpu)
        .map(|icpu| needed_pages(&snap, icpu, lmax, &hydro_vars, &grav_vars).unwrap())
        .collect();
    for files in &needed {
        for f in files {
            if !evict(&f.path) {
                eprintln!(
                    "skipping: this file system keeps evicted pages cached ({})",
                    f.path.display()
                );
                return;
            }
        }
    }
    let req = CellRequest {
        lmax,
        region: None,
        slab: None,
        hydro_vars: hydro_vars.clone(),
        grav_vars: grav_vars.clone(),
        rt_vars: vec![],
    };
    let mut cells = 0;
    for icpu in 1..=ncpu {
        cells += snap.read_cpu(icpu, &req).unwrap().len();
    }
    assert_eq!(cells, plan.leaf_cells_per_level().iter().sum::<usize>());
    let (mut got, mut want, mut total) = (0usize, 0usize, 0u64);
    for files in &needed {
        for f in files {
            let r = resident(&f.path);
            let extra: Vec<_> = r.difference(&f.pages).collect();
            assert!(
                extra.is_empty(),
                "{}: read {} pages that the request does not need (first: {:?}; needed {} of {})",
                f.path.display(),
                extra.len(),
                &extra[..extra.len().min(8)],
                f.pages.len(),
                f.file_pages()
            );
            got += r.len();
            want += f.pages.len();
            total += f.file_pages();
        }
    }
    // The reader needs at least the pages holding the values it returned,
    // and the request is a small part of the files (ghost blocks dominate).
    assert!(got * 10 >= want * 7, "read {got} pages, {want} needed");
    assert!(
        (want as u64) * 10 < total * 9,
        "needed {want} of {total} pages: not a sparse request"
    );
}

#[test]
fn one_variable_reads_only_its_pages() {
    check(&["density"], false);
}

#[test]
fn several_variables_and_gravity_read_only_their_pages() {
    check(&["density", "pressure"], true);
}
