/* SPDX-License-Identifier: MIT
 * Model contracts, grants and persist_docs, as dbt-postgres applies them.
 *
 * Contract: before anything is built, the model's query is run with no
 * rows (select * from (...) where false limit 0) and the schema file's
 * columns likewise (select cast(null as <data_type>) as <name>, ...); the
 * two lists of names and types must agree. Types are compared as dbt
 * compares them: each column's type OID as psycopg2 names it (int2 and
 * int4 are both INTEGER, text and varchar(n) both TEXT, numeric(p,s) and
 * numeric both DECIMAL), so a contract pins the kind of a column, not its
 * size. A mismatch fails the model with dbt's table of differences. Then a
 * table is created with the declared columns and constraints and filled
 * with insert ... select, so the server enforces them on every row.
 *
 * Grants: after every build, the privileges the current role granted on
 * the relation are compared with the config: missing ones are granted and
 * others revoked (dbt revokes only on incremental runs, but its other
 * builds start from a new relation with no grants; modelrun's swap keeps
 * the old privileges, so it revokes to arrive at the same state).
 *
 * persist_docs: COMMENT ON the relation and its columns from the schema
 * file's descriptions, passed as quoted literals. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "modelrun.h"
#include "pgconn.h"
#include "xalloc.h"

bool mr_full_refresh(const struct mr_ctx *ctx, const struct dbt_node *n)
{
	return n->cfg.full_refresh >= 0 ? n->cfg.full_refresh == 1 : ctx->full_refresh;
}

/* ---- types as dbt names them ---- */

/* psycopg2's names for the type OIDs it knows (its string_types table),
 * after dbt's one relabelling (STRING is shown as TEXT). */
static const struct {
	unsigned oid;
	const char *name;
} type_names[] = {
	{ 16, "BOOLEAN" }, { 17, "BINARY" }, { 18, "TEXT" }, { 19, "TEXT" }, { 20, "LONGINTEGER" },
	{ 21, "INTEGER" }, { 23, "INTEGER" }, { 25, "TEXT" }, { 26, "ROWID" }, { 114, "JSON" },
	{ 199, "JSONARRAY" }, { 651, "CIDRARRAY" }, { 700, "FLOAT" }, { 701, "FLOAT" }, { 704, "INTERVAL" },
	{ 705, "UNKNOWN" }, { 1000, "BOOLEANARRAY" }, { 1001, "BINARYARRAY" }, { 1002, "STRINGARRAY" },
	{ 1003, "STRINGARRAY" }, { 1005, "INTEGERARRAY" }, { 1006, "INTEGERARRAY" }, { 1007, "INTEGERARRAY" },
	{ 1009, "STRINGARRAY" }, { 1013, "ROWIDARRAY" }, { 1014, "STRINGARRAY" }, { 1015, "STRINGARRAY" },
	{ 1016, "LONGINTEGERARRAY" }, { 1021, "FLOATARRAY" }, { 1022, "FLOATARRAY" }, { 1028, "ROWIDARRAY" },
	{ 1040, "MACADDRARRAY" }, { 1041, "INETARRAY" }, { 1042, "TEXT" }, { 1043, "TEXT" }, { 1082, "DATE" },
	{ 1083, "TIME" }, { 1114, "DATETIME" }, { 1115, "DATETIMEARRAY" }, { 1182, "DATEARRAY" },
	{ 1183, "TIMEARRAY" }, { 1184, "DATETIMETZ" }, { 1185, "DATETIMETZARRAY" }, { 1186, "INTERVAL" },
	{ 1187, "INTERVALARRAY" }, { 1231, "DECIMALARRAY" }, { 1266, "TIME" }, { 1270, "TIMEARRAY" },
	{ 1700, "DECIMAL" }, { 3802, "JSONB" }, { 3807, "JSONBARRAY" }, { 3904, "type" }, { 3905, "typeARRAY" },
	{ 3906, "type" }, { 3907, "typeARRAY" }, { 3908, "tsrange" }, { 3909, "tsrangeARRAY" },
	{ 3910, "tstzrange" }, { 3911, "tstzrangeARRAY" }, { 3912, "daterange" }, { 3913, "daterangeARRAY" },
	{ 3926, "type" }, { 3927, "typeARRAY" },
};

/* The name dbt gives a type OID, into buf. */
static const char *type_name(Oid oid, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (type_names[i].oid == oid)
			return type_names[i].name;
	snprintf(buf, n, "unknown type_code %u", (unsigned)oid);
	return buf;
}

/* name quoted, after folding it to lower case when fold is set: a name
 * dbt writes unquoted is folded by the server, so it is folded here and
 * then quoted, which keeps it from being read as SQL. NULL on error. */
static char *quote_ident(PGconn *conn, struct node_result *r, const char *name, bool fold)
{
	char *copy = xstrdup(name);
	if (fold)
		for (char *s = copy; *s; s++)
			*s = (char)tolower((unsigned char)*s);
	char *q = pgconn_quote_ident(conn, NULL, copy);
	free(copy);
	if (!q)
		mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
	return q;
}

/* A column name as the server will take it: unquoted names (quote: false,
 * dbt's default) fold to lower case. NULL on error. */
static char *column_ident(PGconn *conn, struct node_result *r, const struct dbt_column *c)
{
	return quote_ident(conn, r, c->name, !c->quote);
}

/* The schema file's column names, quoted and joined with ", ". */
static char *column_list(PGconn *conn, struct node_result *r, const struct dbt_node *n)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < n->ncolumns; i++) {
		char *q = column_ident(conn, r, &n->columns[i]);
		if (!q) {
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "%s%s", i ? ", " : "", q);
		free(q);
	}
	return buf_detach(&b);
}

/* ---- the contract check ---- */

struct mismatch {
	const char *name, *definition, *contract, *reason;
};

static int cmp_mismatch(const void *a, const void *b)
{
	return strcmp(((const struct mismatch *)a)->name, ((const struct mismatch *)b)->name);
}

/* dbt's message for a failed contract: its table of differences, one row
 * per column (sorted by name), in the same layout. */
static void contract_failed(struct node_result *r, PGresult *sql_cols, PGresult *yml_cols)
{
	int ns = PQnfields(sql_cols), ny = PQnfields(yml_cols);
	struct mismatch *m = xcalloc((size_t)(ns + ny) + 1, sizeof *m);
	char (*tn)[40] = xcalloc((size_t)(ns + ny) * 2 + 1, sizeof *tn);
	size_t k = 0;
	for (int i = 0; i < ns; i++) {
		const char *st = type_name(PQftype(sql_cols, i), tn[2 * i], sizeof tn[0]);
		int found = -1;
		for (int y = 0; y < ny && found < 0; y++)
			if (strcmp(PQfname(yml_cols, y), PQfname(sql_cols, i)) == 0)
				found = y;
		if (found < 0) {
			m[k++] = (struct mismatch){ PQfname(sql_cols, i), st, "", "missing in contract" };
			continue;
		}
		const char *yt = type_name(PQftype(yml_cols, found), tn[2 * i + 1], sizeof tn[0]);
		if (strcmp(st, yt) != 0)
			m[k++] = (struct mismatch){ PQfname(sql_cols, i), st, yt, "data type mismatch" };
	}
	for (int y = 0; y < ny; y++) {
		bool found = false;
		for (int i = 0; i < ns && !found; i++)
			found = strcmp(PQfname(yml_cols, y), PQfname(sql_cols, i)) == 0;
		if (!found)
			m[k++] = (struct mismatch){ PQfname(yml_cols, y), "",
						    type_name(PQftype(yml_cols, y), tn[2 * ns + y], sizeof tn[0]),
						    "missing in definition" };
	}
	qsort(m, k, sizeof *m, cmp_mismatch);
	const char *head[4] = { "column_name", "definition_type", "contract_type", "mismatch_reason" };
	size_t w[4];
	for (int c = 0; c < 4; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < k; i++) {
		const char *cell[4] = { m[i].name, m[i].definition, m[i].contract, m[i].reason };
		for (int c = 0; c < 4; c++)
			if (strlen(cell[c]) > w[c])
				w[c] = strlen(cell[c]);
	}
	struct buf b = { 0 };
	buf_adds(&b, "This model has an enforced contract that failed.\nPlease ensure the name, data_type, "
		     "and number of columns in your contract match the columns in your model's definition.\n\n");
	/* the header, a rule, then the rows */
	for (size_t i = 0; i <= k + 1; i++) {
		const char *cell[4] = { NULL, NULL, NULL, NULL };
		if (i == 0)
			memcpy(cell, head, sizeof cell);
		else if (i > 1)
			memcpy(cell, (const char *[4]){ m[i - 2].name, m[i - 2].definition, m[i - 2].contract,
							m[i - 2].reason }, sizeof cell);
		buf_adds(&b, "|");
		for (int c = 0; c < 4; c++) {
			if (cell[c])
				buf_printf(&b, " %-*s |", (int)w[c], cell[c]);
			else {
				buf_addc(&b, ' ');
				for (size_t d = 0; d < w[c]; d++)
					buf_addc(&b, '-');
				buf_adds(&b, " |");
			}
		}
		if (i <= k)
			buf_addc(&b, '\n');
	}
	free(r->message);
	r->message = buf_detach(&b);
	free(m);
	free(tn);
}

int mr_contract_check(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *sql)
{
	if (!n->ncolumns) {
		mr_message(r, "This model has an enforced contract, and its 'columns' specification is missing");
		return -1;
	}
	struct buf missing = { 0 }, naked = { 0 }, q = { 0 };
	buf_adds(&q, "select ");
	for (size_t i = 0; i < n->ncolumns; i++) {
		const struct dbt_column *c = &n->columns[i];
		if (!c->data_type || !*c->data_type) {
			buf_printf(&missing, "%s'%s'", missing.len ? ", " : "", c->name);
			continue;
		}
		char t[16];
		snprintf(t, sizeof t, "%s", c->data_type);
		for (char *s = t; *s; s++)
			*s = (char)tolower((unsigned char)*s);
		if (strcmp(t, "numeric") == 0 || strcmp(t, "decimal") == 0 || strcmp(t, "number") == 0)
			buf_printf(&naked, "%s'%s'", naked.len ? ", " : "", c->name);
		char *id = column_ident(conn, r, c);
		if (!id)
			goto fail;
		buf_printf(&q, "%scast(null as %s) as %s", i ? ", " : "", c->data_type, id);
		free(id);
	}
	if (missing.len) {
		mr_message(r, "Contracted models require data_type to be defined for each column. Please ensure "
			   "that the column name and data_type are defined within the YAML configuration for the [%s] "
			   "column(s).", buf_str(&missing));
		goto fail;
	}
	if (naked.len)
		log_warn("%s: Detected columns with numeric type and unspecified precision/scale, this can lead to "
			 "unintended rounding: [%s]", n->name, buf_str(&naked));
	char *empty = xasprintf("select * from (\n%s\n) as __dbt_sbq where false limit 0", sql);
	PGresult *sql_cols = mr_exec(conn, r, "reading the columns of the model's query", empty, 0, NULL);
	free(empty);
	if (!sql_cols)
		goto fail;
	PGresult *yml_cols = mr_exec(conn, r, "reading the types of the contract's columns", buf_str(&q), 0, NULL);
	if (!yml_cols) {
		PQclear(sql_cols);
		goto fail;
	}
	bool same = PQnfields(sql_cols) == PQnfields(yml_cols);
	for (int i = 0; same && i < PQnfields(sql_cols); i++) {
		int found = -1;
		for (int j = 0; j < PQnfields(yml_cols) && found < 0; j++)
			if (strcmp(PQfname(yml_cols, j), PQfname(sql_cols, i)) == 0)
				found = j;
		char a[40], b[40];
		same = found >= 0 && strcmp(type_name(PQftype(sql_cols, i), a, sizeof a),
					     type_name(PQftype(yml_cols, found), b, sizeof b)) == 0;
	}
	if (!same)
		contract_failed(r, sql_cols, yml_cols);
	PQclear(sql_cols);
	PQclear(yml_cols);
	buf_free(&missing);
	buf_free(&naked);
	buf_free(&q);
	return same ? 0 : -1;
fail:
	buf_free(&missing);
	buf_free(&naked);
	buf_free(&q);
	return -1;
}

/* ---- the table with its constraints ---- */

/* What a foreign key's to: names, quoted; NULL after setting r. */
static char *fk_target(const struct mr_ctx *ctx, PGconn *conn, struct node_result *r, const struct dbt_constraint *k)
{
	const char *schema, *ident;
	if (k->to_node >= 0) {
		schema = ctx->p->nodes[k->to_node].schema;
		ident = ctx->p->nodes[k->to_node].identifier;
	} else {
		schema = ctx->p->sources[k->to_source].schema;
		ident = ctx->p->sources[k->to_source].identifier;
	}
	char *q = pgconn_quote_ident(conn, schema, ident);
	if (!q)
		mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
	return q;
}

/* One constraint's DDL, as dbt renders it (column level when model_level
 * is false), appended to b; nothing for one that says nothing (a check
 * without an expression). Returns 0 or -1 with r set. */
static int render_constraint(const struct mr_ctx *ctx, PGconn *conn, struct node_result *r,
			     const struct dbt_constraint *k, bool model_level, struct buf *b)
{
	const char *expr = k->expression ? k->expression : "";
	char *cols = NULL, *to = NULL;
	if (model_level) {
		cols = pgconn_quote_list(conn, (const char *const *)k->columns, k->ncolumns);
		if (!cols) {
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			return -1;
		}
	}
	struct buf one = { 0 };
	if (model_level && k->name) {
		char *qn = pgconn_quote_ident(conn, NULL, k->name);
		if (!qn) {
			free(cols);
			mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
			return -1;
		}
		buf_printf(&one, "constraint %s ", qn);
		free(qn);
	}
	size_t prefix = one.len;
	switch (k->type) {
	case CON_CHECK:
		if (*expr)
			buf_printf(&one, "check (%s)", expr);
		break;
	case CON_NOT_NULL:
		if (!model_level)
			buf_printf(&one, "not null %s", expr);
		break;
	case CON_UNIQUE:
	case CON_PRIMARY_KEY:
		buf_adds(&one, k->type == CON_UNIQUE ? "unique" : "primary key");
		if (model_level)
			buf_printf(&one, "%s%s (%s)", *expr ? " " : "", expr, cols);
		else
			buf_printf(&one, " %s", expr);
		break;
	case CON_FOREIGN_KEY:
		if (model_level)
			buf_printf(&one, "foreign key (%s) ", cols);
		if (k->to && k->nto_columns) {
			char *tc = pgconn_quote_list(conn, (const char *const *)k->to_columns, k->nto_columns);
			to = tc ? fk_target(ctx, conn, r, k) : NULL;
			if (!tc || !to) {
				if (!tc)
					mr_message(r, "cannot quote identifier: %s", PQerrorMessage(conn));
				free(tc);
				free(cols);
				buf_free(&one);
				return -1;
			}
			buf_printf(&one, "references %s (%s)", to, tc);
			free(tc);
		} else if (*expr) {
			buf_printf(&one, "references %s", expr);
		} else {
			one.len = prefix; /* nothing to refer to: dbt leaves it out */
		}
		break;
	case CON_CUSTOM:
		buf_adds(&one, expr);
		break;
	}
	if (one.len > prefix) {
		/* dbt strips the trailing space of "not null " and the like */
		while (one.len && one.data[one.len - 1] == ' ')
			one.len--;
		buf_printf(b, "%s%s", model_level ? ",\n  " : " ", buf_str(&one));
	}
	buf_free(&one);
	free(cols);
	free(to);
	return 0;
}

int mr_contract_create(const struct mr_ctx *ctx, PGconn *conn, struct node_result *r, const struct dbt_node *n,
		       const char *tmprel)
{
	struct buf b = { 0 };
	int rc = -1;
	buf_printf(&b, "create table %s (\n", tmprel);
	for (size_t i = 0; i < n->ncolumns; i++) {
		const struct dbt_column *c = &n->columns[i];
		char *id = column_ident(conn, r, c);
		if (!id)
			goto out;
		buf_printf(&b, "%s  %s %s", i ? ",\n" : "", id, c->data_type);
		free(id);
		for (size_t k = 0; k < c->nconstraints; k++)
			if (render_constraint(ctx, conn, r, &c->constraints[k], false, &b))
				goto out;
	}
	for (size_t k = 0; k < n->nconstraints; k++)
		if (render_constraint(ctx, conn, r, &n->constraints[k], true, &b))
			goto out;
	buf_adds(&b, "\n)");
	PGresult *res = mr_exec(conn, r, "creating the contracted table", buf_str(&b), 0, NULL);
	if (!res)
		goto out;
	PQclear(res);
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

long long mr_contract_fill(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel,
			   const char *sql)
{
	char *cols = column_list(conn, r, n);
	if (!cols)
		return -2;
	char *q = xasprintf("insert into %s (%s)\nselect %s from (\n%s\n) as model_subq", rel, cols, cols, sql);
	free(cols);
	PGresult *res = mr_exec(conn, r, "filling the contracted table", q, 0, NULL);
	free(q);
	if (!res)
		return -2;
	const char *t = PQcmdTuples(res);
	long long rows = *t ? atoll(t) : -1;
	PQclear(res);
	return rows;
}

/* ---- grants ---- */

/* The privileges a grants config may name: keywords, which cannot be
 * quoted, so anything else is refused rather than written into SQL. */
static bool known_privilege(const char *p)
{
	static const char *const privs[] = { "select", "insert", "update", "delete", "truncate", "references",
					     "trigger", "maintain", "all", "all privileges", NULL };
	for (const char *const *k = privs; *k; k++)
		if (strcasecmp(*k, p) == 0)
			return true;
	return false;
}

/* A grantee as the server reads an unquoted name (dbt writes them
 * unquoted in its grant statements): folded to lower case, then quoted. */
static char *grantee_ident(PGconn *conn, struct node_result *r, const char *role)
{
	return quote_ident(conn, r, role, true);
}

int mr_grants(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel)
{
	const struct dbt_config *c = &n->cfg;
	size_t total = 0;
	for (size_t i = 0; i < c->ngrants; i++)
		total += c->grants[i].ngrantees;
	/* as dbt: grants: {} (or only empty lists) does nothing at all */
	if (!total)
		return 0;
	for (size_t i = 0; i < c->ngrants; i++)
		if (!known_privilege(c->grants[i].privilege)) {
			mr_message(r, "grants: '%s' is not a privilege PostgreSQL grants on a table or view",
				   c->grants[i].privilege);
			return -1;
		}
	/* what the current role granted (dbt's show grants for postgres) */
	const char *params[] = { n->schema, n->identifier };
	PGresult *cur = mr_exec(conn, r, "reading the grants",
				"select grantee::text, privilege_type::text from information_schema.role_table_grants "
				"where grantor = current_role and grantee != current_role "
				"and table_schema = $1 and table_name = $2 order by 2, 1",
				2, params);
	if (!cur)
		return -1;
	struct buf b = { 0 };
	int rc = -1;
	/* revoke what the config does not name (compared without case, as
	 * dbt's diff_of_two_dicts compares), then grant what is missing */
	for (int t = 0; t < PQntuples(cur); t++) {
		const char *who = PQgetvalue(cur, t, 0), *what = PQgetvalue(cur, t, 1);
		bool wanted = false;
		for (size_t i = 0; i < c->ngrants && !wanted; i++)
			for (size_t k = 0; strcasecmp(c->grants[i].privilege, what) == 0 && k < c->grants[i].ngrantees; k++)
				wanted |= strcasecmp(c->grants[i].grantees[k], who) == 0;
		if (wanted)
			continue;
		char *q = quote_ident(conn, r, who, false);
		if (!q)
			goto out;
		buf_printf(&b, "revoke %s on %s from %s;\n", what, rel, strcmp(who, "PUBLIC") == 0 ? "public" : q);
		free(q);
	}
	for (size_t i = 0; i < c->ngrants; i++)
		for (size_t k = 0; k < c->grants[i].ngrantees; k++) {
			bool have = false;
			for (int t = 0; t < PQntuples(cur) && !have; t++)
				have = strcasecmp(PQgetvalue(cur, t, 1), c->grants[i].privilege) == 0 &&
				       strcasecmp(PQgetvalue(cur, t, 0), c->grants[i].grantees[k]) == 0;
			if (have)
				continue;
			char *q = grantee_ident(conn, r, c->grants[i].grantees[k]);
			if (!q)
				goto out;
			bool pub = strcasecmp(c->grants[i].grantees[k], "public") == 0;
			buf_printf(&b, "grant %s on %s to %s;\n", c->grants[i].privilege, rel, pub ? "public" : q);
			free(q);
		}
	if (b.len) {
		log_debug("%s: %s", n->relation, buf_str(&b));
		PGresult *res = PQexec(conn, buf_str(&b));
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			char *msg = pgconn_error_line(conn, res);
			mr_message(r, "applying grants: %s", msg);
			free(msg);
			PQclear(res);
			goto out;
		}
		PQclear(res);
	}
	rc = 0;
out:
	buf_free(&b);
	PQclear(cur);
	return rc;
}

/* ---- persist_docs ---- */

int mr_persist_docs(PGconn *conn, struct node_result *r, const struct dbt_node *n, const char *rel, char kind)
{
	const struct dbt_config *c = &n->cfg;
	if (c->persist_relation && n->description && *n->description) {
		char *lit = pgconn_quote_literal(conn, n->description);
		if (!lit) {
			mr_message(r, "cannot quote a comment: %s", PQerrorMessage(conn));
			return -1;
		}
		char *q = xasprintf("comment on %s %s is %s", kind == 'v' ? "view" : kind == 'm' ? "materialized view" :
			"table", rel, lit);
		free(lit);
		PGresult *res = mr_exec(conn, r, "commenting on the relation", q, 0, NULL);
		free(q);
		if (!res)
			return -1;
		PQclear(res);
	}
	if (!c->persist_columns || !n->ncolumns)
		return 0;
	/* only the columns the relation has; dbt warns about the others */
	const char *params[] = { rel };
	PGresult *have = mr_exec(conn, r, "reading the columns",
				 "select attname::text from pg_catalog.pg_attribute "
				 "where attrelid = $1::pg_catalog.regclass and attnum > 0 and not attisdropped",
				 1, params);
	if (!have)
		return -1;
	struct buf missing = { 0 };
	int rc = 0;
	for (size_t i = 0; i < n->ncolumns && rc == 0; i++) {
		const struct dbt_column *col = &n->columns[i];
		int found = -1;
		for (int t = 0; t < PQntuples(have) && found < 0; t++)
			if (col->quote ? strcmp(PQgetvalue(have, t, 0), col->name) == 0
				       : strcasecmp(PQgetvalue(have, t, 0), col->name) == 0)
				found = t;
		if (found < 0) {
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", col->name);
			continue;
		}
		char *id = pgconn_quote_ident(conn, NULL, PQgetvalue(have, found, 0));
		char *lit = id ? pgconn_quote_literal(conn, col->description) : NULL;
		if (!lit) {
			mr_message(r, "cannot quote a comment: %s", PQerrorMessage(conn));
			free(id);
			rc = -1;
			break;
		}
		char *q = xasprintf("comment on column %s.%s is %s", rel, id, lit);
		free(id);
		free(lit);
		PGresult *res = mr_exec(conn, r, "commenting on a column", q, 0, NULL);
		free(q);
		rc = res ? 0 : -1;
		PQclear(res);
	}
	if (rc == 0 && missing.len)
		log_warn("In relation %s: The following columns are specified in the schema but are not present in the "
			 "database: %s", n->relation, buf_str(&missing));
	buf_free(&missing);
	PQclear(have);
	return rc;
}
