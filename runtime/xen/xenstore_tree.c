/* The xenstore node tree: lookups, writes with parent creation, subtree removal, copies for transactions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "xen/xenstore.h"
#include "xen/xenstore_tree.h"

/* What a node costs against XS_MAX_BYTES: its strings and its slot, so empty nodes are not free. */
static size_t xs_node_cost(const char *path, uint32_t len)
{
	return sizeof(struct xs_node) + strlen(path) + 1 + len;
}

bool xs_path_valid(const char *path)
{
	size_t n = strlen(path);
	if (n == 0 || n > XS_MAX_PATH || path[0] != '/')
		return false;
	if (n == 1)
		return true;
	if (path[n - 1] == '/')
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = path[i];
		if (c == '/' && path[i - 1] == '/')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '-' || c == '_' || c == '@'))
			return false;
	}
	return true;
}

bool xs_is_under(const char *path, const char *dir)
{
	size_t n = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Index of the first node not sorting before key. */
static uint32_t xs_lower_bound(const struct xs_tree *t, const char *key)
{
	uint32_t lo = 0, hi = t->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->nodes[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct xs_node *xs_tree_find(const struct xs_tree *t, const char *path)
{
	uint32_t i = xs_lower_bound(t, path);
	return i < t->n && strcmp(t->nodes[i].path, path) == 0 ? &t->nodes[i] : NULL;
}

/* The prefix every descendant of path starts with: path and a slash, or "/" for the root. */
static size_t xs_child_prefix(const char *path, char *key)
{
	size_t n = strcmp(path, "/") == 0 ? 0 : strlen(path);
	memcpy(key, path, n);
	key[n] = '/';
	key[n + 1] = '\0';
	return n + 1;
}

static void xs_node_free(struct xs_node *node, size_t *bytes)
{
	*bytes -= xs_node_cost(node->path, node->len);
	free(node->path);
	free(node->value);
}

static int xs_insert(struct xs_tree *t, size_t *bytes, const char *path, const void *value, uint32_t len)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct xs_node *nodes = realloc(t->nodes, cap * sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
		t->cap = cap;
	}
	struct xs_node node = {strdup(path), malloc(len ? len : 1), len};
	if (!node.path || !node.value) {
		free(node.path);
		free(node.value);
		return -ENOMEM;
	}
	memcpy(node.value, value, len);
	uint32_t i = xs_lower_bound(t, path);
	memmove(&t->nodes[i + 1], &t->nodes[i], (t->n - i) * sizeof(*t->nodes));
	t->nodes[i] = node;
	t->n++;
	*bytes += xs_node_cost(path, len);
	return 0;
}

int xs_tree_set(struct xs_tree *t, size_t *bytes, const char *path, const void *value, uint32_t len,
		bool create_only, bool limited)
{
	char prefix[XS_MAX_PATH + 1];
	size_t plen = strlen(path), cost = 0;
	uint32_t missing = 1;
	struct xs_node *node = xs_tree_find(t, path);

	if (node && create_only)
		return 0;
	if (node) {
		if (*bytes + len > XS_MAX_BYTES + node->len)
			return -ENOSPC;
		char *v = malloc(len ? len : 1);
		if (!v)
			return -ENOMEM;
		memcpy(v, value, len);
		*bytes = *bytes - node->len + len;
		free(node->value);
		node->value = v;
		node->len = len;
		return 0;
	}
	/* Price the whole change first, so a refused request leaves the tree as it was. */
	cost = xs_node_cost(path, len);
	for (size_t i = 1; i < plen; i++) {
		if (path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (!xs_tree_find(t, prefix)) {
			missing++;
			cost += xs_node_cost(prefix, 0);
		}
	}
	if ((limited && t->n + missing > XS_MAX_ENTRIES) || *bytes + cost > XS_MAX_BYTES)
		return -ENOSPC;
	for (size_t i = 1; i < plen; i++) {
		if (path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (!xs_tree_find(t, prefix) && xs_insert(t, bytes, prefix, "", 0) != 0)
			return -ENOMEM;
	}
	return xs_insert(t, bytes, path, value, len);
}

int xs_tree_rm(struct xs_tree *t, size_t *bytes, const char *path)
{
	char key[XS_MAX_PATH + 2];
	struct xs_node *node = xs_tree_find(t, path);
	if (!node)
		return -ENOENT;
	size_t klen = xs_child_prefix(path, key);
	uint32_t from = xs_lower_bound(t, key), to = from;
	while (to < t->n && strncmp(t->nodes[to].path, key, klen) == 0)
		xs_node_free(&t->nodes[to++], bytes);
	memmove(&t->nodes[from], &t->nodes[to], (t->n - to) * sizeof(*t->nodes));
	t->n -= to - from;
	/* The descendants sort after path itself, so its index survived the move. */
	node = xs_tree_find(t, path);
	uint32_t i = (uint32_t)(node - t->nodes);
	xs_node_free(node, bytes);
	memmove(&t->nodes[i], &t->nodes[i + 1], (t->n - i - 1) * sizeof(*t->nodes));
	t->n--;
	return 0;
}

long xs_tree_children(const struct xs_tree *t, const char *path, char *out, size_t max)
{
	char key[XS_MAX_PATH + 2];
	size_t klen = xs_child_prefix(path, key), used = 0;
	for (uint32_t i = xs_lower_bound(t, key); i < t->n && strncmp(t->nodes[i].path, key, klen) == 0; i++) {
		const char *name = t->nodes[i].path + klen;
		if (*name == '\0' || strchr(name, '/'))
			continue;
		size_t n = strlen(name) + 1;
		if (used + n > max)
			return -E2BIG;
		memcpy(out + used, name, n);
		used += n;
	}
	return (long)used;
}

int xs_tree_copy(struct xs_tree *dst, const struct xs_tree *src, size_t *bytes)
{
	size_t cost = 0;
	for (uint32_t i = 0; i < src->n; i++)
		cost += xs_node_cost(src->nodes[i].path, src->nodes[i].len);
	if (*bytes + cost > XS_MAX_BYTES)
		return -ENOSPC;
	*dst = (struct xs_tree){0};
	/* In order, so each insert lands at the end. */
	for (uint32_t i = 0; i < src->n; i++) {
		if (xs_insert(dst, bytes, src->nodes[i].path, src->nodes[i].value, src->nodes[i].len) != 0) {
			xs_tree_free(dst, bytes);
			return -ENOMEM;
		}
	}
	return 0;
}

void xs_tree_free(struct xs_tree *t, size_t *bytes)
{
	for (uint32_t i = 0; i < t->n; i++)
		xs_node_free(&t->nodes[i], bytes);
	free(t->nodes);
	*t = (struct xs_tree){0};
}
