/* What e2fsprogs' configure would find for lib/ext2fs on the guest: musl's headers, no devices, no threads. */
#define HAVE_STDLIB_H 1
#define HAVE_UNISTD_H 1
#define HAVE_ERRNO_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_STDINT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_FCNTL_H 1
#define HAVE_UTIME_H 1
#define HAVE_STRNLEN 1
#define HAVE_STRDUP 1
#define HAVE_SNPRINTF 1
#define HAVE_POSIX_MEMALIGN 1
#define ENABLE_HTREE 1
