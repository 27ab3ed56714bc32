#!/usr/bin/env python3
"""Peak RssAnon / RssFile / VmHWM of a command, polled from /proc every 10 ms.

Usage: benches/rss_peak.py CMD [ARGS...]
"""
import subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
pa = pf = hwm = 0
t0 = time.time()
while p.poll() is None:
    try:
        d = {}
        for line in open(f"/proc/{p.pid}/status"):
            k, _, v = line.partition(":")
            if k in ("RssAnon", "RssFile", "VmHWM"):
                d[k] = int(v.split()[0])
        pa = max(pa, d.get("RssAnon", 0)); pf = max(pf, d.get("RssFile", 0)); hwm = max(hwm, d.get("VmHWM", 0))
    except Exception:
        pass
    time.sleep(0.01)
print(f"anon {pa/1024:.0f} MiB  file {pf/1024:.0f} MiB  hwm {hwm/1024:.0f} MiB  wall {time.time()-t0:.1f} s  rc {p.returncode}")
