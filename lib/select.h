/* SPDX-License-Identifier: MIT
 * dbt's node selection syntax over a loaded project, for modelrun and
 * dqcheck (--select / --exclude).
 *
 * Each argument holds one or more terms separated by spaces (their union);
 * a term may be several criteria joined by commas (their intersection). A
 * criterion is
 *
 *     [@][N+ or +]METHOD:VALUE[+ or +N]   or   [@][+]NAME[+]
 *
 * with methods: a bare name (a glob over node names, or a dotted fqn such
 * as staging.stg_sales), tag:T, path:P (a file or a folder, relative to
 * the project directory, or to a model path), source:S or source:S.T (the
 * nodes that read that source), resource_type:model|seed|snapshot and
 * config.materialized:M, and state:new, state:modified (also
 * modified.body, modified.configs, modified.contract) against an earlier
 * manifest (see dbt_select_state). A leading + adds all ancestors (N+ the first N
 * generations), a trailing + all descendants, @ the descendants and all
 * their ancestors.
 *
 * Disabled nodes are never selected. */
#ifndef ELT_SELECT_H
#define ELT_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "dbtproject.h"

/* Sets chosen[i] (one per node) for the nodes that --select picks (every
 * node when nsel is 0) minus those --exclude picks. Returns 0, or -1 with
 * a message in err for a malformed selector or an unknown method. A
 * selector that matches nothing is not an error: the caller says so. */
int dbt_select(const struct dbt_project *p, const char *const *sel, size_t nsel,
	       const char *const *exclude, size_t nexclude, bool *chosen, char *err, size_t errlen);

/* What comparing a node with an earlier manifest found (dbt's state:
 * selection), one byte of these bits per node. */
enum {
	DBT_STATE_NEW = 1,       /* not in the earlier manifest */
	DBT_STATE_BODY = 2,      /* its file's checksum differs */
	DBT_STATE_CONFIGS = 4,   /* its config differs */
	DBT_STATE_CONTRACT = 8,  /* its enforced contract (columns, types) differs */
};

/* dbt_select() with the flags of state: (NULL: no --state was given, and
 * a state: selector is an error). */
int dbt_select_state(const struct dbt_project *p, const char *const *sel, size_t nsel, const char *const *exclude,
		     size_t nexclude, const unsigned char *state, bool *chosen, char *err, size_t errlen);

#endif
