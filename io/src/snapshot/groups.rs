//! Where an output's files sit ([`FileLayout`]): in the folder itself, or
//! in `group_GGGGG` folders (`IOGROUPSIZEREP`): the group folders, their
//! size, and the check that each holds its CPUs' files.

use crate::error::{io_err, Error, Result};
use std::path::{Path, PathBuf};

/// Where the files of an output sit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileLayout {
    /// Every file in the output folder itself.
    Flat,
    /// `IOGROUPSIZEREP`: CPU `c`'s files in `group_GGGGG/` with
    /// `GGGGG = (c-1)/size + 1`; the text files (info, descriptors,
    /// `header_`) where RAMSES's rank 1 wrote them (found by search).
    Groups {
        /// CPUs per group folder (the group size of the run).
        size: usize,
        /// Group folders that hold CPU files: `ceil(ncpu/size)`.
        count: usize,
    },
}

/// `group_GGGGG`.
pub(super) fn group_name(g: usize) -> String {
    format!("group_{g:05}")
}

/// The first folder of `search` holding a file `name`.
pub(super) fn find_in(search: &[PathBuf], name: &str) -> Option<PathBuf> {
    search.iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// Numbers of the `group_GGGGG` subfolders of `dir`, sorted.
pub(super) fn group_folders(dir: &Path) -> Result<Vec<usize>> {
    let mut groups = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let e = e.map_err(|e| io_err(dir, e))?;
        let name = e.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix("group_")) else {
            continue;
        };
        if digits.len() == 5 && digits.bytes().all(|b| b.is_ascii_digit()) && e.path().is_dir() {
            groups.push(digits.parse().expect("5 digits"));
        }
    }
    groups.sort_unstable();
    Ok(groups)
}

/// The CPU numbers `C` of the `amr_NNNNN.outCCCCC` files in `folder`.
fn amr_cpus_in(folder: &Path, iout: u32) -> Result<Vec<usize>> {
    let prefix = format!("amr_{iout:05}.out");
    let mut cpus = Vec::new();
    for e in std::fs::read_dir(folder).map_err(|e| io_err(folder, e))? {
        let e = e.map_err(|e| io_err(folder, e))?;
        let name = e.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        if digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
            cpus.push(digits.parse().unwrap_or(0));
        }
    }
    cpus.sort_unstable();
    Ok(cpus)
}

/// The group layout of an output whose files are in `group_GGGGG`
/// folders: the group size is the number of CPU files in `group_00001`
/// (RAMSES fills groups in rank order, `IOGROUPSIZEREP` ranks each, the last
/// one possibly short), and every group must then hold exactly its CPUs.
pub(super) fn group_layout(
    dir: &Path,
    iout: u32,
    ncpu: usize,
    groups: &[usize],
) -> Result<FileLayout> {
    let first = dir.join(group_name(1));
    if groups.first() != Some(&1) {
        return Err(Error::Inconsistent {
            path: first,
            problem: "missing: group folders must start at group_00001".into(),
        });
    }
    let size = amr_cpus_in(&first, iout)?.len();
    if size == 0 {
        return Err(Error::Inconsistent {
            path: first,
            problem: format!(
                "holds no amr_{iout:05}.outCCCCC file, so the group size (IOGROUPSIZEREP) is unknown"
            ),
        });
    }
    let count = ncpu.div_ceil(size);
    for g in 1..=groups.last().copied().unwrap_or(1).max(count) {
        let folder = dir.join(group_name(g));
        let want: Vec<usize> = if g <= count {
            ((g - 1) * size + 1..=(g * size).min(ncpu)).collect()
        } else {
            Vec::new()
        };
        let got = if folder.is_dir() {
            amr_cpus_in(&folder, iout)?
        } else {
            Vec::new()
        };
        if got != want {
            let show = |v: &[usize]| match (v.first(), v.last()) {
                (Some(a), Some(b)) if v.len() == b - a + 1 => format!("CPUs {a}..={b}"),
                (Some(_), Some(_)) => format!("CPUs {v:?}"),
                _ => "no CPU files".to_string(),
            };
            return Err(Error::Inconsistent {
                path: folder,
                problem: format!(
                    "holds amr_ files of {}, expected {} (ncpu = {ncpu}, {size} CPUs per group as in group_00001)",
                    show(&got),
                    show(&want)
                ),
            });
        }
    }
    Ok(FileLayout::Groups { size, count })
}
