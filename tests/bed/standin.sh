#!/bin/bash
# Stand-ins for the Greenplum utilities a whpg-plan runbook runs, for the
# rehearsal on the test bed. Each follows the real tool's path rules (sources
# in the comments: gpbackup 1.30, the 6/7 utility references, docs/runbook.md):
# where files land for the flags given, where the restore looks (and fails
# when nothing is there), what gpdeletesystem refuses and deletes, what
# gpinitsystem creates. Only the byte counts come from the model (the file
# /cfg/standin/sizes the rehearsal writes): the paths never do.
#
# Installed as /cfg/standin/bin/standin with one link per tool name; runs on
# the bed's coordinator host and reaches the others over ssh, as the real
# utilities do.
set -euo pipefail
S=/cfg/standin
tool=$(basename "$0")
die() { echo "$tool: $*" >&2; exit 1; }
addr() { awk -v h="$1" '$1 == h { print $2 }' "$S/hosts"; }
on() {
  local h=$1 a
  shift
  a=$(addr "$h")
  [ -n "$a" ] || die "cannot resolve host $h"
  ssh -n -q -i "$S/key" -o UserKnownHostsFile="$S/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes "root@$a" "$@"
}
size() { awk -v k="$1" -v c="$2" '$1 == k && $2 == c { print $3 }' "$S/sizes"; }
# This database's share of a byte count that covers every database: equal
# parts, the last database in the list taking the remainder.
share() {
  local total=$1 db=$2 dbs n i=0 last
  dbs=$(awk '$1 == "dbs" { $1 = ""; print }' "$S/sizes")
  n=$(echo $dbs | wc -w)
  last=$(echo $dbs | awk '{ print $NF }')
  if [ "$db" = "$last" ]; then echo $((total - (n - 1) * (total / n))); else echo $((total / n)); fi
}
# A file of exactly BYTES bytes of real (not sparse) data on HOST.
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

# gpbackup: only primaries write data. Default location
# <primary datadir>/backups/YYYYMMDD/<ts>/; with --backup-dir D:
# D/gpseg<content>/backups/YYYYMMDD/<ts>/ on the host of that primary, the
# coordinator's metadata in D/gpseg-1/...; with a plugin the data leaves the
# hosts and the metadata is also kept in <coordinator datadir>/backups.
gpbackup() {
  local db="" dir="" plugin="" meta=0
  while [ $# -gt 0 ]; do
    case $1 in
      --dbname) db=$2; shift 2 ;;
      --backup-dir) dir=$2; shift 2 ;;
      --plugin-config) plugin=$2; shift 2 ;;
      --compression-type | --compression-level | --jobs) shift 2 ;;
      --metadata-only) meta=1; shift ;;
      --no-compression) shift ;;
      --version) echo "gpbackup version 1.30.7 (test bed stand-in)"; return 0 ;;
      *) die "unknown flag $1" ;;
    esac
  done
  [ -n "$db" ] || die "--dbname is required"
  [ -z "$dir" ] || [ -z "$plugin" ] || die "--backup-dir and --plugin-config cannot be combined"
  load_cluster "${MASTER_DATA_DIRECTORY:-}"
  local ts d8 where c h dbid d bytes locs
  ts=$(new_timestamp)
  d8=${ts:0:8}
  where() { # content datadir
    if [ -n "$dir" ]; then echo "$dir/gpseg$1/backups/$d8/$ts"; else echo "$2/backups/$d8/$ts"; fi
  }
  read -r h dbid d <<< "$(seg_of p -1)"
  locs=$(tablespaces | tr '\n' ' ')
  bytes=$(share "$(size metadata all)" "$db")
  on "$h" "mkdir -p '$(where -1 "$d")' && f='$(where -1 "$d")/gpbackup_${ts}_metadata.sql' \
    && printf -- '-- DATABASE %s\n-- TABLESPACES %s\n' '$db' '$locs' > \"\$f\" \
    && head -c \$(( $bytes - \$(stat -c %s \"\$f\") )) /dev/zero >> \"\$f\""
  if [ -n "$plugin" ]; then
    mkdir -p "$S/plugin/$ts"
    printf -- '-- DATABASE %s\n-- TABLESPACES %s\n' "$db" "$locs" > "$S/plugin/$ts/gpbackup_${ts}_metadata.sql"
  fi
  if [ $meta = 0 ]; then
    while read -r c h dbid d; do
      bytes=$(share "$(size backup "$c")" "$db")
      if [ -n "$plugin" ]; then
        echo "$bytes" > "$S/plugin/$ts/gpbackup_${c}_${ts}_16384.gz"
      else
        mkfile "$h" "$(where "$c" "$d")/gpbackup_${c}_${ts}_16384.gz" "$bytes"
      fi
    done < <(segs p | awk '$1 >= 0')
  fi
  echo "$(date +%Y%m%d:%H:%M:%S) gpbackup:gpadmin:standin-[INFO]:-Backup Timestamp = $ts"
  echo "$(date +%Y%m%d:%H:%M:%S) gpbackup:gpadmin:standin-[INFO]:-Backup Database = $db"
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
# only with --with-globals; --create-db fails for an existing database.
gprestore() {
  local ts="" dir="" plugin="" meta=0 create=0 globals=0
  while [ $# -gt 0 ]; do
    case $1 in
      --timestamp) ts=$2; shift 2 ;;
      --backup-dir) dir=$2; shift 2 ;;
      --plugin-config) plugin=$2; shift 2 ;;
      --exclude-table-file | --jobs) shift 2 ;;
      --metadata-only) meta=1; shift ;;
      --create-db) create=1; shift ;;
      --with-globals) globals=1; shift ;;
      --resize-cluster | --on-error-continue) shift ;;
      --version) echo "gprestore version 1.30.7 (test bed stand-in)"; return 0 ;;
      *) die "unknown flag $1" ;;
    esac
  done
  [[ $ts =~ ^[0-9]{14}$ ]] || die "--timestamp '$ts' is not YYYYMMDDHHMMSS"
  [ -z "$dir" ] || [ -z "$plugin" ] || die "--backup-dir and --plugin-config cannot be combined"
  load_cluster "${COORDINATOR_DATA_DIRECTORY:-}"
  local coord=$COORDINATOR_DATA_DIRECTORY d8=${ts:0:8} h dbid d mpath header db c src
  where() { # content datadir
    if [ -n "$dir" ]; then echo "$dir/gpseg$1/backups/$d8/$ts"; else echo "$2/backups/$d8/$ts"; fi
  }
  read -r h dbid d <<< "$(seg_of p -1)"
  if [ -n "$plugin" ]; then
    mpath="$S/plugin/$ts/gpbackup_${ts}_metadata.sql"
    header=$(head -c 4096 "$mpath" 2>/dev/null | tr -d '\0') || die "backup $ts not found through the plugin"
  else
    mpath="$(where -1 "$d")/gpbackup_${ts}_metadata.sql"
    header=$(on "$h" "head -c 4096 '$mpath' | tr -d '\\0'" 2>/dev/null) || true
    [ -n "$header" ] || die "backup $ts not found: $h:$mpath does not exist"
  fi
  db=$(echo "$header" | awk '$2 == "DATABASE" { print $3 }')
  if [ $globals = 1 ]; then touch "$coord/standin_globals"; fi
  [ -f "$coord/standin_globals" ] || die "role \"gpadmin_owner\" does not exist (restore the globals first: --with-globals)"
  case $db in postgres | template0 | template1) builtin=1 ;; *) builtin=0 ;; esac
  if [ $create = 1 ]; then
    { [ $builtin = 1 ] || [ -e "$coord/standin_db_$db" ]; } && die "database \"$db\" already exists"
    touch "$coord/standin_db_$db"
  elif [ $builtin = 0 ] && [ ! -e "$coord/standin_db_$db" ]; then
    die "database \"$db\" does not exist (use --create-db)"
  fi
  for loc in $(echo "$header" | awk '$2 == "TABLESPACES" { $1 = $2 = ""; print }'); do
    grep -qx "ts $loc" "$coord/standin_cluster" || echo "ts $loc" >> "$coord/standin_cluster"
  done
  CLUSTER=$(cat "$coord/standin_cluster")
  [ $meta = 1 ] && return 0
  while read -r c h dbid d; do
    if [ -n "$plugin" ]; then
      [ -f "$S/plugin/$ts/gpbackup_${c}_${ts}_16384.gz" ] || die "content $c: not found through the plugin"
    else
      src="$(where "$c" "$d")/gpbackup_${c}_${ts}_16384.gz"
      on "$h" "test -f '$src'" || die "content $c: $h:$src does not exist"
    fi
  done < <(segs p | awk '$1 >= 0')
  load_all "$db" "$db"
  echo "gprestore: restore of $db ($ts) completed"
}

# gpinitsystem -I: creates every instance in the input file (host~address~
# port~datadir~dbid~content), refusing a data directory that exists; -s adds
# the standby. Each new instance starts with its catalog and WAL.
gpinitsystem() {
  local input="" standby="" sport="" sdir="" qd="" line role h port d dbid c overhead
  while [ $# -gt 0 ]; do
    case $1 in
      -a | -q) shift ;;
      -I) input=$2; shift 2 ;;
      -s) standby=$2; shift 2 ;;
      -P) sport=$2; shift 2 ;;
      -S) sdir=$2; shift 2 ;;
      *) die "this stand-in takes the runbook's -I form; unexpected $1" ;;
    esac
  done
  [ -f "$input" ] || die "input configuration file $input not found"
  overhead=$(size overhead all)
  local entries=""
  role=""
  while read -r line; do
    case $line in
      QD_PRIMARY_ARRAY=*) entries+="p ${line#QD_PRIMARY_ARRAY=}"$'\n' ;;
      "declare -a PRIMARY_ARRAY=(") role=p ;;
      "declare -a MIRROR_ARRAY=(") role=m ;;
      ")") role="" ;;
      *~*) [ -n "$role" ] && entries+="$role $line"$'\n' ;;
    esac
  done < "$input"
  while read -r role line; do
    [ -n "$line" ] || continue
    IFS='~' read -r h _ port d dbid c <<< "$line"
    on "$h" "test ! -e '$d'" || die "data directory $h:$d already exists"
  done <<< "$entries"
  local cluster=""
  while read -r role line; do
    [ -n "$line" ] || continue
    IFS='~' read -r h _ port d dbid c <<< "$line"
    mkfile "$h" "$d/pg_wal/standin_catalog_and_wal" "$overhead"
    cluster+="seg $c $role $h $dbid $d"$'\n'
    [ "$c" = -1 ] && qd="$h $d $port"
  done <<< "$entries"
  if [ -n "$standby" ]; then
    on "$standby" "test ! -e '$sdir'" || die "standby data directory $standby:$sdir already exists"
    mkfile "$standby" "$sdir/pg_wal/standin_catalog_and_wal" "$overhead"
    cluster+="seg -1 m $standby 9999 $sdir"$'\n'
  fi
  read -r h d port <<< "$qd"
  [ "$h" = "$(hostname)" ] || die "the stand-in runs on the coordinator host ($h)"
  printf '%s' "$cluster" > "$d/standin_cluster"
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
    on "$mh" "test ! -e '$md'" || die "mirror data directory $mh:$md already exists"
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
  on "$sh" "test ! -e '$sdir'" || die "standby data directory $sh:$sdir already exists"
  bytes=$(on "$ch" "find '$cd' -type f -printf '%s\n' | awk '{ s += \$1 } END { print s + 0 }'")
  mkfile "$sh" "$sdir/base/copy_of_coordinator" "$bytes"
  for loc in $(tablespaces); do
    bytes=$(on "$ch" "find '$loc/$cdbid' -type f -printf '%s\n' 2>/dev/null | awk '{ s += \$1 } END { print s + 0 }'")
    [ "$bytes" -gt 0 ] && mkfile "$sh" "$loc/9999/GPDB_7_standin/copy_of_coordinator" "$bytes"
  done
  echo "seg -1 m $sh 9999 $sdir" >> "$COORDINATOR_DATA_DIRECTORY/standin_cluster"
}

# gpdeletesystem -d: needs the cluster running; refuses when the coordinator
# data directory holds *dump* or *backups* unless -f; deletes every
# instance's data directory and every tablespace location's <dbid> directory.
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
  if [ $force = 0 ] && ls "$dir" | grep -qE 'dump|backups'; then
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

case $tool in
  gpbackup | gprestore | gpinitsystem | gpinitstandby | gpaddmirrors | gpdeletesystem | gpssh | gpcopy) "$tool" "$@" ;;
  gpstate | gpcheckcat | gpstop | analyzedb | psql) echo "$tool: ok (test bed stand-in)" ;;
  *) die "no stand-in for $tool" ;;
esac
