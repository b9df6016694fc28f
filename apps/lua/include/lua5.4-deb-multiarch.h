/* What Debian's lua5.4 build generates for luaconf.h: the multiarch triplet in C module paths. */
#ifndef LUA54_DEB_MULTIARCH_H
#define LUA54_DEB_MULTIARCH_H
/* A unikernel loads no C modules; the path only has to be well-formed. */
#define DEB_HOST_MULTIARCH "x86_64-linux-mica"
#endif
