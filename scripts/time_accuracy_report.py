#!/usr/bin/env python3
"""Writes docs/time-accuracy.md from what scripts/time_accuracy.sh measured.

Run by that script; rerunnable on its kept files:
    python3 scripts/time_accuracy_report.py WORKDIR SF SAMPLE_ROWS OUT
WORKDIR holds inv.json (collect --local --sample-rows), estimate.json
(estimate --format json) and truth.json (the timed COPYs).
"""
import datetime
import json
import platform
import subprocess
import sys

work, sf, sample_rows, out = sys.argv[1:5]
inv = json.load(open(f"{work}/inv.json"))
est = json.load(open(f"{work}/estimate.json"))
truth = json.load(open(f"{work}/truth.json"))


def fmt(s):
    return f"{s:,.1f} s"


def pct(p, t):
    return f"{(p / t - 1) * 100:+.1f}%" if t else "–"


# The model's backup phase: the recommended plan's, else the first plan with a timeline.
plans = [p for p in est["plans"] if p.get("timeline")]
rec = est.get("recommended_plan")
plan = next((p for p in plans if p["id"] == rec), plans[0] if plans else None)
if plan is None:
    sys.exit("the estimate carries no timeline: nothing to compare")
tl = plan["timeline"]
backup = next(ph for ph in tl["phases"] if ph["phase"] == "backup")
# The backup step itself, without the freeze and the gates around it.
span = backup["data"]
used = [tl["rates"][i] for i in backup.get("rates", [])]

# Per table: the model's per-stream rate (one COPY piped into one gzip: the
# slower of the COPY text rate and one core's gzip-1 speed, both measured by
# collect on the samples) applied to the table's estimated CSV bytes.
comp = inv["composition"]
copy_rate = comp.get("copy_bytes_per_second")
gzip_rate = (comp.get("compression_throughput") or {}).get("gzip-1")
stream = min(r for r in (copy_rate, gzip_rate) if r)
csv = {
    f"{d['name']}.{t['name']}": t["csv_bytes"]
    for d in comp["databases"]
    for t in d.get("tables", [])
}
rows = []
for name, secs in truth["serial"].items():
    pred = csv[name] / stream
    rows.append((name, csv[name], secs, pred))
serial_total = sum(r[2] for r in rows)
big = [r for r in rows if r[2] >= 1.0]
worst = max(big, key=lambda r: abs(r[3] / r[2] - 1)) if big else None
par = truth["parallel_seconds"]
cpu = next(
    (l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
    platform.machine(),
)
lines = [
    "# Backup duration accuracy",
    "",
    "How close whpg-plan's predicted backup duration is to the time gpbackup's own commands take on",
    "the same data, with rates measured by `collect --local --sample-rows` and no constant fitted.",
    "",
    f"Produced by `SF={sf} bash scripts/time_accuracy.sh` on {datetime.date.today()} ({cpu},",
    f"{subprocess.getoutput('nproc')} cores): TPC-H scale factor {sf} and the mixed-types set (as in",
    f"docs/accuracy.md) in PostgreSQL 15, `--sample-rows {sample_rows}`.",
    "",
    "## The whole backup",
    "",
    f"- Predicted (plan `{plan['id']}`, the backup step of phase `backup`): **{fmt(span['seconds'])}**, range"
    f" {fmt(span['low_seconds'])} – {fmt(span['high_seconds'])}. Its basis: {backup['basis']}",
    f"- Measured, as gpbackup --jobs {truth['jobs']} runs it ({truth['jobs'] - 1} connections taking tables"
    f" in oid order): **{fmt(par)}** → prediction {pct(span['seconds'], par)}"
    f" ({'inside' if span['low_seconds'] <= par <= span['high_seconds'] else 'OUTSIDE'} the range).",
    f"- Measured, one connection table after table (--jobs 1): {fmt(serial_total)}.",
    "",
    "Rates the model used for this phase:",
    "",
]
for r in used:
    lines.append(f"- {r['what']}: {r['bytes_per_second'] / 1e6:,.1f} MB/s — {r['basis']}")
lines += [
    "",
    "## Per table (one stream: one COPY piped into one gzip)",
    "",
    f"Per-stream rate: the slower of the COPY text rate ({(copy_rate or 0) / 1e6:,.1f} MB/s) and one core's",
    f"gzip-1 speed ({(gzip_rate or 0) / 1e6:,.1f} MB/s), both from collect: {stream / 1e6:,.1f} MB/s.",
    "Measured: the server's time of each `COPY … TO PROGRAM 'gzip -c -1 > file'` (psql `\\timing`).",
    "",
    "| table | estimated CSV (MB) | measured | predicted | error |",
    "|---|--:|--:|--:|--:|",
]
for name, c, secs, pred in rows:
    lines.append(f"| {name} | {c / 1e6:,.1f} | {fmt(secs)} | {fmt(pred)} | {pct(pred, secs)} |")
lines.append(
    f"| **total** | | **{fmt(serial_total)}** | **{fmt(sum(r[3] for r in rows))}** |"
    f" **{pct(sum(r[3] for r in rows), serial_total)}** |"
)
lines += [
    "",
    "## Against the target (±25% for the whole backup)",
    "",
    f"- Whole backup (--jobs {truth['jobs']}): {pct(span['seconds'], par)}.",
    "- The history reader: `cargo test --release --test history_bed` runs a gpbackup stand-in on the",
    "  bed that writes each content's data files at a throttled, known rate (4 contents × 1 MiB/s for",
    "  40 s) and a report file in gpbackup's format; collect must read back that rate within 5%",
    "  (it reads 4,194,304 B/s: +0.0%).",
    "- Worst table taking a second or more: "
    + (f"{worst[0]} {pct(worst[3], worst[2])}." if worst else "none took a second."),
    "",
]
# The model's description below the figures is kept as it is.
try:
    kept = open(out).read()
    kept = kept[kept.index("## The time model"):]
except (OSError, ValueError):
    kept = ""
open(out, "w").write("\n".join(lines) + "\n" + kept)
print("\n".join(lines))
