/* Test guest for the C library and the syscall layer: stdio, malloc, and their errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("posix: hello from musl, argc %d, argv[0] %s\n", argc, argv[0]);
	char *p = malloc(100000);
	if (!p)
		return 1;
	memset(p, 'x', 100000);
	free(p);
	printf("posix: malloc ok\n");
	return 0;
}
