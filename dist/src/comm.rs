//! The few collective operations amrkit needs, over MPI or within one
//! process.
//!
//! Every call is collective: every process makes it, in the same order,
//! from its main thread only (MPI is initialised with
//! `MPI_THREAD_FUNNELED`: the pool's workers never call MPI).

/// A group of processes that share an output's files.
pub trait Comm {
    /// This process's number, 0 to `size() - 1`.
    fn rank(&self) -> usize;
    /// How many processes there are.
    fn size(&self) -> usize;
    /// Every process's bytes, in rank order, on rank 0 (`None` elsewhere).
    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>>;
    /// Rank 0's `bytes` on every process (the others pass anything).
    fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8>;
    /// Waits until every process has called it.
    fn barrier(&self);
    /// Whether this is the process that prints and writes the results.
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
}

/// One process alone (the plain binary, or a run without `mpirun`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Single;

impl Comm for Single {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        Some(vec![mine.to_vec()])
    }
    fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }
    fn barrier(&self) {}
}

#[cfg(feature = "mpi")]
pub use self::mpi_comm::Mpi;

/// The variables an MPI launcher sets in each process it starts: Open MPI
/// (`mpirun`, `mpiexec`), MPICH's and Intel MPI's Hydra, PMIx and Slurm's
/// PMI (`srun --mpi=…`).
const LAUNCHER_VARS: [&str; 5] = [
    "OMPI_COMM_WORLD_SIZE",
    "PMI_SIZE",
    "PMI_RANK",
    "PMIX_RANK",
    "MPI_LOCALNRANKS",
];

/// Whether this process was started by an MPI launcher, so that it should
/// initialise MPI. Why ask: `MPI_Init` of a process started alone (a
/// "singleton") costs ~0.35 s here, for a group of one, which is all of a
/// small command's time. `AMRKIT_MPI=1` forces MPI on (a launcher that
/// sets none of `OMPI_COMM_WORLD_SIZE`, `PMI_SIZE`, `PMI_RANK`,
/// `PMIX_RANK`, `MPI_LOCALNRANKS`), `AMRKIT_MPI=0` off.
pub fn launched_by_mpi() -> bool {
    launched_by_mpi_in(|k| std::env::var_os(k))
}

/// [`launched_by_mpi`] reading the environment through `var`.
fn launched_by_mpi_in(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    match var("AMRKIT_MPI").as_deref().and_then(|v| v.to_str()) {
        Some("1") => true,
        Some("0") => false,
        _ => LAUNCHER_VARS.iter().any(|k| var(k).is_some()),
    }
}

#[cfg(feature = "mpi")]
mod mpi_comm {
    use super::Comm;
    use mpi::datatype::PartitionMut;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::*;
    use mpi::Count;

    /// The processes of `MPI_COMM_WORLD`. Holds the MPI environment:
    /// dropping it finalises MPI.
    pub struct Mpi {
        // Field order: the communicator goes before the universe.
        world: SimpleCommunicator,
        _universe: mpi::environment::Universe,
    }

    impl Mpi {
        /// Initialises MPI with `MPI_THREAD_FUNNELED` (only the main thread
        /// calls MPI). `Err` when MPI cannot start or gives less.
        pub fn init() -> Result<Mpi, String> {
            let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Funneled)
                .ok_or("MPI could not be initialised (already initialised?)")?;
            if threading < mpi::Threading::Funneled {
                return Err(format!(
                    "the MPI library gives {threading:?} threading; amrkit needs Funneled"
                ));
            }
            Ok(Mpi {
                world: universe.world(),
                _universe: universe,
            })
        }
    }

    impl Comm for Mpi {
        fn rank(&self) -> usize {
            self.world.rank() as usize
        }

        fn size(&self) -> usize {
            self.world.size() as usize
        }

        fn gather(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
            let root = self.world.process_at_rank(0);
            // Every process learns every length, so all of them choose the
            // same path below.
            let n = mine.len() as u64;
            let mut lens = vec![0u64; self.size()];
            self.world.all_gather_into(&n, &mut lens[..]);
            let (limit, chunk) = super::gather_limits();
            let total: u64 = lens.iter().sum();
            if total > limit {
                return self.gather_in_pieces(mine, &lens, chunk);
            }
            // Under the limit, one `MPI_Gatherv`: its counts and
            // displacements are C ints, which `limit` keeps in range.
            let counts: Vec<Count> = lens.iter().map(|&l| l as Count).collect();
            if self.rank() != 0 {
                root.gather_varcount_into(mine);
                return None;
            }
            let mut displs = Vec::with_capacity(counts.len());
            let mut at: usize = 0;
            for &c in &counts {
                displs.push(at as Count);
                at += c as usize;
            }
            let mut buf = vec![0u8; at];
            {
                let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(mine, &mut part);
            }
            let mut out = Vec::with_capacity(counts.len());
            let mut at = 0;
            for &c in &counts {
                out.push(buf[at..at + c as usize].to_vec());
                at += c as usize;
            }
            Some(out)
        }

        fn barrier(&self) {
            self.world.barrier();
        }

        fn broadcast(&self, mut bytes: Vec<u8>) -> Vec<u8> {
            let root = self.world.process_at_rank(0);
            let mut n: u64 = bytes.len() as u64;
            root.broadcast_into(&mut n);
            bytes.resize(n as usize, 0);
            // In pieces whose counts fit a C int; nothing to send for an
            // empty message (an empty Vec's pointer is not one MPI accepts).
            let (_, chunk) = super::gather_limits();
            for piece in bytes.chunks_mut(chunk) {
                root.broadcast_into(piece);
            }
            bytes
        }
    }

    impl Mpi {
        /// The gather of messages whose total is over what one
        /// `MPI_Gatherv` can address on rank 0 (2 GiB): each rank sends its
        /// message to rank 0 in pieces of at most `chunk` bytes, rank by
        /// rank, in the order rank 0 receives them.
        fn gather_in_pieces(
            &self,
            mine: &[u8],
            lens: &[u64],
            chunk: usize,
        ) -> Option<Vec<Vec<u8>>> {
            let root = self.world.process_at_rank(0);
            if self.rank() != 0 {
                for piece in mine.chunks(chunk) {
                    root.send(piece);
                }
                return None;
            }
            let mut out = Vec::with_capacity(lens.len());
            out.push(mine.to_vec());
            for (r, &len) in lens.iter().enumerate().skip(1) {
                let from = self.world.process_at_rank(r as i32);
                let mut buf = vec![0u8; len as usize];
                for piece in buf.chunks_mut(chunk) {
                    from.receive_into(piece);
                }
                out.push(buf);
            }
            Some(out)
        }
    }
}

/// `(most bytes one gather moves in one MPI call, largest piece)`: 2³¹ − 1
/// and 1 GiB, the C-int counts of MPI. `AMRKIT_DIST_GATHER_LIMIT=N` lowers
/// both to `N` bytes, so that tests can take the piecewise path on small
/// outputs.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
fn gather_limits() -> (u64, usize) {
    let hard = i32::MAX as u64;
    match std::env::var("AMRKIT_DIST_GATHER_LIMIT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(n) if n >= 1 => (n.min(hard), n.min(1 << 30) as usize),
        _ => (hard, 1 << 30),
    }
}

#[cfg(test)]
mod launcher_tests {
    use super::launched_by_mpi_in;
    use std::ffi::OsString;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| pairs.iter().find(|p| p.0 == k).map(|p| OsString::from(p.1))
    }

    /// A launcher's variable turns MPI on; none leaves it off; AMRKIT_MPI
    /// overrides either way.
    #[test]
    fn launchers_are_recognised_and_the_override_wins() {
        assert!(!launched_by_mpi_in(env(&[("HOME", "/root")])));
        for k in [
            "OMPI_COMM_WORLD_SIZE",
            "PMI_SIZE",
            "PMI_RANK",
            "PMIX_RANK",
            "MPI_LOCALNRANKS",
        ] {
            assert!(launched_by_mpi_in(env(&[(k, "2")])), "{k}");
            assert!(
                !launched_by_mpi_in(env(&[(k, "2"), ("AMRKIT_MPI", "0")])),
                "{k}"
            );
        }
        assert!(launched_by_mpi_in(env(&[("AMRKIT_MPI", "1")])));
    }
}
