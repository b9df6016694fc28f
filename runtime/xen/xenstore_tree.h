/* The xenstore node tree: a path-sorted array of nodes, whose byte cost is charged to a counter. */
#ifndef XEN_XENSTORE_TREE_H
#define XEN_XENSTORE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xs_node {
	char *path;       /* absolute, valid (xs_path_valid) */
	char *value;
	uint32_t len;
};

/* Sorted by strcmp of path, so the descendants of a node are one contiguous run. */
struct xs_tree {
	struct xs_node *nodes;
	uint32_t n, cap;
};

/* An absolute path of at most XS_MAX_PATH bytes: "/", or "/"-separated names of [A-Za-z0-9_@-]. */
bool xs_path_valid(const char *path);

/* True when path is dir or lies below it. */
bool xs_is_under(const char *path, const char *dir);

struct xs_node *xs_tree_find(const struct xs_tree *t, const char *path);

/*
 * Sets path to value (len bytes), creating missing parents with empty values; with create_only an
 * existing node keeps its value. limited: the guest's request, held to XS_MAX_ENTRIES nodes.
 * Every request is held to XS_MAX_BYTES in *bytes. Returns 0, -ENOSPC (t unchanged) or -ENOMEM.
 */
int xs_tree_set(struct xs_tree *t, size_t *bytes, const char *path, const void *value, uint32_t len,
		bool create_only, bool limited);

/* Removes path and everything below it; -ENOENT when path is absent. */
int xs_tree_rm(struct xs_tree *t, size_t *bytes, const char *path);

/*
 * Writes the names of path's children, each NUL-terminated, to out; returns their bytes, or -E2BIG
 * when they exceed max.
 */
long xs_tree_children(const struct xs_tree *t, const char *path, char *out, size_t max);

/* Makes dst (empty) a copy of src; -ENOSPC/-ENOMEM leave dst empty. */
int xs_tree_copy(struct xs_tree *dst, const struct xs_tree *src, size_t *bytes);

void xs_tree_free(struct xs_tree *t, size_t *bytes);

#endif
