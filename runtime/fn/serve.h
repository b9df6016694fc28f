/* `mica serve`: the function gateway, a fresh guest per HTTP request. */
#ifndef FN_SERVE_H
#define FN_SERVE_H

/* argv[0] is "serve"; returns mica's exit status. */
int serve_main(int argc, char **argv);

#endif
