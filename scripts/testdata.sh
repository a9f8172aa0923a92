# shellcheck shell=bash disable=SC2034  # sourced: BIN, PSQL and WORK are used by the caller
# Shared by scripts/accuracy.sh and scripts/time_accuracy.sh (sourced, not run):
# a fresh PostgreSQL 15 on a free port of 127.0.0.1 as user postgres, stopped and
# removed on exit, loaded with TPC-H at scale factor $SF (tpchgen-cli from PyPI)
# and the mixed-types data set of $MIXED_ROWS rows, both ANALYZEd. Sets WORK,
# PORT, PSQL (an array) and BIN (the release binary).
: "${SF:?}" "${MIXED_ROWS:?}"
PGBIN=/usr/lib/postgresql/15/bin
[ "$(id -u)" = 0 ] || { echo "run as root (the PostgreSQL server runs as user postgres)"; exit 1; }
[ -x "$PGBIN/initdb" ] || { apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null; }
command -v tpchgen-cli >/dev/null || pip install -q tpchgen-cli==4.0.0
cargo build --release --quiet
BIN=$PWD/target/release/whpg-plan

WORK=$(mktemp -d /tmp/whpg-accuracy-XXXXXX)
chown postgres "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w -s stop 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd /tmp && runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null)
(cd /tmp && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w -s \
  -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_size=4GB" start)
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE tpch" -c "CREATE DATABASE mixed"

echo "== generating TPC-H SF $SF"
tpchgen-cli csv -s "$SF" --output-dir="$WORK/tpch"
"${PSQL[@]}" -d tpch <<'SQL'
CREATE TABLE region (r_regionkey integer, r_name char(25), r_comment varchar(152));
CREATE TABLE nation (n_nationkey integer, n_name char(25), n_regionkey integer, n_comment varchar(152));
CREATE TABLE part (p_partkey integer, p_name varchar(55), p_mfgr char(25), p_brand char(10), p_type varchar(25),
  p_size integer, p_container char(10), p_retailprice decimal(15,2), p_comment varchar(23));
CREATE TABLE supplier (s_suppkey integer, s_name char(25), s_address varchar(40), s_nationkey integer,
  s_phone char(15), s_acctbal decimal(15,2), s_comment varchar(101));
CREATE TABLE partsupp (ps_partkey integer, ps_suppkey integer, ps_availqty integer, ps_supplycost decimal(15,2),
  ps_comment varchar(199));
CREATE TABLE customer (c_custkey integer, c_name varchar(25), c_address varchar(40), c_nationkey integer,
  c_phone char(15), c_acctbal decimal(15,2), c_mktsegment char(10), c_comment varchar(117));
CREATE TABLE orders (o_orderkey bigint, o_custkey integer, o_orderstatus char(1), o_totalprice decimal(15,2),
  o_orderdate date, o_orderpriority char(15), o_clerk char(15), o_shippriority integer, o_comment varchar(79));
CREATE TABLE lineitem (l_orderkey bigint, l_partkey integer, l_suppkey integer, l_linenumber integer,
  l_quantity decimal(15,2), l_extendedprice decimal(15,2), l_discount decimal(15,2), l_tax decimal(15,2),
  l_returnflag char(1), l_linestatus char(1), l_shipdate date, l_commitdate date, l_receiptdate date,
  l_shipinstruct char(25), l_shipmode char(10), l_comment varchar(44));
SQL
for t in region nation part supplier partsupp customer orders lineitem; do
  "${PSQL[@]}" -d tpch -c "\\copy $t FROM '$WORK/tpch/$t.csv' WITH CSV HEADER"
done
echo "== building the mixed-types data set ($MIXED_ROWS rows)"
"${PSQL[@]}" -d mixed <<SQL
CREATE TABLE events AS SELECT g::int8 AS id, TIMESTAMPTZ '2026-01-01 00:00:00+00' + g * interval '7 seconds' AS at,
  (g % 3 = 0) AS ok, g * 0.000123::float8 AS score, (g % 100000)::int4 AS account,
  CASE WHEN g % 7 = 0 THEN '' WHEN g % 13 = 0 THEN 'said "yes", then left' WHEN g % 17 = 0 THEN E'two\nlines'
       WHEN g % 5 = 0 THEN NULL ELSE 'plain ' || (g % 977) END AS remark,
  json_build_object('user', g % 1000, 'tags', json_build_array('a', 'b'), 'v', g) AS payload
FROM generate_series(1, $MIXED_ROWS) g;
CREATE TABLE blobs AS SELECT g AS id, decode(md5(g::text) || md5((g + 1)::text), 'hex') AS digest,
  ARRAY[g % 10, g % 100, g] AS path, md5(g::text)::uuid AS ref, (g % 2 = 0) AS flag,
  DATE '2000-01-01' + (g % 9000) AS born, CASE WHEN g % 4 = 0 THEN NULL ELSE (g * 3.7)::numeric(18,4) END AS amount
FROM generate_series(1, $MIXED_ROWS / 2) g;
SQL
"${PSQL[@]}" -d tpch -c "ANALYZE"
"${PSQL[@]}" -d mixed -c "ANALYZE"
