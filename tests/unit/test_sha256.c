/* unit-sources: runtime/util/sha256.c */
/* Tests for SHA-256: the FIPS 180-4 / NIST example vectors, and the same digest however input is split. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "util/sha256.h"

static void check_vector(const char *name, const void *data, size_t len, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(data, len, hex);
	unit_check(strcmp(hex, want) == 0, name, "got %s, want %s", hex, want);
}

int main(void)
{
	check_vector("empty message", "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_vector("one block: abc", "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_vector("two blocks: 448 bits", two, sizeof(two) - 1,
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	static const char four[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
				   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	check_vector("896-bit message", four, sizeof(four) - 1,
		     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

	size_t mlen = 1000000;
	char *million = malloc(mlen);
	memset(million, 'a', mlen);
	check_vector("one million 'a'", million, mlen, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	/* Every split point around the 55/56/64-byte padding edges gives the one-shot digest. */
	int bad = -1;
	for (size_t len = 0; len < 130 && bad < 0; len++) {
		char whole[SHA256_HEX_LEN + 1], parts[SHA256_HEX_LEN + 1];
		uint8_t d[SHA256_DIGEST_LEN];
		sha256_hex(million, len, whole);
		for (size_t cut = 0; cut <= len && bad < 0; cut++) {
			struct sha256 s;
			sha256_init(&s);
			sha256_update(&s, million, cut);
			sha256_update(&s, million + cut, len - cut);
			sha256_final(&s, d);
			sha256_to_hex(d, parts);
			if (strcmp(whole, parts) != 0)
				bad = (int)(len * 1000 + cut);
		}
	}
	unit_check(bad < 0, "split updates equal one update", "length %d cut %d differs", bad / 1000, bad % 1000);
	free(million);
	return unit_exit_status();
}
