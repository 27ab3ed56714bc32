//! The per-machine thread count `amrkit tune` stores (in
//! `$XDG_CACHE_HOME/amrkit/tune.json`, keyed by a CPU signature) and every
//! later command uses by default.

use crate::error::AnyResult;
use serde_json::json;
use std::path::PathBuf;

/// A machine signature: CPU model and core count.
pub fn signature() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!(
        "{model} / {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )
}

fn cache_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("amrkit").join("tune.json"))
}

/// The thread count `amrkit tune` stored for this machine, unless
/// `AMRKIT_NUM_THREADS` or `AMRKIT_NO_TUNE_CACHE` is set (or the caller
/// got `--no-tune-cache`).
pub fn tuned_threads() -> Option<usize> {
    if std::env::var_os("AMRKIT_NUM_THREADS").is_some()
        || std::env::var_os("AMRKIT_NO_TUNE_CACHE").is_some()
    {
        return None;
    }
    let text = std::fs::read_to_string(cache_file()?).ok()?;
    let j: serde_json::Value = serde_json::from_str(&text).ok()?;
    j[signature()]["threads"].as_u64().map(|n| n as usize)
}

/// Stores the fastest thread count of `rows` (threads, load, project,
/// export, their sum in seconds) for this machine, and says where.
pub fn store(rows: &[(usize, f64, f64, f64, f64)]) -> AnyResult<()> {
    let best = rows
        .iter()
        .min_by(|a, b| a.4.total_cmp(&b.4))
        .expect("a row")
        .0;
    let path = cache_file().ok_or("no cache folder (HOME unset)")?;
    std::fs::create_dir_all(path.parent().expect("parent"))?;
    let mut j: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(json!({}));
    j[signature()] = json!({
        "threads": best,
        "seconds_per_thread_count": rows.iter().map(|r| json!({"threads": r.0, "load": r.1, "project": r.2, "export": r.3})).collect::<Vec<_>>(),
    });
    let tmpf = path.with_extension("json.tmp");
    std::fs::write(&tmpf, serde_json::to_string_pretty(&j)?)?;
    std::fs::rename(&tmpf, &path)?;
    println!("stored: {best} threads for this machine in {} (used by default; AMRKIT_NO_TUNE_CACHE=1 or --threads to override)", path.display());
    Ok(())
}

/// The stored thread count for this machine, and the file (`None`: no
/// cache folder, HOME unset), whatever the environment says.
pub fn stored() -> (Option<usize>, Option<PathBuf>) {
    let Some(path) = cache_file() else {
        return (None, None);
    };
    let n = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|j| j[signature()]["threads"].as_u64())
        .map(|n| n as usize);
    (n, Some(path))
}

/// `amrkit tune --show`: the stored count, where, and whether this run
/// would use it.
pub fn show() -> AnyResult<()> {
    let (n, path) = stored();
    let path = path.ok_or("no cache folder (HOME unset)")?;
    match n {
        Some(n) => println!(
            "stored: {n} threads for this machine ({}) in {}{}",
            signature(),
            path.display(),
            if tuned_threads().is_some() {
                ""
            } else {
                " (not used now: AMRKIT_NUM_THREADS or AMRKIT_NO_TUNE_CACHE is set)"
            }
        ),
        None => println!(
            "nothing stored for this machine ({}) in {}: the thread count is the CPU count unless --threads or AMRKIT_NUM_THREADS",
            signature(),
            path.display()
        ),
    }
    Ok(())
}

/// `amrkit tune --reset`: removes this machine's entry (the file too when
/// it holds no other), through a temporary file.
pub fn forget() -> AnyResult<()> {
    let path = cache_file().ok_or("no cache folder (HOME unset)")?;
    let mut j: serde_json::Value = match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).unwrap_or(json!({})),
        Err(_) => {
            println!("nothing stored for this machine in {}", path.display());
            return Ok(());
        }
    };
    let had = j
        .as_object_mut()
        .and_then(|m| m.remove(&signature()))
        .is_some();
    if j.as_object().is_some_and(|m| m.is_empty()) {
        std::fs::remove_file(&path)?;
    } else {
        let tmpf = path.with_extension("json.tmp");
        std::fs::write(&tmpf, serde_json::to_string_pretty(&j)?)?;
        std::fs::rename(&tmpf, &path)?;
    }
    println!(
        "{} for this machine in {}",
        if had {
            "forgot the thread count stored"
        } else {
            "nothing was stored"
        },
        path.display()
    );
    Ok(())
}
