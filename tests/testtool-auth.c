/* testtool-auth.c: mbx-testtool jwt-assert PEM CLIENT AUD [--alg RS256] [--exp-offset S]
 * prints a client assertion made by lib/graph/auth.c, for the emulator's token tests. */
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

int tt_auth_jwt_assert(int argc, char **argv);

int
tt_auth_jwt_assert(int argc, char **argv)
{
	const char *alg = "PS256";
	long exp = 600;
	struct mbx_buf out;
	char err[512];
	int i;

	if (argc < 4)
		mbx_die(2, "usage: jwt-assert PEM CLIENT AUD [--alg RS256] [--exp-offset S]");
	for (i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--alg") == 0)
			alg = argv[i + 1];
		else if (strcmp(argv[i], "--exp-offset") != 0 ||
			 mbx_parse_long(argv[i + 1], -86400, 86400, &exp) < 0)
			mbx_die(2, "bad option '%s'", argv[i]);
	}
	mbx_buf_init(&out, 0);
	if (mbx_auth_jwt_assertion(argv[1], argv[2], argv[3], alg, exp, &out, err, sizeof err) < 0)
		mbx_die(3, "%s", err);
	puts(out.data);
	mbx_buf_free(&out);
	return 0;
}
