//! amrkit-kernels' integration tests, one binary (`cargo test -p
//! amrkit-kernels`): the kernels against yt's figures and maps on the real
//! outputs, sums that do not depend on how the CPU files are shared out,
//! the 1D/2D/3D synthetic writer through the kernels, profiles and phase
//! diagrams against a direct computation of their definitions, and views
//! (slices, off-axis projections, centres) against exact direct computations;
//! CIC deposits whose round-off leftovers are zero (`cic_round_off`).

mod cic_round_off;
mod partition_independent;
mod profiles;
mod real_data;
mod views;
mod writer_nd;
