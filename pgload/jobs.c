/* SPDX-License-Identifier: MIT
 * pgload --jobs: loading over several connections.
 *
 * A transaction cannot span connections, so the rows go into a staging
 * table that is not yet part of the target, and become part of it in the
 * load's own transaction. Only one way of joining keeps every guarantee a
 * COPY into the target gives: becoming a real partition of a target that is
 * partitioned BY LIST on its load id column (the column whose default is
 * LOAD_ID_DEFAULT). The partition for the load's own id cannot hold a row
 * of any other load, the target's constraints and indexes are the
 * partition's, and queries on the target (FROM ONLY included, which sees
 * no rows of a partitioned table either way) see its rows. An inheritance
 * child would not do: its rows escape the target's unique and exclusion
 * constraints, foreign keys, publications and FROM ONLY.
 *
 * So the staging table is a new table LIKE the target (columns, defaults,
 * constraints, indexes) with a CHECK that its load id is the load's,
 * created and committed first. Each connection COPYs its share of the rows
 * into it in a transaction of its own and commits, and still nothing is
 * visible in the target. The load's transaction, which holds the audit
 * row, then ATTACHes it as the partition FOR VALUES IN (load id): the CHECK
 * spares the server a scan to prove that, and goes again. The target sees
 * every row of the load when that commits, or none.
 *
 * What the rows bypass while they go into the staging table rules the
 * rest out, and those loads go over one connection: triggers (foreign
 * keys' included), rules, row security, a publication that would publish
 * the target's rows (or the staging table's under its own name), an
 * identity column, a target that is itself a partition (its ancestors'
 * guarantees), Citus (whose distributed tables take no local partition
 * this way). The staging table of a load that fails is dropped; one left
 * by a load that was killed is dropped by the next load into that schema
 * with --jobs, which can take the advisory lock the dead load held. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "exitcode.h"
#include "log.h"
#include "pgconn.h"
#include "pgload.h"
#include "xalloc.h"

/* Each connection takes this much of the input in turn. */
#define JOB_BATCH (1024 * 1024)
/* The advisory lock a load holds on its staging table: this plus its id. */
#define STAGING_LOCK_BASE 0x706a000000000000LL /* "pj" */
/* The comment that marks a staging table, followed by the load id. */
#define STAGING_COMMENT "pgload: staging table of load "
/* The CHECK that keeps the staging table to the load's id. */
#define STAGING_CHECK "pgload_load_id"

/* Can the load go over several connections into a partition of its own?
 * Sets *key to the partition key column's name when it can; otherwise
 * says why not, in one line. */
int jobs_possible(PGconn *conn, const struct target *t, char **key)
{
	/* Publications FOR TABLES IN SCHEMA are new in PostgreSQL 15. */
	const char *in_schema = PQserverVersion(conn) >= 150000
					? "or exists (select from pg_publication_namespace pn "
					  "where pn.pnnspid in (select relnamespace from pg_class "
					  "where oid in (select relid from anc))) "
					: "";
	char sql[4096];
	snprintf(sql, sizeof sql,
		 "with anc as (select $1::oid as relid union "
		 "select relid from pg_partition_ancestors($1::oid)), "
		 "k as (select a.attname from pg_partitioned_table p "
		 "join pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0] "
		 "join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
		 "where p.partrelid = $1::oid and p.partstrat = 'l' and p.partnatts = 1 "
		 "and a.atttypid = 'bigint'::regtype and pg_get_expr(d.adbin, 0) = $2) "
		 "select case "
		 "when c.relkind <> 'p' or not exists (select from k) "
		 "then 'is not partitioned by list of its load id column' "
		 "when c.relispartition then 'is itself a partition' "
		 "when exists (select from pg_constraint f where f.contype = 'f' "
		 "and (f.conrelid = c.oid or f.confrelid = c.oid)) "
		 "then 'has or is referenced by a foreign key' "
		 "when c.relhastriggers or exists (select from pg_trigger g where g.tgrelid = c.oid) "
		 "then 'has triggers' "
		 "when c.relhasrules then 'has rules' "
		 "when c.relrowsecurity then 'has row security' "
		 "when exists (select from pg_attribute a where a.attrelid = c.oid "
		 "and a.attidentity <> '' and not a.attisdropped) then 'has an identity column' "
		 "when exists (select from pg_publication p where p.puballtables) "
		 "or exists (select from pg_publication_rel r where r.prrelid in (select relid from anc)) "
		 "%s"
		 "then 'is in a publication' "
		 "when exists (select from pg_extension where extname = 'citus') "
		 "then 'is on a server running Citus' "
		 "when not pg_has_role(c.relowner, 'USAGE') then 'is not yours to alter' "
		 "when not has_schema_privilege(c.relnamespace, 'CREATE') "
		 "then 'is in a schema where you may not create tables' "
		 "end, (select attname from k) "
		 "from pg_class c where c.oid = $1::oid",
		 in_schema);
	const char *params[2] = { t->oid, LOAD_ID_DEFAULT };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, sql, 2, params, PGRES_TUPLES_OK, "cannot look at the table: ",
				     &status);
	if (!res)
		return status;
	*key = NULL;
	if (PQntuples(res) != 1)
		log_info("--jobs: %s is gone; loading over one connection", t->display);
	else if (!PQgetisnull(res, 0, 0))
		log_info("--jobs: %s %s (see pgload(1)); loading over one connection", t->display,
			 PQgetvalue(res, 0, 0));
	else
		*key = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	return EXIT_OK;
}

/* Runs the statement that format(fmt, args...) makes on the server: DDL
 * takes no parameters, so identifiers and values reach it through %I, %L
 * (and %s for names quoted already), never through this process. */
int exec_formatted(PGconn *conn, const char *fmt, int nargs, const char *const *args, const char *what)
{
	enum { MAX_ARGS = 7 };
	if (nargs > MAX_ARGS)
		die(EXIT_OPER, "exec_formatted: %d arguments, at most %d", nargs, MAX_ARGS);
	const char *params[MAX_ARGS + 1] = { fmt };
	char sql[128] = "select format($1";
	for (int i = 0; i < nargs; i++) {
		params[i + 1] = args[i];
		snprintf(sql + strlen(sql), sizeof sql - strlen(sql), ", $%d::text", i + 2);
	}
	snprintf(sql + strlen(sql), sizeof sql - strlen(sql), ")");
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, sql, nargs + 1, params, PGRES_TUPLES_OK, what, &status);
	if (!res)
		return status;
	status = pgconn_command(conn, PQgetvalue(res, 0, 0), what);
	PQclear(res);
	return status;
}

/* Drops the staging tables of loads into t that died before they ended,
 * each only once its lock can be taken (the load that held it is gone). A
 * load lets go of the lock only after it ends, so the table is looked at
 * again under the lock: a load that committed between the listing and the
 * lock has made it part of the target, and it stays. */
void staging_cleanup(PGconn *conn, const struct target *t)
{
	const char *params[2] = { t->nsp_oid, STAGING_COMMENT };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn,
			      "select c.oid::regclass::text, substr(d.description, length($2) + 1), c.oid "
			      "from pg_class c join pg_description d on d.objoid = c.oid "
			      "and d.classoid = 'pg_class'::regclass and d.objsubid = 0 "
			      "where c.relnamespace = $1::oid and c.relkind = 'r' "
			      "and starts_with(d.description, $2) "
			      "and substr(d.description, length($2) + 1) ~ '^[0-9]{1,15}$' "
			      "and not exists (select from pg_inherits i where i.inhrelid = c.oid)",
			      2, params, PGRES_TUPLES_OK, "cannot look for staging tables: ", &status);
	for (int i = 0; res && i < PQntuples(res); i++) {
		const char *table = PQgetvalue(res, i, 0), *id = PQgetvalue(res, i, 1), *oid = PQgetvalue(res, i, 2);
		char key[24], comment[64];
		snprintf(key, sizeof key, "%lld", STAGING_LOCK_BASE + strtoll(id, NULL, 10));
		snprintf(comment, sizeof comment, STAGING_COMMENT "%s", id);
		const char *kp[1] = { key };
		PGresult *lock = pgconn_query(conn, "select pg_try_advisory_lock($1::bigint)", 1, kp, PGRES_TUPLES_OK,
				       "cannot test a staging table's lock: ", &status);
		if (lock && *PQgetvalue(lock, 0, 0) == 't') {
			const char *still[2] = { oid, comment };
			PGresult *left = pgconn_query(conn,
					       "select from pg_description d where d.objoid = $1::oid "
					       "and d.classoid = 'pg_class'::regclass and d.objsubid = 0 "
					       "and d.description = $2 "
					       "and not exists (select from pg_inherits i where i.inhrelid = $1::oid)",
					       2, still, PGRES_TUPLES_OK, "cannot look for staging tables: ", &status);
			const char *args[1] = { table };
			if (left && PQntuples(left) == 1 &&
			    exec_formatted(conn, "drop table %s", 1, args, "cannot drop a staging table: ") == 0)
				log_info("dropped %s, the staging table of load %s, which never finished", table, id);
			PQclear(left);
			PQclear(pgconn_query(conn, "select pg_advisory_unlock($1::bigint)", 1, kp, PGRES_TUPLES_OK, "", &status));
		}
		PQclear(lock);
	}
	PQclear(res);
}

/* Sets the staging table's defaults of now(): to the time `at` while the
 * table fills, back to now() (at NULL) when it joins the target. */
static int staging_now_defaults(const struct load *L, PGconn *conn, const char *at)
{
	int status = EXIT_OK;
	for (size_t i = 0; i < L->t->ncols && !status; i++) {
		if (!L->t->cols[i].now)
			continue;
		const char *args[3] = { L->staging, L->t->cols[i].name, at };
		status = at ? exec_formatted(conn, "alter table %s alter column %I set default %L::timestamptz", 3,
					     args, "cannot prepare the staging table: ")
			    : exec_formatted(conn, "alter table %s alter column %I set default now()", 2, args,
					     "cannot add the staging table to the target: ");
	}
	return status;
}

/* Creates and commits the staging table, on a connection outside the
 * load's transaction. A now() default is pinned to the load's own start,
 * so that every connection stamps the same time, as one transaction would. */
static int staging_create(struct load *L, PGconn *conn, const char *load_now)
{
	char comment[64];
	snprintf(comment, sizeof comment, STAGING_COMMENT "%s", L->load_id);
	const char *args[6] = { L->staging, L->t->sql, comment, STAGING_CHECK, L->part_key, L->load_id };
	const char *what = "cannot create the staging table: ";
	int status = pgconn_command(conn, "begin", what);
	/* LIKE reads the target under a lock of its own: wait for it aloud. */
	if (!status)
		status = lock_target(conn, L->t, &LOCK_ACCESS_SHARE, L->o->lock_timeout_ms);
	if (!status)
		status = exec_formatted(conn, "create table %1$s (like %2$s including all); "
					"comment on table %1$s is %3$L; "
					"alter table %1$s add constraint %4$I check (%5$I is not null and %5$I = %6$L::bigint)",
					6, args, what);
	if (!status)
		status = staging_now_defaults(L, conn, load_now);
	if (!status)
		status = pgconn_command(conn, "commit", what);
	if (status)
		PQclear(PQexec(conn, "rollback"));
	/* A table of that name that was there, or that this did not commit,
	 * is not this load's to drop. */
	L->staging_made = status == EXIT_OK;
	return status;
}

/* The staging table's name, quoted: the target's name and "_load_<id>",
 * in the target's schema, the target's part cut short (at a character's
 * start) to keep it within PostgreSQL's 63 bytes. NULL after reporting. */
static char *staging_name(PGconn *conn, const struct target *t, const char *load_id)
{
	char suffix[32], name[64];
	snprintf(suffix, sizeof suffix, "_load_%s", load_id);
	size_t keep = strlen(t->relname), room = 63 - strlen(suffix);
	if (keep > room) {
		keep = room;
		while (keep && ((unsigned char)t->relname[keep] & 0xC0) == 0x80)
			keep--;
	}
	snprintf(name, sizeof name, "%.*s%s", (int)keep, t->relname, suffix);
	const char *params[2] = { t->nsp_oid, name };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(conn, "select format('%I.%I', nspname, $2::text) from pg_namespace where oid = $1::oid",
			      2, params, PGRES_TUPLES_OK, "cannot name the staging table: ", &status);
	if (!res)
		return NULL;
	char *q = PQntuples(res) == 1 ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	if (!q)
		log_error("the schema of %s is gone", t->display);
	return q;
}

/* In the load's transaction: the staging table becomes the target's
 * partition for the load id, with the target's now() defaults back, and
 * marked as the rows of the load instead of a staging table. Its CHECK
 * spared the server the scan that proves the partition's rows belong
 * there; the partition constraint holds them from now on. */
static int staging_attach(const struct load *L)
{
	int status = lock_target(L->conn, L->t, &LOCK_SHARE_UPDATE_EXCLUSIVE, L->o->lock_timeout_ms);
	if (status)
		return status;
	char comment[64];
	snprintf(comment, sizeof comment, "pgload: rows of load %s", L->load_id);
	const char *args[5] = { L->t->sql, L->staging, L->load_id, STAGING_CHECK, comment };
	status = exec_formatted(L->conn, "alter table %1$s attach partition %2$s for values in (%3$L); "
				"alter table %2$s drop constraint %4$I; comment on table %2$s is %5$L", 5, args,
				"cannot attach the staging table to the target: ");
	return status ? status : staging_now_defaults(L, L->conn, NULL);
}

/* Opens a connection's transaction for its share of the rows. */
static int job_begin(struct load *J, uint64_t first_line)
{
	int status = pgconn_command(J->conn, "begin", "cannot begin a share of the load: ");
	if (status)
		return status;
	const char *params[1] = { J->load_id };
	PGresult *res = pgconn_query(J->conn, "select set_config('elt.load_id', $1, true)", 1, params, PGRES_TUPLES_OK,
			      "cannot set elt.load_id: ", &status);
	PQclear(res);
	return status ? status : segment_start(J, J->binary_ok && J->o->binary, first_line);
}

/* load_rows() over o->jobs connections: the input goes to them in turns of
 * JOB_BATCH bytes, into the staging table (see above). */
int load_rows_jobs(struct load *L, struct csvr *r, const struct csv_record *rec, struct progress *pg)
{
	unsigned n = L->o->jobs, j;
	char key[24], load_now[64];
	snprintf(key, sizeof key, "%lld", STAGING_LOCK_BASE + strtoll(L->load_id, NULL, 10));
	const char *kp[1] = { key };
	int status = EXIT_OK;
	PGresult *res = pgconn_query(L->conn, "select pg_advisory_lock($1::bigint), now()::text", 1, kp, PGRES_TUPLES_OK,
			      "cannot lock the staging table: ", &status);
	if (!res)
		return status;
	snprintf(load_now, sizeof load_now, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (!(L->staging = staging_name(L->conn, L->t, L->load_id)))
		return EXIT_OPER;
	L->connections = n;
	struct target staging = *L->t; /* the target's columns under another name */
	staging.sql = L->staging;
	struct load *J = xcalloc(n, sizeof *J);
	for (j = 0; j < n; j++) {
		J[j] = *L; /* sharing the header's column lists and encoders */
		J[j].t = &staging;
		J[j].anchors = NULL;
		J[j].nanchors = J[j].capanchors = 0;
		J[j].out = (struct buf){ 0 };
		J[j].rows = 0;
		if (!(J[j].conn = connect_db(L->o->dbname))) {
			status = EXIT_OPER;
			goto done;
		}
	}
	if ((status = staging_create(L, J[0].conn, load_now)) != 0)
		goto done;
	for (j = 0; j < n; j++)
		if ((status = job_begin(&J[j], rec->line)) != 0)
			goto done;
	log_debug("load %s: over %u connections into %s", L->load_id, n, L->staging);
	size_t batch = 0;
	for (j = 0; rec; rec = csvr_next(r)) {
		L->records++;
		if ((status = send_record(&J[j], rec)) != 0)
			goto done;
		if ((batch += rec->raw_len + 1) >= JOB_BATCH) {
			batch = 0;
			j = (j + 1) % n;
		}
		progress_update(pg, L->records, csvr_bytes(r));
	}
	if (csvr_error(r)) {
		log_error("standard input: %s", csvr_error(r));
		status = EXIT_OPER;
		goto done;
	}
	for (j = 0; j < n; j++)
		if ((status = segment_end(&J[j])) != 0)
			goto done;
	for (j = 0; j < n; j++) {
		if ((status = pgconn_command(J[j].conn, "commit", "cannot commit a share of the load: ")) != 0)
			goto done;
		L->rows += J[j].rows;
	}
	L->binary = true; /* for the summary: did every share stay binary? */
	for (j = 0; j < n; j++)
		L->binary = L->binary && J[j].binary;
	status = staging_attach(L);
done:
	for (j = 0; j < n; j++) {
		if (J[j].conn) {
			segment_abort(&J[j], "pgload: load abandoned");
			PQfinish(J[j].conn); /* what it did not commit is rolled back */
		}
		free(J[j].anchors);
		buf_free(&J[j].out);
	}
	free(J);
	return status;
}

