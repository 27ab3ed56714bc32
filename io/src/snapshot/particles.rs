//! The particle files of a [`Snapshot`]: their layout, and the two-phase
//! read of one CPU's particles (a small file by one positioned read, a
//! large one mapped).

use super::mapped::{map_file, Access};
use super::Snapshot;
use crate::error::{Error, Result};
use crate::particles::{part_count, read_particles_into, ColumnKind, PartColumn, PartLayout};
use crate::pread::{with_head, with_head_len, with_whole};

/// Bytes read for a particle file's header: the first page.
const PART_HEAD: usize = 4096;

/// Particle files up to this size are read whole by one positioned read
/// (no map); larger ones are mapped.
const WHOLE_READ: usize = 8 << 20;

/// Phase one of a particle read ([`Snapshot::part_scan`]).
#[derive(Clone, Debug)]
pub struct PartScan {
    /// Particles in the file.
    pub count: usize,
    /// The whole file, when it was small enough to come with the header.
    whole: Option<Vec<u8>>,
}

impl Snapshot {
    /// Why the particle files cannot be read (their layout could not be
    /// found), when there are particle files and that is so.
    pub fn particle_problem(&self) -> Option<&Error> {
        self.part_problem.as_deref()
    }

    /// The particle layout, or an error naming the missing files or why
    /// the layout is unknown.
    pub fn particle_layout(&self) -> Result<&PartLayout> {
        if let Some(e) = &self.part_problem {
            return Err(Error::Shared(e.clone()));
        }
        self.part_layout
            .as_ref()
            .ok_or_else(|| Error::Inconsistent {
                path: self.file("part", 1),
                problem: "no particle files in this output".into(),
            })
    }

    /// Phase one for particles: how many particles CPU `icpu` holds (its
    /// header, from the first page; the whole file when the header is
    /// longer or broken, for the error).
    pub fn part_count(&self, icpu: usize) -> Result<usize> {
        let path = self.file("part", icpu);
        if let Ok(n) = with_head(&path, PART_HEAD, |head| part_count(&path, head))? {
            return Ok(n);
        }
        let data = map_file(&path, Access::Sparse)?;
        part_count(&path, &data)
    }

    /// [`Snapshot::part_count`] that keeps the file's bytes when the header
    /// read held all of it (a file of at most a page: with thousands of
    /// CPU files, most hold few particles or none), so that
    /// [`Snapshot::read_particles_scanned`] need not open it again.
    pub fn part_scan(&self, icpu: usize) -> Result<PartScan> {
        let path = self.file("part", icpu);
        let kept = with_head_len(&path, PART_HEAD, |head, len| {
            let whole = len == head.len();
            part_count(&path, head).map(|n| (n, whole.then(|| head.to_vec())))
        })?;
        match kept {
            Ok((count, whole)) => Ok(PartScan { count, whole }),
            Err(_) => {
                let data = map_file(&path, Access::Sparse)?;
                let count = part_count(&path, &data)?;
                Ok(PartScan { count, whole: None })
            }
        }
    }

    /// Phase two after [`Snapshot::part_scan`]: from the kept bytes when
    /// there are some, else as [`Snapshot::read_particles_into`].
    pub fn read_particles_scanned(
        &self,
        icpu: usize,
        scan: &PartScan,
        wanted: &[usize],
        out: Vec<crate::particles::PartColumnMut>,
    ) -> Result<()> {
        match &scan.whole {
            Some(data) => {
                let layout = self.particle_layout()?;
                read_particles_into(&self.file("part", icpu), data, layout, wanted, out)
            }
            None => self.read_particles_into(icpu, wanted, out),
        }
    }

    /// Phase two: the fields `wanted` (layout indices) of CPU `icpu` into
    /// caller-owned columns of [`Snapshot::part_count`] values each.
    pub fn read_particles_into(
        &self,
        icpu: usize,
        wanted: &[usize],
        out: Vec<crate::particles::PartColumnMut>,
    ) -> Result<()> {
        let layout = self.particle_layout()?;
        let path = self.file("part", icpu);
        // A whole small file by one positioned read; a large one mapped.
        let out = match with_whole(&path, WHOLE_READ, out, |data, out| {
            read_particles_into(&path, data, layout, wanted, out)
        })? {
            Ok(done) => return done,
            Err(out) => out,
        };
        // A few fields of a large file (`stats` takes mass and family):
        // only their records' pages, not the whole file resident at once
        // (a 132 MB file of a clustered run would be; issue 30's bound).
        let access = if wanted.len() * 2 < layout.fields.len() {
            Access::Sparse
        } else {
            Access::Whole
        };
        let data = map_file(&path, access)?;
        read_particles_into(&path, &data, layout, wanted, out)
    }

    /// The fields `wanted` of CPU `icpu`, as fresh columns.
    pub fn read_particles(&self, icpu: usize, wanted: &[usize]) -> Result<Vec<PartColumn>> {
        let layout = self.particle_layout()?;
        let path = self.file("part", icpu);
        let read = |data: &[u8]| -> Result<Vec<PartColumn>> {
            let n = part_count(&path, data)?;
            let mut cols: Vec<PartColumn> = wanted
                .iter()
                .map(|&f| {
                    let kind = layout
                        .fields
                        .get(f)
                        .map(|f| f.kind.column())
                        .unwrap_or(ColumnKind::F64);
                    PartColumn::zeros(kind, n)
                })
                .collect();
            let out = cols.iter_mut().map(|c| c.as_mut()).collect();
            read_particles_into(&path, data, layout, wanted, out)?;
            Ok(cols)
        };
        if let Ok(done) = with_whole(&path, WHOLE_READ, (), |data, ()| read(data))? {
            return done;
        }
        let data = map_file(&path, Access::Whole)?;
        read(&data)
    }
}
