//! amrkit-io's integration tests, one binary (`cargo test -p amrkit-io`):
//! the reader against yt's figures on the real outputs, the synthetic
//! writer round-tripping through it, damaged inputs, page residency and the
//! VTK writer. Shared helpers come from `amrkit-testkit`. Tests that need
//! the kernels or the CLI live with those (`kernels/tests`, `tests/cli`).

mod bad_input;
mod bisection;
mod groups;
mod pages;
mod particles;
mod pread;
mod real_data;
mod roundtrip;
mod vtk;
