//! Failures as a user meets them: one line and a failure code on bad
//! input, a quiet end when stdout is closed.

use testkit::{amrkit, runs};

#[test]
fn bad_input_gives_one_line_and_a_failure_code() {
    let out = amrkit()
        .args(["info", "/nonexistent/output_00001"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/output_00001"), "{err}");
    let out = amrkit()
        .args([
            "project", ".", "--var", "density", "--axis", "w", "--out", "x.npy",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// `amrkit … | head` must end quietly when the reader goes away, as Unix
/// filters do: no "failed printing to stdout" panic. The child's stdout is
/// a pipe whose read end is already closed, so its first write fails.
#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly() {
    use std::os::fd::FromRawFd;
    use std::os::unix::process::ExitStatusExt;
    let Some(run) = runs().into_iter().next() else {
        return;
    };
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors were just created and are owned here only.
    let (read, write) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    drop(read);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("amrkit"))
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .args(["--threads", "2", "stats"])
        .arg(&run.output)
        .stdout(std::process::Stdio::from(write))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?}: {err}",
        out.status
    );
}
