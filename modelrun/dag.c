/* SPDX-License-Identifier: MIT
 * The scheduler: runs the selected nodes over a pool of worker threads,
 * each node as soon as its selected parents have succeeded, so that
 * independent models build in parallel on their own connections. A failed
 * node's descendants are skipped; nodes that do not depend on it go on.
 *
 * Nodes outside the selection count as already built (dbt's behaviour for
 * `--select m`). The ready node that comes first in the project's order
 * is taken first, so a single thread builds in a stable order.
 *
 * dag_run_graph() does the same over any graph: modelrun build's, where
 * the data tests are vertices too, between a node and its children. */
#include <stdlib.h>

#include "modelrun.h"
#include "xalloc.h"

struct dag {
	const struct dag_graph *g;
	const bool *selected;
	dag_work_fn work;
	dag_skip_fn skipped;
	void *ud;
	enum node_status *status;
	size_t *waiting;   /* selected parents not yet built */
	bool *ready;
	bool *started;
	size_t *rank;      /* position in g->order */
	size_t left;       /* selected nodes not finished */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

struct worker {
	struct dag *d;
	int id;
};

/* Skips every pending selected descendant of node; caller holds the lock. */
static void skip_below(struct dag *d, size_t node, size_t cause)
{
	const struct dag_vertex *n = &d->g->v[node];
	for (size_t k = 0; k < n->nchildren; k++) {
		size_t c = n->children[k];
		if (!d->selected[c] || d->status[c] != ST_PENDING)
			continue;
		d->status[c] = ST_SKIPPED;
		d->ready[c] = false;
		d->left--;
		if (d->skipped)
			d->skipped(d->ud, c, cause);
		skip_below(d, c, cause);
	}
}

/* Skips every selected node that has not started; caller holds the lock. */
static void skip_unstarted(struct dag *d)
{
	for (size_t k = 0; k < d->g->n; k++) {
		size_t i = d->g->order[k];
		if (!d->selected[i] || d->started[i] || d->status[i] != ST_PENDING)
			continue;
		d->status[i] = ST_SKIPPED;
		d->ready[i] = false;
		d->left--;
		if (d->skipped)
			d->skipped(d->ud, i, DAG_STOPPED);
	}
}

/* The ready node earliest in project order, or -1. */
static long take_ready(struct dag *d)
{
	long best = -1;
	for (size_t i = 0; i < d->g->n; i++)
		if (d->ready[i] && (best < 0 || d->rank[i] < d->rank[best]))
			best = (long)i;
	if (best >= 0) {
		d->ready[best] = false;
		d->started[best] = true;
	}
	return best;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct dag *d = w->d;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		long node = -1;
		while (d->left > 0 && (node = take_ready(d)) < 0)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->left == 0)
			break;
		pthread_mutex_unlock(&d->lock);
		int rc = d->work(d->ud, w->id, (size_t)node);
		pthread_mutex_lock(&d->lock);
		d->status[node] = rc == 0 ? ST_OK : ST_ERROR;
		d->left--;
		const struct dag_vertex *n = &d->g->v[node];
		if (rc == 0) {
			for (size_t k = 0; k < n->nchildren; k++) {
				size_t c = n->children[k];
				if (d->selected[c] && d->status[c] == ST_PENDING && --d->waiting[c] == 0)
					d->ready[c] = true;
			}
		} else {
			skip_below(d, (size_t)node, (size_t)node);
			if (rc == DAG_STOP)
				skip_unstarted(d);
		}
		pthread_cond_broadcast(&d->cond);
	}
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int dag_run(const struct dbt_project *p, const bool *selected, int nworkers, dag_work_fn work,
	    dag_skip_fn skipped, void *ud, enum node_status *status)
{
	struct dag_vertex *v = xcalloc(p->nnodes ? p->nnodes : 1, sizeof *v);
	for (size_t i = 0; i < p->nnodes; i++)
		v[i] = (struct dag_vertex){ p->nodes[i].parents, p->nodes[i].nparents, p->nodes[i].children,
					    p->nodes[i].nchildren };
	struct dag_graph g = { p->nnodes, v, p->order };
	int rc = dag_run_graph(&g, selected, nworkers, work, skipped, ud, status);
	free(v);
	return rc;
}

int dag_run_graph(const struct dag_graph *g, const bool *selected, int nworkers, dag_work_fn work,
		  dag_skip_fn skipped, void *ud, enum node_status *status)
{
	size_t n = g->n ? g->n : 1;
	struct dag d = {
		.g = g, .selected = selected, .work = work, .skipped = skipped, .ud = ud, .status = status,
		.waiting = xcalloc(n, sizeof(size_t)), .ready = xcalloc(n, sizeof(bool)),
		.rank = xcalloc(n, sizeof(size_t)), .started = xcalloc(n, sizeof(bool)),
	};
	for (size_t k = 0; k < g->n; k++)
		d.rank[g->order[k]] = k;
	for (size_t i = 0; i < g->n; i++) {
		status[i] = ST_PENDING;
		if (!selected[i])
			continue;
		d.left++;
		for (size_t k = 0; k < g->v[i].nparents; k++)
			d.waiting[i] += selected[g->v[i].parents[k]];
		d.ready[i] = d.waiting[i] == 0;
	}
	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.cond, NULL);
	if (nworkers < 1)
		nworkers = 1;
	pthread_t *threads = xcalloc((size_t)nworkers, sizeof *threads);
	struct worker *ws = xcalloc((size_t)nworkers, sizeof *ws);
	int started = 0, rc = 0;
	for (int i = 0; i < nworkers; i++) {
		ws[i] = (struct worker){ &d, i };
		if (i == 0)
			continue; /* worker 0 is this thread */
		if (pthread_create(&threads[i], NULL, worker_main, &ws[i]) != 0) {
			rc = -1;
			break;
		}
		started = i;
	}
	worker_main(&ws[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&d.lock);
	pthread_cond_destroy(&d.cond);
	free(threads);
	free(ws);
	free(d.waiting);
	free(d.ready);
	free(d.rank);
	free(d.started);
	return rc;
}
