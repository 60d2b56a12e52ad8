/* SPDX-License-Identifier: MIT
 * Exit statuses shared by every program of the suite; each man page lists
 * them under EXIT STATUS. */
#ifndef ELT_EXITCODE_H
#define ELT_EXITCODE_H

enum {
	EXIT_OK = 0,    /* success */
	EXIT_DATA = 1,  /* the data failed a check */
	EXIT_USAGE = 2, /* bad options or arguments */
	EXIT_OPER = 3,  /* operational failure: I/O, database, unparsable input */
};

#endif
