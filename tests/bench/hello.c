/* The native baseline of the boot benchmark: a static binary printing what the helloworld guest prints. */
#include <stdio.h>

int main(void)
{
	return fputs("Hello from Mica\n", stdout) == EOF;
}
