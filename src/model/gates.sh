# whpg_gates.sh: the checks a whpg-plan runbook runs before it goes on, and
# the helper that creates the directories the Greenplum utilities need.
# Written by whpg-plan (report --layout-dir, and inside report --script).
#
# Each gate reads the evidence the step before it left: gpbackup's and
# gprestore's own report files and logs, the data files on every host, the
# catalog of the running cluster. A gate that fails prints why on standard
# error and returns non-zero; the runbook stops there. Nothing here deletes
# or changes data. Source it in the working directory first:
#   source whpg_gates.sh
# The facts each gate relies on (gpbackup 1.30 source) are in the comments.

# Prints the reason a gate failed and returns 1.
gate_fail() {
  echo "GATE FAILED: $*" >&2
  return 1
}

# Runs a command on a host over ssh as this user, never prompting
# (Greenplum needs password-less ssh for gpadmin between all hosts).
on_host() {
  local host=$1
  shift
  ssh -n -o BatchMode=yes -- "$host" "$@"
}

# make_dir HOST DIR: creates DIR on HOST owned by this user, only when it
# does not exist (an existing directory is left as it is; gate_dirs then
# says whether it is usable). Needs password-less sudo on HOST.
make_dir() {
  local host=$1 dir=$2 q owner group
  q=$(printf '%q' "$dir")
  owner=$(printf '%q' "$(id -un)")
  group=$(printf '%q' "$(id -gn)")
  on_host "$host" "test -d $q || sudo -n install -d -o $owner -g $group -m 0755 $q" ||
    gate_fail "$host: cannot create $dir (needs sudo there; or have root run: install -d -o $owner -g $group $q)"
}

# each_dir FN HOSTFILE DIR: FN HOST DIR for every host of HOSTFILE;
# each_dir FN FILE: FN HOST DIR for every "host directory" line of FILE.
each_dir() {
  local fn=$1 h d
  if [ $# -eq 3 ]; then
    while read -r h; do
      [ -z "$h" ] || "$fn" "$h" "$3" || return 1
    done <"$2"
  else
    while read -r h d; do
      [ -z "$h" ] || "$fn" "$h" "$d" || return 1
    done <"$2"
  fi
}

# make_dirs HOSTFILE DIR, or make_dirs FILE of "host directory" lines.
make_dirs() {
  each_dir make_dir "$@"
}

# gate_dir HOST DIR: DIR exists on HOST and this user can write in it
# (gpbackup runs mkdir -p under --backup-dir as gpadmin on every host;
# gpinitsystem writes a test file into the parent of every data directory).
gate_dir() {
  local q
  q=$(printf '%q' "$2")
  on_host "$1" "test -d $q && test -w $q" ||
    gate_fail "$1:$2 does not exist or $(id -un) cannot write in it"
}

# gate_dirs HOSTFILE DIR, or gate_dirs FILE of "host directory" lines.
gate_dirs() {
  each_dir gate_dir "$@"
}

# gate_new_instances FILE: for every "host port datadir" line, the data
# directory does not exist yet (gpinitsystem refuses an existing one) and
# nothing listens on the port (gpinitsystem does not check segment ports).
gate_new_instances() {
  local h port d out
  while read -r h port d; do
    [ -n "$h" ] || continue
    on_host "$h" "test ! -e $(printf '%q' "$d")" ||
      gate_fail "$h:$d already exists: gpinitsystem refuses an existing data directory" || return 1
    out=$(on_host "$h" "ss -Hltn 'sport = :$port'") ||
      gate_fail "$h: cannot list the listening ports (ss)" || return 1
    [ -z "$out" ] || gate_fail "$h: port $port is in use: $out" || return 1
  done <"$1"
}

# gate_no_sessions: no session but this one on the cluster of PGPORT (the
# write freeze is in place).
gate_no_sessions() {
  local n
  n=$(psql -d postgres -Atc "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND usename <> current_user") ||
    gate_fail "cannot read pg_stat_activity" || return 1
  [ "$n" = 0 ] || gate_fail "$n other session(s) are connected: the write freeze is not in place" || return 1
}

# backup_path LOCATION CONTENT TIMESTAMP: the directory gpbackup writes a
# content's files to: <--backup-dir>/gpseg<content>/backups/<YYYYMMDD>/<ts>,
# or with LOCATION "" (a plugin) the coordinator data directory's
# backups/<YYYYMMDD>/<ts>, where a plugin backup keeps its metadata.
backup_path() {
  local loc=$1 c=$2 ts=$3 coord
  coord=${COORDINATOR_DATA_DIRECTORY:-${MASTER_DATA_DIRECTORY:-}}
  if [ -n "$loc" ]; then
    echo "$loc/gpseg$c/backups/${ts:0:8}/$ts"
  else
    echo "$coord/backups/${ts:0:8}/$ts"
  fi
}

# backup_timestamp N: the timestamp of the runbook's Nth backup.
backup_timestamp() {
  local ts
  ts=$(cat "gpbackup_$1.timestamp" 2>/dev/null) || true
  [[ $ts =~ ^[0-9]{14}$ ]] ||
    gate_fail "gpbackup_$1.timestamp holds no backup timestamp: backup $1 never started" || return 1
  echo "$ts"
}

# gate_backup N LOCATION PRIMARIES: backup N finished and every content's
# data files are where gprestore will look for them.
# - "Backup completed successfully" is logged only at the very end
#   (backup/backup.go:368); "Backup Timestamp = …" is printed at the start
#   and proves nothing.
# - The report file says "backup status: Success" (report/report.go:145-152).
# - Each content's directory on the host of that content's primary holds one
#   data file per table in the toc (what gprestore itself verifies,
#   restore/remote.go VerifyBackupFileCountOnSegments); with a plugin the
#   data is off the hosts and only the first two are checked.
gate_backup() {
  local n=$1 loc=$2 primaries=$3 ts dir report toc entries c h got seen=0 segs
  ts=$(backup_timestamp "$n") || return 1
  grep -q 'Backup completed successfully' "gpbackup_$n.log" 2>/dev/null ||
    gate_fail "gpbackup_$n.log has no 'Backup completed successfully': backup $n ($ts) did not finish" || return 1
  dir=$(backup_path "$loc" -1 "$ts")
  report="$dir/gpbackup_${ts}_report"
  grep -Eq '^backup status:[[:space:]]+Success[[:space:]]*$' "$report" 2>/dev/null ||
    gate_fail "$report does not say 'backup status: Success'" || return 1
  [ -n "$loc" ] || return 0
  toc="$dir/gpbackup_${ts}_toc.yaml"
  [ -f "$toc" ] || gate_fail "$toc is missing" || return 1
  entries=$(awk '/^dataentries:/ { f = 1; next } /^[^ -]/ { f = 0 } f && /^- / { n++ } END { print n + 0 }' "$toc")
  segs=$(psql -d postgres -AtF ' ' -c "SELECT content, hostname FROM gp_segment_configuration WHERE role = 'p' AND content >= 0 ORDER BY content") ||
    gate_fail "cannot read gp_segment_configuration" || return 1
  while read -r c h; do
    [ -n "$c" ] || continue
    seen=$((seen + 1))
    got=$(on_host "$h" "ls -1 $(printf '%q' "$(backup_path "$loc" "$c" "$ts")") 2>/dev/null | grep -c '^gpbackup_${c}_${ts}_'") || true
    [ "$got" = "$entries" ] ||
      gate_fail "backup $n ($ts): content $c on $h has ${got:-no} data file(s), the toc lists $entries table(s)" || return 1
  done <<<"$segs"
  [ "$seen" = "$primaries" ] ||
    gate_fail "the catalog lists $seen primaries, the plan was made for $primaries" || return 1
}

# gate_backup_bytes LOCATION MIN MAX N...: the bytes of backups N… on every
# host of hostfile_all are within [MIN, MAX], the band around the plan's
# estimate. A total outside it that a DBA has checked is accepted by running
# again with WHPG_ACCEPT_BACKUP_BYTES set to exactly that total.
gate_backup_bytes() {
  local loc=$1 min=$2 max=$3 n ts paths="" h b total=0
  shift 3
  for n in "$@"; do
    ts=$(backup_timestamp "$n") || return 1
    paths+=" $(printf '%q' "$loc")/gpseg*/backups/${ts:0:8}/$ts"
  done
  while read -r h; do
    [ -n "$h" ] || continue
    b=$(on_host "$h" "du -scb$paths 2>/dev/null | tail -n 1 | cut -f 1") || true
    total=$((total + ${b:-0}))
  done <hostfile_all
  if [ "$total" -lt "$min" ] || [ "$total" -gt "$max" ]; then
    [ "${WHPG_ACCEPT_BACKUP_BYTES:-}" = "$total" ] && return 0
    gate_fail "the backup holds $total bytes on the hosts, outside the plan's band $min..$max; check it, then run again with WHPG_ACCEPT_BACKUP_BYTES=$total to accept it" || return 1
  fi
}

# restore_report N LOCATION: the newest gprestore report of backup N
# (gprestore_<ts>_<restore ts>_report beside the backup's coordinator files,
# restore/restore.go:635).
restore_report() {
  local ts dir f report=""
  ts=$(backup_timestamp "$1") || return 1
  dir=$(backup_path "$2" -1 "$ts")
  for f in "$dir"/gprestore_"${ts}"_*_report; do
    [ -e "$f" ] && report=$f
  done
  [ -n "$report" ] || gate_fail "no gprestore report for backup $1 ($ts) in $dir" || return 1
  echo "$report"
}

# gate_restore N LOCATION: restore N finished: "Restore completed
# successfully" (logged only when no error occurred) and "restore status:
# Success" in its report (report/report.go:203-217).
gate_restore() {
  local report
  grep -q 'Restore completed successfully' "gprestore_$1.log" 2>/dev/null ||
    gate_fail "gprestore_$1.log has no 'Restore completed successfully'" || return 1
  report=$(restore_report "$1" "$2") || return 1
  grep -Eq '^restore status:[[:space:]]+Success[[:space:]]*$' "$report" ||
    gate_fail "$report does not say 'restore status: Success'" || return 1
}

# gate_globals N LOCATION: the globals and schema restore of backup N, run
# with --on-error-continue --verbose, failed only on the 6 resource-group
# statements 7 rejects (every 6 backup has them: backup/metadata_globals.go).
# gprestore logs each failed statement as "Error encountered when executing
# statement: … Error was: …" (restore/parallel.go:41); they are kept in
# resource_groups_failed_N.sql for review. Any other failure stops here.
gate_globals() {
  local log="gprestore_$1_metadata.log" report failed other
  [ -f "$log" ] || gate_fail "$log is missing: the globals restore did not run" || return 1
  report=$(restore_report "$1" "$2") || return 1
  grep -Eq '^restore status:[[:space:]]+Success' "$report" ||
    gate_fail "$report does not say 'restore status: Success': the globals restore failed" || return 1
  failed=$(grep -o 'Error encountered when executing statement: .*' "$log" | sed 's/^Error encountered when executing statement: //') || true
  if [ -z "$failed" ] && grep -q 'non-fatal errors' "$report"; then
    gate_fail "$report reports errors but $log names none: run that restore with --verbose" || return 1
  fi
  other=$(grep -Ev '^(ALTER|CREATE) RESOURCE GROUP ' <<<"$failed" | grep -v '^$') || true
  [ -z "$other" ] ||
    gate_fail "the globals restore failed on statements other than the 6 resource groups:
$other" || return 1
  grep -E '^(ALTER|CREATE) RESOURCE GROUP ' <<<"$failed" >"resource_groups_failed_$1.sql" || true
  echo "resource-group statements 7 refused (recreate them with 7's attributes): $(grep -c . "resource_groups_failed_$1.sql") in resource_groups_failed_$1.sql"
}

# gate_coordinator_clean: gpdeletesystem will not refuse: no *dump* or
# *backups* directory left in the coordinator data directory (6X
# gpdeletesystem check_for_dump_files; a file such as gpbackup_history.db
# does not count).
gate_coordinator_clean() {
  local found
  found=$(find "$MASTER_DATA_DIRECTORY" -type d \( -name '*dump*' -o -name '*backups*' \) -print -quit) ||
    gate_fail "cannot search $MASTER_DATA_DIRECTORY" || return 1
  [ -z "$found" ] || gate_fail "$found exists: gpdeletesystem refuses while backups are in the coordinator data directory" || return 1
}

# gate_mirrors_synced: every content of the cluster of PGPORT has a mirror,
# and every instance is up and synchronized.
gate_mirrors_synced() {
  local r
  r=$(psql -d postgres -Atc "SELECT sum(CASE WHEN role = 'm' THEN 1 ELSE 0 END) - sum(CASE WHEN role = 'p' THEN 1 ELSE 0 END), sum(CASE WHEN status <> 'u' OR mode <> 's' THEN 1 ELSE 0 END) FROM gp_segment_configuration WHERE content >= 0") ||
    gate_fail "cannot read gp_segment_configuration" || return 1
  [ "$r" = "0|0" ] || gate_fail "mirrors missing or not synchronized (missing|not in sync: $r): gpstate -e says which" || return 1
}

# gate_signed_off FILE WHAT: a person wrote FILE (who, when, how) to sign off
# WHAT, which no file of the tools can prove (the pre-flight's findings).
gate_signed_off() {
  [ -s "$1" ] ||
    gate_fail "$2: not signed off. Fix them on 6 and collect again, or restore the metadata-only trial on a scratch 7 system; then write who signed off, when and how into $1" || return 1
  echo "signed off in $1: $(head -c 300 "$1")"
}
