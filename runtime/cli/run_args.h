/* Parsing of `mica run` arguments into a run configuration. */
#ifndef CLI_RUN_ARGS_H
#define CLI_RUN_ARGS_H

#include "vm/run.h"

#define RUN_DEFAULT_MEM (64ULL << 20)
#define RUN_MAX_MEM (64ULL << 30)
#define RUN_MAX_TIMEOUT_S 1e7
#define RUN_MAX_ENV 128

enum run_args_result { RUN_ARGS_OK, RUN_ARGS_HELP, RUN_ARGS_ERROR };

/*
 * argv[0] is "run". Options come before IMAGE; everything after IMAGE (an optional first "--"
 * dropped) is the guest's. cfg->argv points into argv, with the image's file name as argv[0]
 * (so argv is modified at one slot). On error, err holds a one-line message.
 */
enum run_args_result run_args_parse(int argc, char **argv, struct run_config *cfg, char *err,
				    size_t errlen);

extern const char run_args_usage[];

#endif
