#!/bin/bash
# Stand-ins for the Greenplum utilities a whpg-plan runbook runs, for the
# rehearsal on the test bed. Each follows the real tool's path rules AND its
# failure rules (sources in the comments: gpbackup 1.30, the 6/7 utility
# references, docs/runbook.md): where files land for the flags given, which
# evidence it leaves (gpbackup's report and toc, "Backup completed
# successfully"; gprestore's report), where the restore looks (and fails when
# nothing is there), what gprestore refuses in a 6 backup's globals (the
# resource groups), what gpdeletesystem refuses and deletes, what
# gpinitsystem needs (parents gpadmin can write in) and creates. Only the
# byte counts come from the model (the file /cfg/standin/sizes the rehearsal
# writes): the paths never do.
#
# Installed as /cfg/standin/bin/standin with one link per tool name; runs as
# gpadmin on the bed's coordinator host and reaches the others over ssh as
# gpadmin (gpadmin's ~/.ssh/config names every host), as the real utilities
# do. A fault to inject is a line in /cfg/standin/faults:
#   backup-dies-after CONTENT   gpbackup writes that content's file half, then dies
#   custom-resgroup             the 6 globals also create etl_group and a role in it
set -euo pipefail
S=/cfg/standin
tool=$(basename "$0")
die() { echo "$(date +%Y%m%d:%H:%M:%S) $tool:gpadmin:standin-[CRITICAL]:-$*" >&2; exit "${EXIT:-1}"; }
info() { echo "$(date +%Y%m%d:%H:%M:%S) $tool:gpadmin:standin-[INFO]:-$*"; }
on() {
  local h=$1
  shift
  ssh -n -q -o BatchMode=yes "$h" "$@"
}
# Writes standard input to FILE on HOST (creating its directory, as gpadmin).
put() {
  ssh -q -o BatchMode=yes "$1" "mkdir -p \"\$(dirname '$2')\" && cat > '$2'"
}
fault() { grep -q "^$1\( \|$\)" "$S/faults" 2>/dev/null; }
fault_arg() { awk -v k="$1" '$1 == k { print $2 }' "$S/faults" 2>/dev/null; }
size() { awk -v k="$1" -v c="$2" '$1 == k && $2 == c { print $3 }' "$S/sizes"; }
# This database's share of a byte count that covers every database: equal
# parts, the last database in the list taking the remainder.
share() {
  local total=$1 db=$2 dbs n last
  dbs=$(awk '$1 == "dbs" { $1 = ""; print }' "$S/sizes")
  n=$(echo $dbs | wc -w)
  last=$(echo $dbs | awk '{ print $NF }')
  if [ "$db" = "$last" ]; then echo $((total - (n - 1) * (total / n))); else echo $((total / n)); fi
}
# A file of exactly BYTES bytes of real (not sparse) data on HOST, written as
# gpadmin: mkdir -p fails where gpadmin cannot create the directory, and a
# full filesystem fails the write (ENOSPC), as for the real tools.
mkfile() {
  on "$1" "mkdir -p \"\$(dirname '$2')\" && head -c $3 /dev/zero > '$2'"
}
# The cluster a coordinator data directory describes: lines
# `seg CONTENT ROLE HOST DBID DATADIR` and `ts LOCATION`.
load_cluster() {
  local dir=$1
  [ -n "$dir" ] || die "no coordinator data directory in the environment"
  [ -f "$dir/standin_cluster" ] || die "$dir is not a coordinator data directory of a running cluster"
  [ -f "$dir/postmaster.pid" ] || die "the cluster at $dir is not running"
  CLUSTER=$(cat "$dir/standin_cluster")
}
segs() { echo "$CLUSTER" | awk -v r="$1" '$1 == "seg" && $3 == r { print $2, $4, $5, $6 }'; }
seg_of() { echo "$CLUSTER" | awk -v r="$1" -v c="$2" '$1 == "seg" && $3 == r && $2 == c { print $4, $5, $6 }'; }
tablespaces() { echo "$CLUSTER" | awk '$1 == "ts" { print $2 }'; }
new_timestamp() {
  local ts last
  ts=$(date +%Y%m%d%H%M%S)
  last=$(cat "$S/last_ts" 2>/dev/null || echo 0)
  [ "$ts" -gt "$last" ] || ts=$((last + 1))
  echo "$ts" > "$S/last_ts"
  echo "$ts"
}
# gpbackup's and gprestore's report: key, padding, value (report/report.go).
report_line() { printf '%-24s%s\n' "$1" "$2"; }

# The global statements every 6 backup carries (backup/metadata_globals.go):
# the resource groups with 6's attributes, then the roles.
globals6() {
  echo "ALTER RESOURCE GROUP admin_group SET CPU_RATE_LIMIT 1;"
  echo "ALTER RESOURCE GROUP admin_group SET MEMORY_LIMIT 1;"
  echo "ALTER RESOURCE GROUP default_group SET CPU_RATE_LIMIT 1;"
  echo "ALTER RESOURCE GROUP default_group SET MEMORY_LIMIT 1;"
  echo "ALTER RESOURCE GROUP admin_group SET CONCURRENCY 10;"
  if fault custom-resgroup; then
    echo "CREATE RESOURCE GROUP etl_group WITH (CPU_RATE_LIMIT=10, MEMORY_LIMIT=10, MEMORY_SHARED_QUOTA=80);"
    echo "CREATE ROLE etl; ALTER ROLE etl WITH RESOURCE GROUP etl_group;"
  fi
  echo "CREATE ROLE gpadmin_owner;"
}

# gpbackup: only primaries write data. With --backup-dir D:
# D/gpseg<content>/backups/YYYYMMDD/<ts>/ on the host of that primary (mkdir -p
# as gpadmin, wrappers.go:187-196), the coordinator's metadata, toc and report
# in D/gpseg-1/...; default location <datadir>/backups/...; with a plugin the
# data leaves the hosts and the metadata is kept in <coordinator datadir>/backups.
# It prints "Backup Timestamp" when it starts and "Backup completed
# successfully" only at the end (backup.go:109, 368); the report says
# "backup status: Success" or "Failure" (report.go:145-152).
gpbackup() {
  local db="" dir="" plugin="" meta=0 jobs=1
  while [ $# -gt 0 ]; do
    case $1 in
      --dbname) db=$2; shift 2 ;;
      --backup-dir) dir=$2; shift 2 ;;
      --plugin-config) plugin=$2; shift 2 ;;
      --jobs) jobs=$2; shift 2 ;;
      --compression-type | --compression-level) shift 2 ;;
      --metadata-only) meta=1; shift ;;
      --no-compression) shift ;;
      --version) echo "gpbackup version 1.30.7 (test bed stand-in)"; return 0 ;;
      *) die "unknown flag $1" ;;
    esac
  done
  [ -n "$db" ] || die "--dbname is required"
  [ -z "$dir" ] || [ -z "$plugin" ] || die "--backup-dir and --plugin-config cannot be combined"
  [ -z "$dir" ] || [[ $dir == /* ]] || die "--backup-dir $dir must be an absolute path"
  [ -z "$plugin" ] || [[ $plugin == /* ]] || die "plugin config path must be absolute: $plugin"
  [ "$meta" = 0 ] || [ "$jobs" = 1 ] || die "--jobs cannot be used with --metadata-only"
  load_cluster "${MASTER_DATA_DIRECTORY:-}"
  local ts d8 c h dbid d bytes locs cdir entries=1 failed=""
  ts=$(new_timestamp)
  d8=${ts:0:8}
  where() { # content datadir
    if [ -n "$dir" ]; then echo "$dir/gpseg$1/backups/$d8/$ts"; else echo "$2/backups/$d8/$ts"; fi
  }
  info "Backup Timestamp = $ts"
  info "Backup Database = $db"
  read -r h dbid d <<< "$(seg_of p -1)"
  cdir=$(where -1 "$d")
  locs=$(tablespaces | tr '\n' ' ')
  bytes=$(share "$(size metadata all)" "$db")
  # The coordinator's files first: metadata (with the globals), toc.
  on "$h" "mkdir -p '$cdir'" || die "cannot create $h:$cdir"
  {
    printf -- '-- DATABASE %s\n-- TABLESPACES %s\n' "$db" "$locs"
    globals6
    echo "-- END GLOBALS"
  } | put "$h" "$cdir/gpbackup_${ts}_metadata.sql" || die "cannot write the metadata"
  on "$h" "f='$cdir/gpbackup_${ts}_metadata.sql'; n=\$(( $bytes - \$(stat -c %s \"\$f\") )); [ \$n -le 0 ] || head -c \$n /dev/zero >> \"\$f\"" || die "cannot write the metadata"
  [ "$meta" = 1 ] && entries=0
  {
    echo "globalentries: []"
    echo "dataentries:"
    [ "$entries" = 0 ] || printf -- '- schema: public\n  name: t_%s\n  oid: 16384\n' "$db"
    echo "incrementalmetadata: {}"
  } | put "$h" "$cdir/gpbackup_${ts}_toc.yaml"
  if [ -n "$plugin" ]; then
    mkdir -p "$S/plugin/$ts"
    on "$h" "head -c 8192 '$cdir/gpbackup_${ts}_metadata.sql'" > "$S/plugin/$ts/gpbackup_${ts}_metadata.sql"
  fi
  if [ $meta = 0 ]; then
    while read -r c h dbid d; do
      bytes=$(share "$(size backup "$c")" "$db")
      if [ -n "$plugin" ]; then
        echo "$bytes" > "$S/plugin/$ts/gpbackup_${c}_${ts}_16384.gz"
      elif [ "$(fault_arg backup-dies-after)" = "$c" ]; then
        # A segment killed mid-COPY: half its file, then the backup dies.
        mkfile "$h" "$(where "$c" "$d")/gpbackup_${c}_${ts}_16384.gz" $((bytes / 2)) || true
        failed="segment $c on $h terminated while copying public.t_$db"
        break
      elif ! mkfile "$h" "$(where "$c" "$d")/gpbackup_${c}_${ts}_16384.gz" "$bytes" 2>"$S/last_error"; then
        failed="content $c on $h: $(tr '\n' ' ' < "$S/last_error")"
        break
      fi
    done < <(segs p | awk '$1 >= 0')
  fi
  {
    echo "Greenplum Database Backup Report"
    echo
    report_line "timestamp key:" "$ts"
    report_line "database name:" "$db"
    echo
    if [ -n "$failed" ]; then
      report_line "backup status:" "Failure"
      report_line "backup error:" "$failed"
    else
      report_line "backup status:" "Success"
    fi
  } | put "$(seg_of p -1 | awk '{ print $1 }')" "$cdir/gpbackup_${ts}_report"
  [ -z "$failed" ] || EXIT=2 die "$failed"
  info "Backup completed successfully"
}

# Writes one instance's restored share: data in its data directory, and
# its tablespace bytes under <location>/<dbid>/ (where CREATE TABLESPACE puts them).
restore_into() { # role content db label
  local h dbid d bytes loc
  read -r h dbid d <<< "$(seg_of "$1" "$2")"
  [ -n "$h" ] || return 0
  bytes=$(share "$(size data "$2")" "$3")
  mkfile "$h" "$d/base/restored_$4" "$bytes"
  bytes=$(share "$(size ts "$2")" "$3")
  for loc in $(tablespaces); do
    [ "$bytes" -gt 0 ] && mkfile "$h" "$loc/$dbid/GPDB_7_standin/restored_$4" "$bytes"
    bytes=0
  done
}

# Loads every content of the 7 cluster: primaries, and the mirrors and the
# standby that replicate them.
load_all() { # db label
  local c
  for c in $(segs p | awk '{ print $1 }'); do
    restore_into p "$c" "$1" "$2"
    restore_into m "$c" "$1" "$2"
  done
}

# gprestore: reads <D>/gpseg<content>/... with --backup-dir, the plugin with
# --plugin-config, else <datadir of the cluster it connects to>/backups/...;
# content N's files on the host of the 7 primary of content N. Roles come
# only with --with-globals; 7 refuses the 6 resource-group statements in
# them (resgroupcmds.c), and without --on-error-continue the first failed
# statement stops the restore (parallel.go:221-223); with it each failure is
# logged with --verbose as "Error encountered when executing statement: …
# Error was: …" (parallel.go:41). --create-db fails for an existing
# database; --data-only needs it to exist. The report file goes beside the
# backup's coordinator files (restore.go:635): "restore status: Success",
# "Success but non-fatal errors occurred…", or "Failure" (report.go:203-217).
gprestore() {
  local ts="" dir="" plugin="" meta=0 data=0 create=0 globals=0 cont=0 verbose=0
  while [ $# -gt 0 ]; do
    case $1 in
      --timestamp) ts=$2; shift 2 ;;
      --backup-dir) dir=$2; shift 2 ;;
      --plugin-config) plugin=$2; shift 2 ;;
      --exclude-table-file | --jobs) shift 2 ;;
      --metadata-only) meta=1; shift ;;
      --data-only) data=1; shift ;;
      --create-db) create=1; shift ;;
      --with-globals) globals=1; shift ;;
      --on-error-continue) cont=1; shift ;;
      --verbose) verbose=1; shift ;;
      --resize-cluster) shift ;;
      --version) echo "gprestore version 1.30.7 (test bed stand-in)"; return 0 ;;
      *) die "unknown flag $1" ;;
    esac
  done
  [[ $ts =~ ^[0-9]{14}$ ]] || die "--timestamp '$ts' is not YYYYMMDDHHMMSS"
  [ -z "$dir" ] || [ -z "$plugin" ] || die "--backup-dir and --plugin-config cannot be combined"
  [ -z "$plugin" ] || [[ $plugin == /* ]] || die "plugin config path must be absolute: $plugin"
  [ "$data" = 0 ] || [ "$globals" = 0 ] || die "--data-only and --with-globals cannot be combined"
  [ "$data" = 0 ] || [ "$create" = 0 ] || die "--data-only and --create-db cannot be combined"
  load_cluster "${COORDINATOR_DATA_DIRECTORY:-}"
  local coord=$COORDINATOR_DATA_DIRECTORY d8=${ts:0:8} h dbid d mpath header db c src rts rdir
  local errors=0 failed="" stmt
  where() { # content datadir
    if [ -n "$dir" ]; then echo "$dir/gpseg$1/backups/$d8/$ts"; else echo "$2/backups/$d8/$ts"; fi
  }
  rts=$(new_timestamp)
  read -r h dbid d <<< "$(seg_of p -1)"
  local qh=$h
  rdir=$(where -1 "$d")
  if [ -n "$plugin" ]; then
    mpath="$S/plugin/$ts/gpbackup_${ts}_metadata.sql"
    header=$(tr -d '\0' < "$mpath" 2>/dev/null) || die "backup $ts not found through the plugin"
  else
    mpath="$rdir/gpbackup_${ts}_metadata.sql"
    header=$(on "$h" "head -c 8192 '$mpath' | tr -d '\\0'" 2>/dev/null) || true
    [ -n "$header" ] || die "backup $ts not found: $h:$mpath does not exist"
  fi
  db=$(echo "$header" | awk '$2 == "DATABASE" { print $3; exit }')
  write_report() { # status [error]
    {
      echo "Greenplum Database Restore Report"
      echo
      report_line "timestamp key:" "$ts"
      report_line "database name:" "$db"
      echo
      report_line "restore status:" "$1"
      [ -z "${2:-}" ] || report_line "restore error:" "$2"
    } | put "$qh" "$rdir/gprestore_${ts}_${rts}_report"
  }
  fail() { write_report Failure "$1"; EXIT=2 die "$1"; }
  if [ $globals = 1 ]; then
    while read -r stmt; do
      local why=""
      case $stmt in
        "ALTER RESOURCE GROUP "* | "CREATE RESOURCE GROUP "*)
          if [[ $stmt =~ (CPU_RATE_LIMIT|MEMORY_LIMIT|MEMORY_SHARED_QUOTA|MEMORY_SPILL_RATIO|MEMORY_AUDITOR) ]]; then
            why="ERROR:  option \"${BASH_REMATCH[1],,}\" not recognized"
          fi ;;
        *"RESOURCE GROUP etl_group"*)
          [ -e "$coord/standin_resgroup_etl_group" ] || why="ERROR:  resource group \"etl_group\" does not exist" ;;
      esac
      if [ -n "$why" ]; then
        [ "$cont" = 1 ] || fail "$why (SQLSTATE 42704) in $stmt"
        errors=$((errors + 1))
        [ "$verbose" = 0 ] || info "Error encountered when executing statement: $stmt Error was: $why"
      fi
    done < <(echo "$header" | sed -n '/^-- TABLESPACES/,/^-- END GLOBALS/p' | sed '1d;$d')
    touch "$coord/standin_globals"
  fi
  [ -f "$coord/standin_globals" ] || fail "role \"gpadmin_owner\" does not exist (restore the globals first: --with-globals)"
  case $db in postgres | template0 | template1) builtin=1 ;; *) builtin=0 ;; esac
  if [ $create = 1 ]; then
    { [ $builtin = 1 ] || [ -e "$coord/standin_db_$db" ]; } && fail "database \"$db\" already exists"
    touch "$coord/standin_db_$db"
  elif [ $builtin = 0 ] && [ ! -e "$coord/standin_db_$db" ]; then
    fail "database \"$db\" does not exist (use --create-db)"
  fi
  for loc in $(echo "$header" | awk '$2 == "TABLESPACES" { $1 = $2 = ""; print; exit }'); do
    grep -qx "ts $loc" "$coord/standin_cluster" || echo "ts $loc" >> "$coord/standin_cluster"
  done
  CLUSTER=$(cat "$coord/standin_cluster")
  if [ $meta = 0 ]; then
    while read -r c h dbid d; do
      if [ -n "$plugin" ]; then
        [ -f "$S/plugin/$ts/gpbackup_${c}_${ts}_16384.gz" ] || fail "content $c: not found through the plugin"
      else
        src="$(where "$c" "$d")/gpbackup_${c}_${ts}_16384.gz"
        on "$h" "test -f '$src'" || fail "content $c: $h:$src does not exist"
      fi
    done < <(segs p | awk '$1 >= 0')
    load_all "$db" "$db"
  fi
  if [ "$errors" -gt 0 ]; then
    write_report "Success but non-fatal errors occurred. See log file for details."
    info "Restore completed with $errors error(s)"
    return 1
  fi
  write_report Success
  info "Restore completed successfully"
}

# The parent of a data directory must exist and gpadmin must write in it
# (gpinitsystem CHK_SEG / CHK_PARAMS / CHK_QES_FROM_INPUTFILE, gpaddmirrors,
# gpinitstandby); the directory itself must not exist.
check_new_dir() { # host dir
  local p
  p=$(dirname "$2")
  on "$1" "test -d '$p' && test -w '$p'" || die "$1: cannot create $2: $p does not exist or is not writable by $(id -un)"
  on "$1" "test ! -e '$2'" || die "data directory $1:$2 already exists"
}

# gpinitsystem -I: creates every instance in the input file (quoted
# host~address~port~datadir~dbid~content entries, as the file is sourced),
# after checking every parent; -s adds the standby. Each new instance starts
# with its catalog and WAL. ENCODING from the file and --lc-* are recorded.
gpinitsystem() {
  local input="" standby="" sdir="" qd="" line role h port d dbid c overhead collate="" ctype="" enc
  while [ $# -gt 0 ]; do
    case $1 in
      -a | -q) shift ;;
      -I) input=$2; shift 2 ;;
      -s) standby=$2; shift 2 ;;
      -P) shift 2 ;;
      -S) sdir=$2; shift 2 ;;
      --lc-collate=*) collate=${1#*=}; shift ;;
      --lc-ctype=*) ctype=${1#*=}; shift ;;
      *) die "this stand-in takes the runbook's -I form; unexpected $1" ;;
    esac
  done
  [ -f "$input" ] || die "input configuration file $input not found"
  enc=$(bash -c 'source "$1" && echo "$ENCODING"' _ "$input")
  overhead=$(size overhead all)
  local entries=""
  while read -r role line; do
    [ -n "$line" ] && entries+="$role $line"$'\n'
  done < <(bash -c 'source "$1"; echo "p $QD_PRIMARY_ARRAY"; for e in "${PRIMARY_ARRAY[@]}"; do echo "p $e"; done; for e in "${MIRROR_ARRAY[@]}"; do echo "m $e"; done' _ "$input")
  while read -r role line; do
    [ -n "$line" ] || continue
    IFS='~' read -r h _ port d dbid c <<< "$line"
    check_new_dir "$h" "$d"
  done <<< "$entries"
  [ -z "$standby" ] || check_new_dir "$standby" "$sdir"
  local cluster=""
  while read -r role line; do
    [ -n "$line" ] || continue
    IFS='~' read -r h _ port d dbid c <<< "$line"
    mkfile "$h" "$d/pg_wal/standin_catalog_and_wal" "$overhead"
    cluster+="seg $c $role $h $dbid $d"$'\n'
    [ "$c" = -1 ] && qd="$h $d $port"
  done <<< "$entries"
  if [ -n "$standby" ]; then
    mkfile "$standby" "$sdir/pg_wal/standin_catalog_and_wal" "$overhead"
    cluster+="seg -1 m $standby 9999 $sdir"$'\n'
  fi
  read -r h d port <<< "$qd"
  [ "$h" = "$(hostname)" ] || die "the stand-in runs on the coordinator host ($h)"
  printf '%slocale %s %s %s\n' "$cluster" "$enc" "$collate" "$ctype" > "$d/standin_cluster"
  : > "$d/postmaster.pid"
  : > "$d/pg_hba.conf"
  mkdir -p "$S/clusters" && echo "$d" > "$S/clusters/$port"
  echo "gpinitsystem: cluster initialized at $h:$port"
}

# gpaddmirrors -i: each line content|address|port|datadir; a mirror is a
# full copy of its primary (data directory and tablespace directories).
gpaddmirrors() {
  local input=""
  while [ $# -gt 0 ]; do
    case $1 in
      -a) shift ;;
      -i) input=$2; shift 2 ;;
      *) die "unexpected $1" ;;
    esac
  done
  [ -f "$input" ] || die "mirror config file $input not found"
  load_cluster "${COORDINATOR_DATA_DIRECTORY:-}"
  local c mh port md ph pdbid pd bytes loc next=5000
  while IFS='|' read -r c mh port md; do
    case $c in '#'* | '') continue ;; esac
    read -r ph pdbid pd <<< "$(seg_of p "$c")"
    check_new_dir "$mh" "$md"
    bytes=$(on "$ph" "find '$pd' -type f -printf '%s\n' | awk '{ s += \$1 } END { print s + 0 }'")
    mkfile "$mh" "$md/base/copy_of_primary" "$bytes"
    next=$((next + 1))
    for loc in $(tablespaces); do
      bytes=$(on "$ph" "find '$loc/$pdbid' -type f -printf '%s\n' 2>/dev/null | awk '{ s += \$1 } END { print s + 0 }'")
      [ "$bytes" -gt 0 ] && mkfile "$mh" "$loc/$next/GPDB_7_standin/copy_of_primary" "$bytes"
    done
    echo "seg $c m $mh $next $md" >> "$COORDINATOR_DATA_DIRECTORY/standin_cluster"
  done < "$input"
}

# gpinitstandby -s host -P port -S dir: the standby is a copy of the
# coordinator (data directory and tablespace directories).
gpinitstandby() {
  local sh="" sdir=""
  while [ $# -gt 0 ]; do
    case $1 in
      -a) shift ;;
      -s) sh=$2; shift 2 ;;
      -S) sdir=$2; shift 2 ;;
      -P) shift 2 ;;
      *) die "unexpected $1" ;;
    esac
  done
  load_cluster "${COORDINATOR_DATA_DIRECTORY:-}"
  local ch cdbid cd bytes loc
  read -r ch cdbid cd <<< "$(seg_of p -1)"
  check_new_dir "$sh" "$sdir"
  bytes=$(on "$ch" "find '$cd' -type f -printf '%s\n' | awk '{ s += \$1 } END { print s + 0 }'")
  mkfile "$sh" "$sdir/base/copy_of_coordinator" "$bytes"
  for loc in $(tablespaces); do
    bytes=$(on "$ch" "find '$loc/$cdbid' -type f -printf '%s\n' 2>/dev/null | awk '{ s += \$1 } END { print s + 0 }'")
    [ "$bytes" -gt 0 ] && mkfile "$sh" "$loc/9999/GPDB_7_standin/copy_of_coordinator" "$bytes"
  done
  echo "seg -1 m $sh 9999 $sdir" >> "$COORDINATOR_DATA_DIRECTORY/standin_cluster"
}

# gpdeletesystem -d: needs the cluster running; refuses when
# `find <dir> -name '*dump*' -o -name '*backups*' -type d` finds anything,
# unless -f (6X check_for_dump_files); deletes every instance's data
# directory and every tablespace location's <dbid> directory.
gpdeletesystem() {
  local dir="" force=0
  while [ $# -gt 0 ]; do
    case $1 in
      -d) dir=$2; shift 2 ;;
      -f) force=1; shift ;;
      *) die "unexpected $1" ;;
    esac
  done
  load_cluster "$dir"
  if [ $force = 0 ] && [ -n "$(find "$dir" -type d \( -name '*dump*' -o -name '*backups*' \) -print -quit)" ]; then
    die "Backup files exist in $dir: move them or use -f"
  fi
  local c role h dbid d loc
  while read -r _ c role h dbid d; do
    for loc in $(tablespaces); do on "$h" "rm -rf '$loc/$dbid'"; done
    on "$h" "rm -rf '$d'"
  done < <(echo "$CLUSTER" | awk '$1 == "seg"')
  echo "gpdeletesystem: deleted the cluster at $dir"
}

# gpssh -f hostfile | -h host … -e CMD: CMD on every host named.
gpssh() {
  local hosts="" cmd=""
  while [ $# -gt 0 ]; do
    case $1 in
      -f) hosts+=" $(cat "$2")"; shift 2 ;;
      -h) hosts+=" $2"; shift 2 ;;
      -e) cmd=$2; shift 2 ;;
      *) die "unexpected $1" ;;
    esac
  done
  local h rc=0
  for h in $hosts; do
    echo "[$h] $cmd"
    on "$h" "$cmd" || rc=1
  done
  return $rc
}

# gpcopy: copies every database from the running source into the running
# destination cluster, both found by coordinator port.
gpcopy() {
  local sport="" dport=""
  while [ $# -gt 0 ]; do
    case $1 in
      --source-port) sport=$2; shift 2 ;;
      --dest-port) dport=$2; shift 2 ;;
      --source-host | --dest-host | --validate) shift 2 ;;
      --full) shift ;;
      *) die "unexpected $1" ;;
    esac
  done
  [ -f "$S/clusters/$sport" ] || die "no cluster listens on port $sport"
  [ -f "$S/clusters/$dport" ] || die "no cluster listens on port $dport"
  local src dst locs loc db
  src=$(cat "$S/clusters/$sport")
  dst=$(cat "$S/clusters/$dport")
  load_cluster "$src"
  locs=$(tablespaces)
  load_cluster "$dst"
  for loc in $locs; do
    grep -qx "ts $loc" "$dst/standin_cluster" || echo "ts $loc" >> "$dst/standin_cluster"
  done
  CLUSTER=$(cat "$dst/standin_cluster")
  for db in $(awk '$1 == "dbs" { $1 = ""; print }' "$S/sizes"); do
    load_all "$db" "gpcopy_$db"
  done
}

# psql: answers the catalog queries the runbook's gates and records run, from
# the cluster of PGPORT; any other query prints nothing.
psql() {
  local sql="" dir
  while [ $# -gt 0 ]; do
    case $1 in
      -c) sql=$2; shift 2 ;;
      -Atc) sql=$2; shift 2 ;;
      -d | -F) shift 2 ;;
      *) shift ;;
    esac
  done
  dir=$(cat "$S/clusters/${PGPORT:-5432}" 2>/dev/null) || { echo "psql: could not connect to port ${PGPORT:-}" >&2; return 2; }
  load_cluster "$dir"
  case $sql in
    *"FROM gp_segment_configuration WHERE role = 'p' AND content >= 0"*)
      echo "$CLUSTER" | awk '$1 == "seg" && $3 == "p" && $2 >= 0 { print $2, $4 }' | sort -n ;;
    *"sum(CASE WHEN role = 'm'"*)
      echo "$CLUSTER" | awk '$1 == "seg" && $2 >= 0 { if ($3 == "m") m++; else p++ } END { print m - p "|0" }' ;;
    *"count(*) FROM pg_stat_activity"*) cat "$S/sessions" 2>/dev/null || echo 0 ;;
    *"datname = 'template1'"*) cat "$S/locale6" ;;
    *) ;;
  esac
}

case $tool in
  gpbackup | gprestore | gpinitsystem | gpinitstandby | gpaddmirrors | gpdeletesystem | gpssh | gpcopy | psql) "$tool" "$@" ;;
  gpstate | gpcheckcat | gpstop | analyzedb) echo "$tool: ok (test bed stand-in)" ;;
  *) die "no stand-in for $tool" ;;
esac
