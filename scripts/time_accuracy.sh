#!/usr/bin/env bash
# Checks whpg-plan's backup duration against real timings no one tuned to, and
# writes docs/time-accuracy.md. Rerunnable on a Debian 12 machine as root:
#
#   SF=1 bash scripts/time_accuracy.sh
#   SF=0.1 OUT=/tmp/t.md bash scripts/time_accuracy.sh
#
# Steps: load TPC-H (scale factor $SF) and the mixed-types set into a fresh
# PostgreSQL 15 (scripts/testdata.sh); `whpg-plan collect --local
# --sample-rows` (which measures one core's gzip speed on the samples, the COPY
# text rate, and the cores); `whpg-plan estimate` → the backup phase's
# predicted duration and its range. Then the truth, as gpbackup runs it: per
# table `COPY t TO PROGRAM 'gzip -c -1 > file' WITH CSV DELIMITER ','`, once
# table after table on one connection (gpbackup --jobs 1), and once with
# JOBS-1 connections taking tables in oid order from one queue (gpbackup
# --jobs JOBS: connection 0 only takes tables another could not lock,
# backup/data.go BackupDataForAllTables). Everything it starts is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
SF=${SF:-1}
SAMPLE_ROWS=${SAMPLE_ROWS:-10000}
MIXED_ROWS=${MIXED_ROWS:-400000}
JOBS=${JOBS:-4}
OUT=${OUT:-docs/time-accuracy.md}
# shellcheck source=scripts/testdata.sh
source scripts/testdata.sh

echo "== collecting with --sample-rows $SAMPLE_ROWS"
"$BIN" collect --local --pg-host 127.0.0.1 --pg-port "$PORT" --pg-user postgres \
  --sample-rows "$SAMPLE_ROWS" -o "$WORK/inv.json"
code=0
"$BIN" estimate "$WORK/inv.json" --format json > "$WORK/estimate.json" || code=$?
case $code in 0|3|4) ;; *) echo "estimate exited $code"; exit 1 ;; esac

echo "== timing the real backup: COPY … TO PROGRAM 'gzip -c -1 > file'"
mkdir -p "$WORK/out"
chown postgres "$WORK/out"
python3 - "$WORK" "$PORT" "$JOBS" <<'PY'
import json, subprocess, sys, time, threading, queue
work, port, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", port, "-U", "postgres"]
tables = []
for db in ("tpch", "mixed"):
    out = subprocess.check_output(psql + ["-d", db, "-A", "-t", "-c",
        "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.oid"], text=True)
    tables += [(db, l.split("|")[1]) for l in out.split()]
def copy(db, t, tag):
    f = f"{work}/out/{tag}.{db}.{t}.gz"
    sql = f"COPY public.{t} TO PROGRAM 'gzip -c -1 > {f}' WITH CSV DELIMITER ','"
    start = time.monotonic()
    subprocess.check_call(psql + ["-d", db, "-c", sql])
    return time.monotonic() - start
# One connection, table after table (gpbackup --jobs 1): the server's own
# time per COPY (psql \\timing), no connection set-up counted.
res = {"serial": {}, "jobs": jobs}
for db in ("tpch", "mixed"):
    mine = [t for d, t in tables if d == db]
    script = "\\timing on\n" + "".join(
        f"COPY public.{t} TO PROGRAM 'gzip -c -1 > {work}/out/serial.{db}.{t}.gz' WITH CSV DELIMITER ',';\n"
        for t in mine)
    out = subprocess.run(psql + ["-d", db], input=script, text=True, capture_output=True, check=True).stdout
    ms = [float(l.split()[1]) for l in out.splitlines() if l.startswith("Time: ")]
    assert len(ms) == len(mine), out
    for t, m in zip(mine, ms):
        res["serial"][f"{db}.{t}"] = m / 1000
q = queue.Queue()
for x in tables:
    q.put(x)
def worker():
    while True:
        try:
            db, t = q.get_nowait()
        except queue.Empty:
            return
        copy(db, t, "jobs")
start = time.monotonic()
workers = [threading.Thread(target=worker) for _ in range(max(jobs - 1, 1))]
for w in workers: w.start()
for w in workers: w.join()
res["parallel_seconds"] = time.monotonic() - start
json.dump(res, open(f"{work}/truth.json", "w"))
PY
cp "$WORK/inv.json" "$WORK/estimate.json" "$WORK/truth.json" "${KEEP:-$WORK}/" 2>/dev/null || true
python3 scripts/time_accuracy_report.py "$WORK" "$SF" "$SAMPLE_ROWS" "$OUT"
