#!/bin/sh
# lint.sh SRCDIR: banned unsafe functions in the C sources. Prints each use
# as FILE:LINE: text and exits 1 when there is any.
top=${1:-.}
banned='\b(strcpy|strcat|sprintf|vsprintf|atoi|atol|atoll|gets|strtok|tmpnam|mktemp)[[:space:]]*\('
found=$(grep -nE "$banned" "$top"/lib/*.c "$top"/lib/*/*.c "$top"/bin/*.c "$top"/tests/*.c \
	2>/dev/null | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)')
if [ -n "$found" ]; then
	echo "$found"
	echo "lint: banned functions used: use snprintf, mbx_strlcpy, mbx_buf, mbx_parse_long" >&2
	exit 1
fi
exit 0
