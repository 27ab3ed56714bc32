//! The `amrkit` binary run as a user would, one test binary. A module per
//! command on the shared real outputs (`info_stats`, `project`, `export`,
//! `particles`, `series`, `bench`, `errors`), then a module per kind of
//! output: the format variants (`variants`), 1D/2D outputs (`dims`),
//! particles without a descriptor (`particles_inferred`), RAMSES-RT (`rt`),
//! and results independent of the thread count (`threads_identical`).
//! The MPI tests are apart (`tests/mpi.rs`, `--features mpi`).

mod bench;
mod errors;
mod export;
mod info_stats;
mod particles;
mod project;
mod series;

mod dims;
mod particles_inferred;
mod rt;
mod threads_identical;
mod variants;
