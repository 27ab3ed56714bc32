//! amrkit-io
