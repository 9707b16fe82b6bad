"""dev/bench-ready's numbers: the lab's create -> running, phase by phase, cold and from the pool
(medians), then a model of the same for real AWS, the lab's phases plus public constants.

Usage: bench_ready.py RECORDS CLOSURE_PATHS
  RECORDS: one JSON line per run, {"kind": "cold"|"pooled", "wall_ms", "timeline", "ready_s",
  "from_pool", "timings", "phase"} (what GET /list said of the VM once it ran);
  CLOSURE_PATHS: how many store paths the demo toplevel's closure has.
"""
import json
import math
import statistics
import sys
from datetime import datetime

# Public constants for what the lab cannot do (seconds).
RUN_INSTANCES_S = 1.5   # the RunInstances call: 1.54 s (daemonology.net, "EC2 boot time benchmarking", 2021)
PENDING_TO_RUNNING_S = 4.9  # pending -> running: 4.90 s (the same); brevdev/ec2-coldboot-research's
                            # cold launch is 25.8 s in all (API 19 %, pending -> running 69 %, boot 12 %)
BOOT_S = 20.0  # running -> usable, a Linux AMI: 17.2 s to the port closed + 5.6 s to open
               # (daemonology.net); the NixOS base image's own boot is not measured here
S3_LATENCY_S = 0.03  # a small S3 GET: "median latencies often in the tens of milliseconds"
                     # (AWS, "Optimizing Amazon S3 Performance", timeouts and retries)
CLAIM_POLL_S = 1.0  # a pooled VM's agent asks POST /claim about once a second
SUBSTITUTION_JOBS = 16  # Nix's max-substitution-jobs default: paths fetched at once
CHECK_PARALLELISM = 32  # create's closure check: narinfo reads at once

# (label, from, to) of each phase, in the order they happen.
COLD = [
    ("create: closure check, lease, RunInstances (moto)", "requested", "launched"),
    ("lab harness: launched -> agent's first report", "launched", "booting"),
    ("agent: user-data, checks", "booting", "fetching"),
    ("fetch: Nix substitutes the closure", "fetching", "switching"),
    ("switch-to-configuration", "switching", "running"),
]
POOLED = [
    ("create: closure check, claim on the lease", "requested", "claimed"),
    ("agent: the claim picked up (polls /claim)", "claimed", "fetching"),
    ("fetch: Nix substitutes the closure", "fetching", "switching"),
    ("switch-to-configuration", "switching", "running"),
]


def stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds(record, start, end):
    timeline = record.get("timeline") or {}
    if not timeline.get(start) or not timeline.get(end):
        return None
    return (stamp(timeline[end]) - stamp(timeline[start])).total_seconds()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def show(value, unit="s"):
    return "     -" if value is None else f"{value:6.2f} {unit}"


def measured(kind, records, phases):
    """Prints the lab's medians for one kind of run; returns {phase label: median seconds}."""
    runs = [r for r in records if r["kind"] == kind]
    medians = {}
    if not runs:
        print(f"  {kind}: no runs")
        return medians
    print(f"  {kind} ({len(runs)} runs; medians; from the VM's timeline)")
    if not any(r.get("timeline") for r in runs):
        print("    this build's VMs carry no timeline: only the harness's wall time is measured")
    for label, start, end in phases:
        medians[label] = median([seconds(r, start, end) for r in runs])
        print(f"    {label:55s} {show(medians[label])}")
    medians["ready_s"] = median([r.get("ready_s") for r in runs])
    print(f"    {'ready_s (requested -> running), the API':55s} {show(medians['ready_s'])}")
    wall = median([r["wall_ms"] / 1000 for r in runs])
    print(f"    {'create -> running, the harness wall clock':55s} {show(wall)}")
    timings = [r.get("timings") or {} for r in runs]
    for key in ("boot_s", "fetch_s", "switch_s"):
        medians[key] = median([t.get(key) for t in timings])
    paths = median([t.get("fetched_paths") for t in timings])
    size = median([t.get("fetched_bytes") for t in timings])
    print(f"    {'agent timings: fetch_s, switch_s':55s} {show(medians['fetch_s'])} {show(medians['switch_s'])}")
    if paths is not None:
        print(f"    {'agent timings: fetched paths, bytes':55s} {paths:6.0f}   {size or 0:9.0f} B")
    pooled = sum(1 for r in runs if r.get("from_pool"))
    print(f"    {'from_pool true':55s} {pooled}/{len(runs)}")
    medians["fetched_paths"] = paths
    return medians


def main():
    records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    closure_paths = int(sys.argv[2])
    print("(a) in the lab: create -> running for the demo toplevel, its closure fetched each run")
    cold = measured("cold", records, COLD)
    pooled = measured("pooled", records, POOLED)

    print()
    print("(b) modelled for real AWS (NOT measured): the lab's phases above + public constants")
    paths = cold.get("fetched_paths") or pooled.get("fetched_paths") or closure_paths
    s3_fetch = math.ceil(paths / SUBSTITUTION_JOBS) * 2 * S3_LATENCY_S  # a narinfo and a NAR each
    s3_check = math.ceil(closure_paths / CHECK_PARALLELISM) * 2 * S3_LATENCY_S  # depth 2 at least

    def lab(medians, label):
        return medians.get(label)

    # No pooled run measured (a build whose agent does not wait in the pool): the pooled column
    # takes the cold runs' create, fetch and switch (the same workload) and a whole poll interval
    # for the claim's pick-up (the agent asks /claim about once a second), and says so.
    borrowed = not any(pooled.get(label) is not None for label, _, _ in POOLED)
    if borrowed and cold:
        pooled = {POOLED[0][0]: cold.get(COLD[0][0]), POOLED[1][0]: CLAIM_POLL_S,
                  POOLED[2][0]: cold.get(COLD[3][0]), POOLED[3][0]: cold.get(COLD[4][0])}

    def plus(*parts):
        return None if any(p is None for p in parts) else sum(parts)

    fetch_label, switch_label = "fetch: Nix substitutes the closure", "switch-to-configuration"
    rows = [
        ("create's closure check + lease (lab) + S3 latency", plus(lab(cold, COLD[0][0]), s3_check),
         plus(lab(pooled, POOLED[0][0]), s3_check)),
        ("RunInstances (1.5 s, daemonology)", RUN_INSTANCES_S, 0.0),
        ("pending -> running (4.9 s, daemonology)", PENDING_TO_RUNNING_S, 0.0),
        ("boot to the agent (20 s: Linux AMIs to SSH, daemonology)", BOOT_S, 0.0),
        ("agent until fetching (lab) / the claim picked up (lab)", lab(cold, COLD[2][0]), lab(pooled, POOLED[1][0])),
        (f"fetch (lab) + {paths:.0f} paths x 2 GETs at 30 ms, {SUBSTITUTION_JOBS} at once",
         plus(lab(cold, fetch_label), s3_fetch), plus(lab(pooled, fetch_label), s3_fetch)),
        ("switch (lab)", lab(cold, switch_label), lab(pooled, switch_label)),
    ]
    print(f"  {'modelled phase':66s} {'cold':>8s} {'pooled':>8s}")
    for label, cold_s, pooled_s in rows:
        print(f"  {label:66s} {show(cold_s)} {show(pooled_s)}")
    total_cold = plus(*[r[1] for r in rows])
    total_pooled = plus(*[r[2] for r in rows])
    print(f"  {'modelled create -> running':66s} {show(total_cold)} {show(total_pooled)}")
    print("  targets: pooled < 15 s; cold no worse than before (the cold path is unchanged but for its stamps)")
    if borrowed and cold:
        print("  (no pooled run measured: the pooled column takes the cold runs' create, fetch and switch,"
              f" and {CLAIM_POLL_S:.0f} s for the claim's pick-up)")
    if total_cold is None or total_pooled is None:
        print("  (a phase the lab did not measure leaves its column's total open: -)")

if __name__ == "__main__":
    main()
