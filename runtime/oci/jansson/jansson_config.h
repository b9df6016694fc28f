/* jansson's public configuration for mica's static musl build (what its configure would write). */
#ifndef JANSSON_CONFIG_H
#define JANSSON_CONFIG_H

#define JSON_INLINE inline

#define JSON_INTEGER_IS_LONG_LONG 1
/* 0: number formatting must not depend on a locale; mica never calls setlocale anyway. */
#define JSON_HAVE_LOCALECONV 0
#define JSON_HAVE_ATOMIC_BUILTINS 1
#define JSON_HAVE_SYNC_BUILTINS 1
/* Deep nesting in a hostile config.json must fail cleanly long before the stack runs out. */
#define JSON_PARSER_MAX_DEPTH 256

#endif
