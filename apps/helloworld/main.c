/* The smallest useful Mica application: a greeting, then the command line it was given. */
#include <mica/print.h>

int main(int argc, char **argv)
{
	printf("Hello from Mica\n");
	for (int i = 1; i < argc; i++)
		printf("arg %d: %s\n", i, argv[i]);
	return 0;
}
