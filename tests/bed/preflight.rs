//! The GP6 catalogs the pre-flight reads, as stand-ins on the bed's
//! PostgreSQL 15 (names, columns and types as in Greenplum 6), and one object
//! of every kind the pre-flight looks for, in a database of its own
//! (`legacy`) so the other tests' databases keep their composition.
//!
//! Where PostgreSQL 15 cannot hold the GP6 object itself, the stand-in says
//! so: the removed types are domains named after them, the `=>` operator is
//! a real operator the `pg_operator` stand-in renames (PostgreSQL 9.5+ refuses
//! the name), extension configuration tables are listed by the `pg_extension`
//! stand-in (only an extension script may register one), `pg_partition_rule`'s
//! bounds are `text` (GP6: `pg_node_tree`, which no client may write).
//! `unknown` columns cannot be created on PostgreSQL 10+ and are not staged.

use super::Bed;

/// Per database: the GP6 catalogs the pre-flight reads that the base stand-in
/// does not have, empty (a database without any of the objects).
pub const PREFLIGHT_STAND_IN_SQL: &str = r#"
CREATE TABLE gp_toolkit.bed_with_oids (relid oid PRIMARY KEY);
CREATE OR REPLACE VIEW gp_toolkit.pg_class AS
  SELECT c.*,
    (CASE WHEN c.relkind IN ('r', 'm') AND a.amname = 'ao_row' THEN 'a'
          WHEN c.relkind IN ('r', 'm') AND a.amname = 'ao_column' THEN 'c'
          WHEN c.oid IN (SELECT relid FROM gp_toolkit.bed_external) THEN 'x'
          WHEN c.relkind = 'v' THEN 'v'
          WHEN c.relkind = 'f' THEN 'f'
          ELSE 'h' END)::"char" AS relstorage,
    c.oid IN (SELECT relid FROM gp_toolkit.bed_with_oids) AS relhasoids
  FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_am a ON a.oid = c.relam;
-- GP6's pg_partition has an oid (a system column there, a plain one here).
ALTER TABLE gp_toolkit.pg_partition ADD COLUMN oid oid;
CREATE TABLE gp_toolkit.pg_partition_rule (
  paroid oid NOT NULL, parchildrelid oid NOT NULL, parparentrule oid NOT NULL, parname name NOT NULL,
  parisdefault bool NOT NULL, parruleord int2 NOT NULL, parrangestartincl bool NOT NULL,
  parrangeendincl bool NOT NULL, parrangestart text, parrangeend text, parrangeevery text,
  parlistvalues text, parreloptions text[], partemplatespace oid);
CREATE TABLE gp_toolkit.gp_distribution_policy (
  localoid oid NOT NULL, policytype "char" NOT NULL, numsegments int4 NOT NULL,
  distkey int2vector NOT NULL, distclass oidvector NOT NULL);
CREATE TABLE gp_toolkit.pg_attribute_encoding (attrelid oid NOT NULL, attnum int2 NOT NULL, attoptions text[]);
CREATE TABLE gp_toolkit.bed_arrow_operators (oproid oid PRIMARY KEY);
CREATE VIEW gp_toolkit.pg_operator AS
  SELECT o.oid, (CASE WHEN o.oid IN (SELECT oproid FROM gp_toolkit.bed_arrow_operators) THEN '=>' ELSE o.oprname END)::name AS oprname,
    o.oprnamespace, o.oprowner, o.oprkind, o.oprcanmerge, o.oprcanhash, o.oprleft, o.oprright,
    o.oprresult, o.oprcom, o.oprnegate, o.oprcode, o.oprrest, o.oprjoin
  FROM pg_catalog.pg_operator o;
CREATE TABLE gp_toolkit.bed_ext_config (extname name, relid oid);
CREATE VIEW gp_toolkit.pg_extension AS
  SELECT e.oid, e.extname, e.extowner, e.extnamespace, e.extrelocatable, e.extversion,
    coalesce((SELECT array_agg(b.relid) FROM gp_toolkit.bed_ext_config b WHERE b.extname = e.extname), e.extconfig) AS extconfig,
    e.extcondition
  FROM pg_catalog.pg_extension e;
"#;

/// In the topology database only: the shared catalogs the cluster-wide items
/// read, with what every GP6 has (its two resource groups, at GP6's defaults)
/// and the server's real roles and settings.
pub const CLUSTER_STAND_IN_SQL: &str = r#"
CREATE TABLE gp_toolkit.pg_resgroup (oid oid NOT NULL, rsgname name NOT NULL, parent oid NOT NULL);
CREATE TABLE gp_toolkit.pg_resgroupcapability (resgroupid oid NOT NULL, reslimittype int2 NOT NULL, value text);
INSERT INTO gp_toolkit.pg_resgroup VALUES (6437, 'default_group', 0), (6438, 'admin_group', 0);
INSERT INTO gp_toolkit.pg_resgroupcapability VALUES
  (6437, 1, '20'), (6437, 2, '30'), (6437, 3, '0'), (6437, 4, '80'), (6437, 5, '0'), (6437, 6, '0'), (6437, 7, '-1'),
  (6438, 1, '10'), (6438, 2, '10'), (6438, 3, '10'), (6438, 4, '80'), (6438, 5, '0'), (6438, 6, '0'), (6438, 7, '-1');
CREATE TABLE gp_toolkit.pg_authid (
  oid oid NOT NULL, rolname name NOT NULL, rolsuper bool NOT NULL, rolinherit bool NOT NULL,
  rolcreaterole bool NOT NULL, rolcreatedb bool NOT NULL, rolcatupdate bool NOT NULL,
  rolcanlogin bool NOT NULL, rolreplication bool NOT NULL, rolconnlimit int4 NOT NULL,
  rolpassword text, rolvaliduntil timestamptz, rolresqueue oid, rolcreaterextgpfd bool,
  rolcreaterexthttp bool, rolcreatewextgpfd bool, rolresgroup oid);
INSERT INTO gp_toolkit.pg_authid
  SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolsuper, rolcanlogin,
    rolreplication, rolconnlimit, rolpassword, rolvaliduntil, 6055, false, false, false,
    CASE WHEN rolsuper THEN 6438 ELSE 6437 END
  FROM pg_catalog.pg_authid WHERE oid >= 16384 OR rolname = 'postgres';
CREATE TABLE gp_toolkit.pg_db_role_setting (setdatabase oid NOT NULL, setrole oid NOT NULL, setconfig text[]);
INSERT INTO gp_toolkit.pg_db_role_setting SELECT * FROM pg_catalog.pg_db_role_setting;
"#;

/// In `legacy`: one object of every kind the per-database items look for.
pub const LEGACY_SQL: &str = r#"
SET search_path = gp_toolkit, pg_catalog, public;
-- 5: columns, functions and types over removed types.
CREATE DOMAIN gp_toolkit.abstime AS int4;
CREATE DOMAIN gp_toolkit.reltime AS int4;
CREATE TABLE public.old_times (id int, stamp gp_toolkit.abstime);
CREATE FUNCTION public.age_of(gp_toolkit.reltime) RETURNS int LANGUAGE sql AS 'SELECT 1';
-- 6: a view on a removed catalog column.
CREATE VIEW public.storage_report AS SELECT relname, relstorage FROM pg_class;
CREATE VIEW public.plain_report AS SELECT relname FROM pg_class;
-- 7: plpythonu (the language exists in GP6; its handler here is a stand-in), an extension, a C function.
CREATE FUNCTION gp_toolkit.bed_handler() RETURNS language_handler AS 'plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE LANGUAGE plpythonu HANDLER gp_toolkit.bed_handler;
CREATE FUNCTION public.py_clean(t text) RETURNS text LANGUAGE plpythonu AS $$ return t.strip() $$;
CREATE EXTENSION citext SCHEMA public;
-- (PostgreSQL loads a C function's library at CREATE even with check_function_bodies
-- off, as 7 does at restore: a library this server has, outside any extension.)
CREATE FUNCTION public.cube_dist(cube_a internal, cube_b internal) RETURNS float8 AS '$libdir/cube', 'cube_distance' LANGUAGE c;
-- 8: an operator the pg_operator stand-in names =>.
CREATE OPERATOR public.#=> (LEFTARG = text, RIGHTARG = text, FUNCTION = textcat);
INSERT INTO gp_toolkit.bed_arrow_operators SELECT oid FROM pg_catalog.pg_operator WHERE oprname = '#=>';
-- 9: LIST on two columns; START EXCLUSIVE on numeric (flagged) and on int4 (not);
-- an unnamed external leaf partition.
CREATE TABLE public.by_region_kind (id int, region text, kind text);
INSERT INTO gp_toolkit.pg_partition VALUES ('public.by_region_kind'::regclass, 'l', 0, false, 2, '2 3', '0 0', 900001);
CREATE TABLE public.readings (id int, reading numeric);
CREATE TABLE public.readings_1_prt_low () INHERITS (public.readings);
INSERT INTO gp_toolkit.pg_partition VALUES ('public.readings'::regclass, 'r', 0, false, 1, '2', '0', 900002);
INSERT INTO gp_toolkit.pg_partition_rule VALUES
  (900002, 'public.readings_1_prt_low'::regclass, 0, 'low', false, 1, false, false, '0', '100', NULL, NULL, NULL, 0);
CREATE TABLE public.days (id int, day int);
CREATE TABLE public.days_1_prt_first () INHERITS (public.days);
INSERT INTO gp_toolkit.pg_partition VALUES ('public.days'::regclass, 'r', 0, false, 1, '2', '0', 900003);
INSERT INTO gp_toolkit.pg_partition_rule VALUES
  (900003, 'public.days_1_prt_first'::regclass, 0, 'first', false, 1, false, true, '0', '10', NULL, NULL, NULL, 0);
CREATE TABLE public.feeds (id int, line text);
CREATE TABLE public.feeds_1_prt_2 () INHERITS (public.feeds);
INSERT INTO gp_toolkit.bed_external SELECT 'public.feeds_1_prt_2'::regclass;
INSERT INTO gp_toolkit.pg_partition VALUES ('public.feeds'::regclass, 'r', 0, false, 1, '1', '0', 900004);
INSERT INTO gp_toolkit.pg_partition_rule VALUES
  (900004, 'public.feeds_1_prt_2'::regclass, 0, '', false, 2, true, false, '10', '20', NULL, NULL, NULL, 0);
-- 10, 11, 12: distribution by an opclass 7 lacks, by a legacy one, on too few segments.
CREATE OPERATOR CLASS gp_toolkit.cdbhash_varchar_ops FOR TYPE varchar USING hash AS
  OPERATOR 1 = (text, text), FUNCTION 1 hashtext(text);
CREATE OPERATOR CLASS gp_toolkit.cdbhash_int4_ops FOR TYPE int4 USING hash AS
  OPERATOR 1 = (int4, int4), FUNCTION 1 hashint4(int4);
CREATE TABLE public.codes (code varchar(10));
CREATE TABLE public.legacy_keys (id int);
CREATE TABLE public.half_expanded (id int);
INSERT INTO gp_toolkit.gp_distribution_policy
  SELECT 'public.codes'::regclass, 'p', 4, '1'::int2vector, (SELECT oid FROM pg_opclass WHERE opcname = 'cdbhash_varchar_ops')::text::oidvector
  UNION ALL SELECT 'public.legacy_keys'::regclass, 'p', 4, '1'::int2vector, (SELECT oid FROM pg_opclass WHERE opcname = 'cdbhash_int4_ops')::text::oidvector
  UNION ALL SELECT 'public.half_expanded'::regclass, 'p', 1, ''::int2vector, ''::oidvector;
-- 13: names that are keywords on 7.
CREATE TABLE public."tablesample" (id int);
CREATE TABLE public.aux (ao_aux_only int);
CREATE TYPE public."xmlnamespaces" AS (uri text);
CREATE FUNCTION public."xmltable"() RETURNS int LANGUAGE sql AS 'SELECT 1';
-- 15: QuickLZ on a table and on a column.
CREATE TABLE public.clicks_qlz (id int) USING ao_row;
CREATE TABLE public.facts_qlz (k int, v float8) USING ao_column;
INSERT INTO gp_toolkit.pg_appendonly VALUES
  ('public.clicks_qlz'::regclass, 32768, 0, 1, true, 'quicklz', false, 0, 0, 0, 0, 0),
  ('public.facts_qlz'::regclass, 32768, 0, 1, true, 'zstd', true, 0, 0, 0, 0, 0);
INSERT INTO gp_toolkit.pg_attribute_encoding VALUES
  ('public.facts_qlz'::regclass, 1, '{compresstype=zstd,compresslevel=1,blocksize=32768}'),
  ('public.facts_qlz'::regclass, 2, '{compresstype=quicklz,compresslevel=1,blocksize=32768}');
-- 16, 17: WITH OIDS; a materialized view.
CREATE TABLE public.with_oids_t (id int);
INSERT INTO gp_toolkit.bed_with_oids SELECT 'public.with_oids_t'::regclass;
CREATE MATERIALIZED VIEW public.daily_totals AS SELECT 1 AS n;
-- 18: an index on one leaf partition only.
CREATE TABLE public.ledger2 (id int, region text);
CREATE TABLE public.ledger2_1_prt_a () INHERITS (public.ledger2);
CREATE TABLE public.ledger2_1_prt_b () INHERITS (public.ledger2);
CREATE INDEX ledger2_1_prt_a_id ON public.ledger2_1_prt_a (id);
INSERT INTO gp_toolkit.pg_partition VALUES ('public.ledger2'::regclass, 'l', 0, false, 1, '2', '0', 900005);
INSERT INTO gp_toolkit.pg_partition_rule VALUES
  (900005, 'public.ledger2_1_prt_a'::regclass, 0, 'a', false, 1, false, false, NULL, NULL, NULL, 'a', NULL, 0),
  (900005, 'public.ledger2_1_prt_b'::regclass, 0, 'b', false, 2, false, false, NULL, NULL, NULL, 'b', NULL, 0);
-- 19: an extension configuration table.
CREATE TABLE public.citext_settings (k text);
INSERT INTO gp_toolkit.bed_ext_config VALUES ('citext', 'public.citext_settings'::regclass);
ANALYZE;
"#;

/// In the topology database, after `legacy` exists: one object of every
/// cluster-wide kind.
pub const LEGACY_CLUSTER_SQL: &str = r#"
-- 1: a resource group with a cpuset and the cgroup auditor.
INSERT INTO gp_toolkit.pg_resgroup VALUES (900100, 'rg_etl', 0);
INSERT INTO gp_toolkit.pg_resgroupcapability VALUES
  (900100, 1, '5'), (900100, 2, '-1'), (900100, 3, '20'), (900100, 4, '50'), (900100, 5, '30'), (900100, 6, '1'), (900100, 7, '1-3');
-- 2: settings of removed parameters on a database, a role and a role in a database.
CREATE ROLE etl_user LOGIN;
INSERT INTO gp_toolkit.pg_authid
  SELECT oid, rolname, false, true, false, false, false, true, false, -1, NULL, NULL, 6055, false, false, false, 900100
  FROM pg_catalog.pg_authid WHERE rolname = 'etl_user';
INSERT INTO gp_toolkit.pg_db_role_setting VALUES
  ((SELECT oid FROM pg_database WHERE datname = 'legacy'), 0, '{"gp_default_storage_options=appendonly=true, orientation=column"}'),
  (0, (SELECT oid FROM pg_catalog.pg_authid WHERE rolname = 'etl_user'), '{memory_spill_ratio=20,statement_mem=250MB}'),
  ((SELECT oid FROM pg_database WHERE datname = 'legacy'), (SELECT oid FROM pg_catalog.pg_authid WHERE rolname = 'etl_user'), '{gp_use_legacy_hashops=on}');
-- 3, 4: a role named pg_* (PostgreSQL 9.6+ refuses the name: only the stand-in holds it), a SHA-256 hash.
INSERT INTO gp_toolkit.pg_authid VALUES
  (900200, 'pg_monitor_gp', false, true, false, false, false, true, false, -1, NULL, NULL, 6055, false, false, false, 6437),
  (900201, 'app_sha', false, true, false, false, false, true, false, -1,
   'sha256' || repeat('ab12', 16), NULL, 6055, false, false, false, 6437);
"#;

impl Bed {
    /// Adds the pre-flight's GP6 catalogs to every database (empty but for
    /// GP6's two resource groups), and with `objects` a database `legacy`
    /// holding one object of every kind plus the cluster-wide ones.
    pub fn add_preflight_catalog(&self, objects: bool) {
        let pg = self.pg.as_ref().expect("catalog server started");
        for db in ["postgres", "sales"] {
            self.run_sql_text(db, PREFLIGHT_STAND_IN_SQL);
        }
        if objects {
            pg.sql("postgres", "CREATE DATABASE legacy");
            let mut sql =
                super::STAND_IN_SQL.replace("@VERSION@", &self.spec.version.replace('\'', "''"));
            sql.push_str(&self.segment_rows_sql());
            sql.push_str(PREFLIGHT_STAND_IN_SQL);
            sql.push_str(LEGACY_SQL);
            sql.push_str(
                "ALTER DATABASE legacy SET search_path = gp_toolkit, pg_catalog, public;\n",
            );
            self.run_sql_text("legacy", &sql);
        }
        // The shared catalogs last: they copy the server's roles and settings.
        self.run_sql_text("postgres", CLUSTER_STAND_IN_SQL);
        if objects {
            self.run_sql_text("postgres", LEGACY_CLUSTER_SQL);
        }
    }

    /// Runs an SQL text as a file in `db` (stopping at the first error).
    fn run_sql_text(&self, db: &str, sql: &str) {
        let f = self
            .dir
            .path()
            .join(format!("preflight-{db}-{}.sql", sql.len()));
        std::fs::write(&f, sql).unwrap();
        self.pg
            .as_ref()
            .expect("catalog server started")
            .sql_file(db, &f);
    }
}
