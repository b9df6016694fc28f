/* lua-fn: answers one HTTP request with the Lua handler in /handler.lua (framing: docs/functions.md). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <mica/ready.h>

/* A native build (the benchmark's baseline) names a handler of the host's file system instead. */
#ifndef FN_HANDLER_PATH
#define FN_HANDLER_PATH "/handler.lua"
#endif
/* The gateway caps request bodies well below this; it only bounds a misbehaving feeder. */
#define FN_MAX_REQUEST (64u << 20)

/* Reads stdin to its end (the console's EOF flag) into a NUL-terminated buffer. */
static char *fn_read_all(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (cap - n < 2048) {
			if (cap >= FN_MAX_REQUEST) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int fn_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Pushes s[0..len) with %XX decoded (and '+' as a space when plus is set); bad escapes stay as they are. */
static void fn_push_decoded(lua_State *L, const char *s, size_t len, int plus)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len && (hi = fn_hex((unsigned char)s[i + 1])) >= 0 &&
		    (lo = fn_hex((unsigned char)s[i + 2])) >= 0) {
			luaL_addchar(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			luaL_addchar(&b, plus && s[i] == '+' ? ' ' : s[i]);
		}
	}
	luaL_pushresult(&b);
}

/* Sets t[name] = the decoded pairs of a query string "a=1&b=x%20y" (a later key wins). */
static void fn_push_query(lua_State *L, const char *q, size_t len)
{
	lua_newtable(L);
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && q[end] != '&')
			end++;
		size_t eq = i;
		while (eq < end && q[eq] != '=')
			eq++;
		if (end > i) {
			fn_push_decoded(L, q + i, eq - i, 1);
			if (eq < end)
				fn_push_decoded(L, q + eq + 1, end - eq - 1, 1);
			else
				lua_pushliteral(L, "");
			lua_settable(L, -3);
		}
		i = end + 1;
	}
}

/* The end of the line starting at p (its '\n'), or NULL when the input has none. */
static const char *fn_line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* Builds the req table from the framed request; returns NULL, or what is wrong with the framing. */
static const char *fn_push_request(lua_State *L, const char *in, size_t len)
{
	const char *end = in + len, *p = in;
	const char *nl = fn_line_end(p, end);
	if (!nl)
		return "no request line";
	const char *sp = memchr(p, ' ', (size_t)(nl - p));
	if (!sp || sp == p)
		return "request line is not METHOD TARGET";
	const char *target = sp + 1;
	size_t tlen = (size_t)(nl - target);
	const char *qm = memchr(target, '?', tlen);
	size_t plen = qm ? (size_t)(qm - target) : tlen;

	lua_createtable(L, 0, 7);
	lua_pushlstring(L, p, (size_t)(sp - p));
	lua_setfield(L, -2, "method");
	lua_pushlstring(L, target, tlen);
	lua_setfield(L, -2, "target");
	fn_push_decoded(L, target, plen, 0);
	lua_setfield(L, -2, "path");
	lua_pushlstring(L, qm ? qm + 1 : "", qm ? tlen - plen - 1 : 0);
	lua_setfield(L, -2, "query_string");
	fn_push_query(L, qm ? qm + 1 : "", qm ? tlen - plen - 1 : 0);
	lua_setfield(L, -2, "query");

	lua_newtable(L);
	p = nl + 1;
	for (;;) {
		nl = fn_line_end(p, end);
		if (!nl)
			return "headers do not end with a blank line";
		if (nl == p)
			break;
		const char *colon = memchr(p, ':', (size_t)(nl - p));
		if (!colon || colon == p)
			return "a header line is not NAME: VALUE";
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		for (const char *c = p; c < colon; c++)
			luaL_addchar(&b, (char)(*c >= 'A' && *c <= 'Z' ? *c + ('a' - 'A') : *c));
		luaL_pushresult(&b);
		const char *v = colon + 1;
		while (v < nl && (*v == ' ' || *v == '\t'))
			v++;
		lua_pushlstring(L, v, (size_t)(nl - v));
		lua_settable(L, -3);
		p = nl + 1;
	}
	lua_setfield(L, -2, "headers");
	p = nl + 1;
	lua_pushlstring(L, p, (size_t)(end - p));
	lua_setfield(L, -2, "body");
	return NULL;
}

/* A header name or value may not break the framing: no CR, LF or NUL (and no ':' in a name). */
static int fn_header_ok(const char *s, size_t len, int name)
{
	if (name && len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0' || (name && (s[i] == ':' || s[i] == ' ')))
			return 0;
	return 1;
}

/*
 * Writes the handler's result (argument 1) in the response framing, or raises a Lua error when it is
 * malformed. Output already written then does not matter: the non-zero exit makes the gateway
 * discard it.
 */
static int fn_write_response(lua_State *L)
{
	lua_Integer status = 200;
	size_t blen = 0;
	const char *body;

	if (lua_type(L, 1) == LUA_TSTRING) {
		body = lua_tolstring(L, 1, &blen);
		fputs("Status: 200\n", stdout);
	} else {
		luaL_argexpected(L, lua_istable(L, 1), 1, "a table {status=, headers=, body=} or a string");
		lua_getfield(L, 1, "status");
		if (!lua_isnil(L, -1)) {
			int isint;
			status = lua_tointegerx(L, -1, &isint);
			if (!isint || status < 200 || status > 599)
				return luaL_error(L, "handler result: status must be an integer from 200 to 599");
		}
		lua_getfield(L, 1, "body");
		if (lua_isnil(L, -1))
			body = "";
		else if (!lua_isstring(L, -1) || !(body = lua_tolstring(L, -1, &blen)))
			return luaL_error(L, "handler result: body must be a string");
		fprintf(stdout, "Status: %d\n", (int)status);
		lua_getfield(L, 1, "headers");
		int headers = lua_gettop(L);
		if (!lua_isnil(L, headers)) {
			if (!lua_istable(L, headers))
				return luaL_error(L, "handler result: headers must be a table");
			lua_pushnil(L);
			while (lua_next(L, headers)) {
				size_t nlen, vlen;
				if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
					return luaL_error(L, "handler result: headers must map names to strings");
				const char *n = lua_tolstring(L, -2, &nlen);
				/* A copy: converting a number in place would confuse lua_next. */
				lua_pushvalue(L, -1);
				const char *v = lua_tolstring(L, -1, &vlen);
				if (!fn_header_ok(n, nlen, 1) || !fn_header_ok(v, vlen, 0))
					return luaL_error(L, "handler result: header '%s' has a bad name or a line break", n);
				fprintf(stdout, "%s: %s\n", n, v);
				lua_pop(L, 2);
			}
		}
	}
	fputc('\n', stdout);
	if (fwrite(body, 1, blen, stdout) != blen || fflush(stdout) != 0)
		return luaL_error(L, "cannot write the response: %s", strerror(errno));
	return 0;
}

/* Loads the handler, signals ready, then serves one request; runs protected. */
static int fn_main(lua_State *L)
{
	luaL_openlibs(L);
	if (luaL_loadfile(L, FN_HANDLER_PATH) != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 1);
	if (!lua_isfunction(L, -1))
		return luaL_error(L, FN_HANDLER_PATH " must return a function handler(req), not a %s",
				  luaL_typename(L, -1));
	int handler = lua_gettop(L);

	/*
	 * Seeded here on every start, not only after a restore (mica_ready() == 1): Lua seeds itself
	 * from the time and an address, which instances booted in the same second share as well.
	 */
	(void)mica_ready();
	uint64_t seed[2];
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		return luaL_error(L, "getrandom: %s", strerror(errno));
	lua_getglobal(L, "math");
	lua_getfield(L, -1, "randomseed");
	lua_pushinteger(L, (lua_Integer)seed[0]);
	lua_pushinteger(L, (lua_Integer)seed[1]);
	lua_call(L, 2, 0);
	lua_pop(L, 1);

	size_t len;
	char *in = fn_read_all(&len);
	if (!in)
		return luaL_error(L, "cannot read the request: %s", strerror(errno));
	lua_pushvalue(L, handler);
	const char *bad = fn_push_request(L, in, len);
	free(in);
	if (bad)
		return luaL_error(L, "malformed request: %s", bad);
	lua_call(L, 1, 1);
	lua_pushcfunction(L, fn_write_response);
	lua_insert(L, -2);
	lua_call(L, 1, 0);
	return 0;
}

int main(void)
{
	lua_State *L = luaL_newstate();
	if (!L) {
		fputs("lua-fn: out of memory\n", stderr);
		return 1;
	}
	lua_pushcfunction(L, fn_main);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		fprintf(stderr, "lua-fn: %s\n", msg ? msg : "error object is not a string");
		lua_close(L);
		return 1;
	}
	lua_close(L);
	return 0;
}
