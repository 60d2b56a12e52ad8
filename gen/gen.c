/* SPDX-License-Identifier: MIT
 * gen: synthetic sales data for the pipeline, and the seed tables it draws
 * its ids from.
 *
 *   gen [sales] [options]   sales rows matching sql/contracts/sales.schema.json
 *   gen stores|products|fx  the seed tables kept in sql/seeds/
 *
 * Everything follows from --seed and the options, so the same command gives
 * the same bytes on every machine. The seed tables come from a fixed seed of
 * their own: they do not change with --seed, and sales always refer to ids
 * that exist in them (unless --dirty asks otherwise).
 *
 * Tuned for streaming tens of millions of rows: each row is formatted by hand
 * into the writer's buffer, the random choices are table look-ups, and
 * nothing grows with --rows. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "caltime.h"
#include "csvio.h"
#include "exitcode.h"
#include "log.h"
#include "seal.h"
#include "xalloc.h"

#define MAX_ROWS 1000000000000ULL /* sale ids hold a 40-bit sequence per day */
#define MAX_DAYS 36500
#define N_STORES 40
#define N_PRODUCTS 1000
#define SEED_TABLES_SEED 20261126u

static void usage(FILE *to)
{
	fputs("usage: gen [sales] [--rows N] [--seed S] [--start YYYY-MM-DD] [--days D]\n"
	      "           [--dirty RATE [--dirty-log FILE]] [--seal] [-t] [-q | -v]\n"
	      "       gen stores | products | fx [--seal] [-t]\n",
	      to);
}

static void help(void)
{
	usage(stdout);
	fputs("\nWrites synthetic sales (or a seed table) to stdout as CSV.\n\n"
	      "  -n, --rows N          number of sales rows (default 1000)\n"
	      "  -s, --seed S          random seed; same seed and options, same bytes (default 1)\n"
	      "      --start DATE      first sale day, YYYY-MM-DD (default 2026-01-01)\n"
	      "      --days D          days the sales spread over, weekly pattern (default 7)\n"
	      "      --dirty RATE      fraction of rows made invalid, 0 to 1 (default 0)\n"
	      "      --dirty-log FILE  write line,kind,column for every invalid row\n"
	      "      --seal            end the output with a seal counting its rows, written only\n"
	      "                        after the last row, so that validate --sealed and pgload\n"
	      "                        --sealed can tell a finished gen from a dead one\n"
	      "  -t, --tsv             tab-separated output\n"
	      "  -q, --quiet           errors only on stderr\n"
	      "  -v, --verbose         more detail on stderr\n"
	      "  -h, --help            this help\n"
	      "  -V, --version         version\n\n"
	      "Exit status: 0 success, 2 usage error, 3 write error.\n",
	      stdout);
}

/* ---- random numbers: splitmix64, small and fast, good enough here ---- */

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, n) from the top 32 bits. */
static uint32_t rng_below(uint64_t r, uint32_t n)
{
	return (uint32_t)(((r >> 32) * n) >> 32);
}

static double rng_unit(uint64_t r)
{
	return (double)(r >> 11) * 0x1.0p-53;
}

/* ---- the seed tables ---- */

struct currency {
	const char *code;
	long usd_micros; /* USD per unit, in millionths */
};

static const struct currency currencies[] = {
	{ "USD", 1000000 }, { "EUR", 1085000 }, { "GBP", 1265000 }, { "CAD", 735000 },
	{ "CHF", 1130000 }, { "SEK", 95000 },   { "JPY", 6700 },    { "AUD", 655000 },
};
#define N_CURRENCIES (sizeof currencies / sizeof currencies[0])

struct city {
	const char *name, *country;
	int currency;
};

static const struct city cities[] = {
	{ "New York", "US", 0 }, { "Chicago", "US", 0 },   { "Austin", "US", 0 },
	{ "Seattle", "US", 0 },  { "Toronto", "CA", 3 },   { "Montreal", "CA", 3 },
	{ "London", "GB", 2 },   { "Manchester", "GB", 2 }, { "Paris", "FR", 1 },
	{ "Lyon", "FR", 1 },     { "Berlin", "DE", 1 },    { "Munich", "DE", 1 },
	{ "Madrid", "ES", 1 },   { "Milan", "IT", 1 },     { "Amsterdam", "NL", 1 },
	{ "Zurich", "CH", 4 },   { "Stockholm", "SE", 5 }, { "Tokyo", "JP", 6 },
	{ "Osaka", "JP", 6 },    { "Sydney", "AU", 7 },
};
#define N_CITIES (sizeof cities / sizeof cities[0])

static const char *const store_kinds[] = { "Central", "North", "Harbour", "Station", "Mall", "Outlet" };
static const char *const adjectives[] = {
	"Classic", "Compact", "Deluxe", "Eco", "Essential", "Mini", "Pro", "Smart",
	"Sport", "Ultra", "Urban", "Vintage",
};
static const struct { const char *noun, *category; } nouns[] = {
	{ "Backpack", "bags" },    { "Tote", "bags" },          { "Kettle", "kitchen" },
	{ "Mug", "kitchen" },      { "Pan", "kitchen" },        { "Lamp", "home" },
	{ "Cushion", "home" },     { "Blanket", "home" },       { "Headphones", "electronics" },
	{ "Speaker", "electronics" }, { "Charger", "electronics" }, { "Notebook", "stationery" },
	{ "Pen Set", "stationery" }, { "Sneakers", "apparel" }, { "Jacket", "apparel" },
	{ "T-Shirt", "apparel" },  { "Water Bottle", "outdoor" }, { "Tent", "outdoor" },
	{ "Yoga Mat", "sport" },   { "Dumbbells", "sport" },
};
#define N_ADJ (sizeof adjectives / sizeof adjectives[0])
#define N_NOUNS (sizeof nouns / sizeof nouns[0])

struct store {
	char id[8];
	int city;
};

struct product {
	char id[8];
	long price_usd_cents;
	long price_cents[N_CURRENCIES]; /* the fixed local price in each currency */
};

static struct store stores[N_STORES];
static struct product products[N_PRODUCTS];

static void build_seed_tables(void)
{
	uint64_t rng = SEED_TABLES_SEED;
	for (int i = 0; i < N_STORES; i++) {
		snprintf(stores[i].id, sizeof stores[i].id, "ST%03d", i + 1);
		stores[i].city = i < (int)N_CITIES ? i : (int)rng_below(rng_next(&rng), N_CITIES);
	}
	for (int i = 0; i < N_PRODUCTS; i++) {
		struct product *p = &products[i];
		snprintf(p->id, sizeof p->id, "P%04d", i + 1);
		/* Log-uniform between about 2 and 400 dollars, ending in .99 or .49. */
		double dollars = exp(log(2.0) + rng_unit(rng_next(&rng)) * (log(400.0) - log(2.0)));
		p->price_usd_cents = (long)dollars * 100 + ((rng_next(&rng) & 1) ? 99 : 49);
		for (size_t c = 0; c < N_CURRENCIES; c++) /* rounded to the cent */
			p->price_cents[c] = (p->price_usd_cents * 1000000 + currencies[c].usd_micros / 2) /
					    currencies[c].usd_micros;
	}
}

static void die_write(void)
{
	die(EXIT_OPER, "write error on standard output: %s", strerror(errno));
}

static void put(struct csvw *w, const char *s)
{
	if (csvw_str(w, s) != 0)
		die_write();
}

static void end_row(struct csvw *w)
{
	if (csvw_end_record(w) != 0)
		die_write();
}

static char *fmt_money(char *p, long cents);

static void write_stores(struct csvw *w)
{
	put(w, "store_id"), put(w, "store_name"), put(w, "city"), put(w, "country"), put(w, "currency");
	end_row(w);
	for (int i = 0; i < N_STORES; i++) {
		const struct city *c = &cities[stores[i].city];
		char name[64];
		snprintf(name, sizeof name, "%s %s", c->name, store_kinds[i % 6]);
		put(w, stores[i].id), put(w, name), put(w, c->name), put(w, c->country);
		put(w, currencies[c->currency].code);
		end_row(w);
	}
}

static void write_products(struct csvw *w)
{
	put(w, "product_id"), put(w, "product_name"), put(w, "category"), put(w, "list_price_usd");
	end_row(w);
	for (int i = 0; i < N_PRODUCTS; i++) {
		char name[64], price[32];
		size_t adj = (size_t)i % N_ADJ, noun = ((size_t)i / N_ADJ) % N_NOUNS;
		snprintf(name, sizeof name, "%s %s %d", adjectives[adj], nouns[noun].noun, i / (int)(N_ADJ * N_NOUNS) + 1);
		*fmt_money(price, products[i].price_usd_cents) = '\0';
		put(w, products[i].id), put(w, name), put(w, nouns[noun].category), put(w, price);
		end_row(w);
	}
}

static void write_fx(struct csvw *w)
{
	put(w, "currency"), put(w, "usd_per_unit");
	end_row(w);
	for (size_t c = 0; c < N_CURRENCIES; c++) {
		char rate[32];
		snprintf(rate, sizeof rate, "%ld.%06ld", currencies[c].usd_micros / 1000000,
			 currencies[c].usd_micros % 1000000);
		put(w, currencies[c].code), put(w, rate);
		end_row(w);
	}
}

/* ---- sales ---- */

/* Walker's alias table: an O(1) draw from a fixed discrete distribution. */
struct alias {
	uint32_t n;
	double *prob;
	uint32_t *alias;
};

static void alias_build(struct alias *a, const double *w, uint32_t n)
{
	a->n = n;
	a->prob = xmalloc(n * sizeof *a->prob);
	a->alias = xmalloc(n * sizeof *a->alias);
	uint32_t *small = xmalloc(n * sizeof *small), *large = xmalloc(n * sizeof *large);
	double sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += w[i];
	uint32_t ns = 0, nl = 0;
	for (uint32_t i = 0; i < n; i++) {
		a->prob[i] = w[i] * n / sum;
		if (a->prob[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];
		a->alias[s] = l;
		a->prob[l] -= 1.0 - a->prob[s];
		if (a->prob[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl)
		a->prob[large[--nl]] = 1.0;
	while (ns)
		a->prob[small[--ns]] = 1.0;
	free(small);
	free(large);
}

static uint32_t alias_draw(const struct alias *a, uint64_t r)
{
	uint32_t i = rng_below(r, a->n);
	return rng_unit(r << 32) < a->prob[i] ? i : a->alias[i];
}

static void alias_free(struct alias *a)
{
	free(a->prob);
	free(a->alias);
}

/* Kinds of invalid rows --dirty makes, one problem per row, each of which
 * the sales contract rejects. */
enum dirt {
	DIRT_MISSING_VALUE,
	DIRT_NONPOSITIVE_AMOUNT,
	DIRT_UNKNOWN_CURRENCY,
	DIRT_BAD_TIMESTAMP,
	DIRT_IMPOSSIBLE_DATE,
	DIRT_NON_NUMERIC_QUANTITY,
	DIRT_TOO_MANY_DECIMALS,
	DIRT_DUPLICATE_SALE_ID,
	DIRT_UNKNOWN_STORE,
	DIRT_UNKNOWN_PRODUCT,
	N_DIRT
};

static const struct { const char *kind, *column; } dirt_names[N_DIRT] = {
	[DIRT_MISSING_VALUE] = { "missing_value", NULL }, /* column varies */
	[DIRT_NONPOSITIVE_AMOUNT] = { "nonpositive_amount", "amount" },
	[DIRT_UNKNOWN_CURRENCY] = { "unknown_currency", "currency" },
	[DIRT_BAD_TIMESTAMP] = { "bad_timestamp", "sold_at" },
	[DIRT_IMPOSSIBLE_DATE] = { "impossible_date", "sold_at" },
	[DIRT_NON_NUMERIC_QUANTITY] = { "non_numeric_quantity", "quantity" },
	[DIRT_TOO_MANY_DECIMALS] = { "too_many_decimals", "unit_price" },
	[DIRT_DUPLICATE_SALE_ID] = { "duplicate_sale_id", "sale_id" },
	[DIRT_UNKNOWN_STORE] = { "unknown_store", "store_id" },
	[DIRT_UNKNOWN_PRODUCT] = { "unknown_product", "product_id" },
};

static const char *const columns[] = {
	"sale_id", "sold_at", "store_id", "product_id", "quantity", "unit_price", "amount", "currency",
};
enum { COL_SALE_ID, COL_SOLD_AT, COL_STORE, COL_PRODUCT, COL_QTY, COL_PRICE, COL_AMOUNT, COL_CURRENCY, N_COLS };

static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
			      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
			      "8081828384858687888990919293949596979899";

static char *fmt_u64(char *p, uint64_t v)
{
	char tmp[24];
	char *t = tmp + sizeof tmp;
	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = (size_t)(tmp + sizeof tmp - t);
	memcpy(p, t, n);
	return p + n;
}

static char *fmt_money(char *p, long cents)
{
	if (cents < 0) {
		*p++ = '-';
		cents = -cents;
	}
	p = fmt_u64(p, (uint64_t)cents / 100);
	*p++ = '.';
	memcpy(p, digits2 + 2 * (cents % 100), 2);
	return p + 2;
}

static char *fmt_hex64(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		p[i] = hex[v & 15];
		v >>= 4;
	}
	return p + 16;
}

/* A sale id: a bijective mix of (day, sequence) under the seed, so ids are
 * unique within a run and across the days of one seed, and look random. */
static uint64_t sale_key(uint64_t seed_key, int64_t day, uint64_t seq)
{
	uint64_t z = (((uint64_t)day & 0xFFFFFF) << 40 | (seq & 0xFFFFFFFFFF)) ^ seed_key;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

struct sales_opts {
	uint64_t rows, seed;
	int64_t start;
	uint64_t days;
	double dirty;
	const char *dirty_log;
};

/* Quantities: mostly 1, sometimes a few. 256 slots, one byte of randomness. */
static unsigned char qty_table[256];

static void build_qty_table(void)
{
	static const int share[] = { 0, 140, 52, 26, 15, 9, 5, 4, 2, 2, 1 }; /* of 256, for 1..10 */
	int k = 0;
	for (int q = 1; q <= 10; q++)
		for (int i = 0; i < share[q]; i++)
			qty_table[k++] = (unsigned char)q;
}

static void write_sales(struct csvw *w, const struct sales_opts *o, char delim)
{
	/* Sales per weekday, Monday first: busier towards the weekend. */
	static const unsigned weekday_weight[7] = { 85, 90, 95, 100, 120, 140, 110 };
	double zipf[N_PRODUCTS];
	for (int i = 0; i < N_PRODUCTS; i++)
		zipf[i] = 1.0 / pow(i + 1, 1.07);
	struct alias product_pick;
	alias_build(&product_pick, zipf, N_PRODUCTS);
	build_qty_table();

	FILE *log = NULL;
	if (o->dirty_log) {
		log = fopen(o->dirty_log, "w");
		if (!log)
			die(EXIT_OPER, "%s: %s", o->dirty_log, strerror(errno));
		fputs("line,kind,column\n", log);
	}

	for (int c = 0; c < N_COLS; c++)
		put(w, columns[c]);
	end_row(w);

	uint64_t rng = o->seed * 0x2545F4914F6CDD1DULL + 0x9E3779B97F4A7C15ULL;
	uint64_t seed_key = rng_next(&rng);
	uint64_t dirty_below = (uint64_t)(o->dirty * 18446744073709551615.0);
	if (o->dirty >= 1.0)
		dirty_below = UINT64_MAX;
	uint64_t total_weight = 0;
	for (uint64_t d = 0; d < o->days; d++)
		total_weight += weekday_weight[cal_weekday(o->start + (int64_t)d)];

	char last_clean_id[16] = { 0 };
	bool have_clean_id = false;
	uint64_t line = 1, cum_weight = 0, rows_before = 0;
	struct progress prog;
	progress_init(&prog);
	for (uint64_t d = 0; d < o->days; d++) {
		int64_t day = o->start + (int64_t)d;
		/* Rows up to the end of this day, in proportion to the weights. */
		cum_weight += weekday_weight[cal_weekday(day)];
		uint64_t rows_through = (uint64_t)((unsigned __int128)o->rows * cum_weight / total_weight);
		uint64_t n = rows_through - rows_before;
		rows_before = rows_through;

		int64_t y;
		int mon, mday;
		cal_civil_from_days(day, &y, &mon, &mday);
		char date[16];
		snprintf(date, sizeof date, "%04d-%02d-%02dT", (int)y, mon, mday);
		double secs_per_row = n ? 86400.0 / (double)n : 0;

		for (uint64_t i = 0; i < n; i++) {
			uint64_t r1 = rng_next(&rng), r2 = rng_next(&rng);
			int dirt = -1, missing_col = -1;
			if (dirty_below && r2 < dirty_below) {
				dirt = (int)rng_below(rng_next(&rng), N_DIRT);
				if (dirt == DIRT_DUPLICATE_SALE_ID && !have_clean_id)
					dirt = DIRT_MISSING_VALUE;
				if (dirt == DIRT_MISSING_VALUE)
					missing_col = (int)rng_below(rng_next(&rng), N_COLS);
			}
			/* Times rise through the day: row i falls in slot i. */
			uint32_t t = (uint32_t)(((double)i + rng_unit(r2 << 20)) * secs_per_row);
			if (t > 86399)
				t = 86399;
			const struct store *st = &stores[rng_below(r1, N_STORES)];
			const struct product *pr = &products[alias_draw(&product_pick, rng_next(&rng))];
			int cur = cities[st->city].currency;
			unsigned qty = qty_table[r1 & 0xFF];
			long price = pr->price_cents[cur];

			char row[256], *p = row;
			char *col[N_COLS + 1];
#define NEXT_COL(k) (col[k] = p)
			NEXT_COL(COL_SALE_ID);
			if (dirt == DIRT_DUPLICATE_SALE_ID) {
				memcpy(p, last_clean_id, 16);
				p += 16;
			} else {
				p = fmt_hex64(p, sale_key(seed_key, day, i));
			}
			*p++ = delim;
			NEXT_COL(COL_SOLD_AT);
			if (dirt == DIRT_BAD_TIMESTAMP) {
				/* day/month/year with a space: not RFC 3339 */
				p += sprintf(p, "%02d/%02d/%04d %02u:%02u", mday, mon, (int)y, t / 3600, t / 60 % 60);
			} else {
				memcpy(p, date, 11);
				if (dirt == DIRT_IMPOSSIBLE_DATE) /* the 30th of February */
					memcpy(p + 5, "02-30", 5);
				p += 11;
				memcpy(p, digits2 + 2 * (t / 3600), 2);
				p[2] = ':';
				memcpy(p + 3, digits2 + 2 * (t / 60 % 60), 2);
				p[5] = ':';
				memcpy(p + 6, digits2 + 2 * (t % 60), 2);
				p[8] = 'Z';
				p += 9;
			}
			*p++ = delim;
			NEXT_COL(COL_STORE);
			memcpy(p, dirt == DIRT_UNKNOWN_STORE ? "ST999" : st->id, 5);
			p += 5;
			*p++ = delim;
			NEXT_COL(COL_PRODUCT);
			memcpy(p, dirt == DIRT_UNKNOWN_PRODUCT ? "P9999" : pr->id, 5);
			p += 5;
			*p++ = delim;
			NEXT_COL(COL_QTY);
			if (dirt == DIRT_NON_NUMERIC_QUANTITY) {
				memcpy(p, "two", 3);
				p += 3;
			} else {
				p = fmt_u64(p, qty);
			}
			*p++ = delim;
			NEXT_COL(COL_PRICE);
			p = fmt_money(p, price);
			if (dirt == DIRT_TOO_MANY_DECIMALS)
				*p++ = '5';
			*p++ = delim;
			NEXT_COL(COL_AMOUNT);
			if (dirt == DIRT_NONPOSITIVE_AMOUNT)
				p = fmt_money(p, (r1 >> 8 & 1) ? 0 : -(long)qty * price);
			else
				p = fmt_money(p, (long)qty * price);
			*p++ = delim;
			NEXT_COL(COL_CURRENCY);
			memcpy(p, dirt == DIRT_UNKNOWN_CURRENCY ? "ZZZ" : currencies[cur].code, 3);
			p += 3;
			col[N_COLS] = p + 1;
			*p++ = '\n';
#undef NEXT_COL
			if (missing_col >= 0) { /* cut the column's value out */
				size_t vlen = (size_t)(col[missing_col + 1] - 1 - col[missing_col]);
				memmove(col[missing_col], col[missing_col] + vlen, (size_t)(p - col[missing_col] - (ptrdiff_t)vlen));
				p -= vlen;
			}
			if (csvw_raw(w, row, (size_t)(p - row)) != 0)
				die_write();
			line++;
			if (dirt < 0) {
				memcpy(last_clean_id, col[COL_SALE_ID], 16);
				have_clean_id = true;
			} else if (log) {
				fprintf(log, "%llu,%s,%s\n", (unsigned long long)line, dirt_names[dirt].kind,
					missing_col >= 0 ? columns[missing_col] : dirt_names[dirt].column);
			}
			progress_update(&prog, line - 1, csvw_bytes(w));
		}
	}
	progress_end(&prog);
	alias_free(&product_pick);
	if (log && (fflush(log) != 0 || ferror(log) || fclose(log) != 0))
		die(EXIT_OPER, "%s: write error: %s", o->dirty_log, strerror(errno));
}

int main(int argc, char **argv)
{
	log_init("gen");
	struct sales_opts o = { .rows = 1000, .seed = 1, .days = 7 };
	o.start = cal_days_from_civil(2026, 1, 1);
	char delim = ',';
	bool seal = false;
	static const struct option longopts[] = {
		{ "rows", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "days", required_argument, NULL, 'D' },
		{ "dirty", required_argument, NULL, 'd' },
		{ "dirty-log", required_argument, NULL, 'L' },
		{ "seal", no_argument, NULL, 'z' },
		{ "tsv", no_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, ":n:s:tqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.rows = args_u64("--rows", optarg, 0, MAX_ROWS); break;
		case 's': o.seed = args_u64("--seed", optarg, 0, UINT64_MAX); break;
		case 'S': o.start = args_date("--start", optarg); break;
		case 'D': o.days = args_u64("--days", optarg, 1, MAX_DAYS); break;
		case 'd': o.dirty = args_rate("--dirty", optarg); break;
		case 'L': o.dirty_log = optarg; break;
		case 'z': seal = true; break;
		case 't': delim = '\t'; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'v': log_level = LOG_VERBOSE; break;
		case 'h': help(); return EXIT_OK;
		case 'V': puts("gen " ELT_VERSION); return EXIT_OK;
		default:
			args_bad_option(c, argv);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	const char *what = optind < argc ? argv[optind++] : "sales";
	if (optind < argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	bool sales = strcmp(what, "sales") == 0;
	if (!sales && strcmp(what, "stores") && strcmp(what, "products") && strcmp(what, "fx")) {
		log_error("unknown table \"%s\" (sales, stores, products or fx)", what);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o.dirty_log && !sales) {
		log_error("--dirty-log applies to sales only");
		return EXIT_USAGE;
	}
	int64_t last_year, unused_y;
	int m, d;
	cal_civil_from_days(o.start + (int64_t)o.days - 1, &last_year, &m, &d);
	cal_civil_from_days(o.start, &unused_y, &m, &d);
	if (unused_y < 1 || last_year > 9999) {
		log_error("--start and --days must stay within the years 0001 to 9999");
		return EXIT_USAGE;
	}

	build_seed_tables();
	struct csvw *w = csvw_open(STDOUT_FILENO, delim);
	double t0 = clock_seconds();
	uint64_t rows;
	if (sales)
		write_sales(w, &o, delim), rows = o.rows;
	else if (!strcmp(what, "stores"))
		write_stores(w), rows = N_STORES;
	else if (!strcmp(what, "products"))
		write_products(w), rows = N_PRODUCTS;
	else
		write_fx(w), rows = N_CURRENCIES;
	uint64_t bytes = csvw_bytes(w);
	if (seal) {
		char text[SEAL_LEN];
		seal_format(text, rows);
		if (csvw_raw(w, text, SEAL_LEN) != 0)
			die_write();
	}
	if (csvw_close(w) != 0)
		die_write();
	if (close(STDOUT_FILENO) != 0 && errno != EBADF)
		die_write();
	if (sales) {
		double secs = clock_seconds() - t0;
		log_debug("%llu rows, %.1f MB in %.2f s (%.0f rows/s, %.1f MB/s)", (unsigned long long)o.rows,
			  bytes / 1e6, secs, secs > 0 ? o.rows / secs : 0.0, secs > 0 ? bytes / 1e6 / secs : 0.0);
	}
	return EXIT_OK;
}
