/* Parsing of `mica run` arguments: options, the image, and the guest's own arguments. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/run_args.h"
#include "image/size.h"

const char run_args_usage[] =
	"Usage: mica run [OPTIONS] IMAGE [--] [ARGS...]\n"
	"\n"
	"Boots IMAGE with ARGS as its command line and waits until it ends.\n"
	"\n"
	"Options:\n"
	"  --mem SIZE          guest RAM: bytes or K, M, G (default 64M, at most 64G)\n"
	"  --timeout SECS      stop the guest after SECS seconds (decimals allowed)\n"
	"  --initrd FILE       hand FILE (a cpio newc archive) to the guest as its initrd\n"
	"  --env NAME=VALUE    add a variable to the guest's environment (repeatable)\n"
	"  --backend proc|kvm  how to run it (default: the platform IMAGE was built for)\n"
	"  --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX][,ip=A.B.C.D/N][,gw=A.B.C.D]\n"
	"                      give the guest a NIC on host TAP NAME (repeatable, up to 4:\n"
	"                      vif0, vif1, ...). An existing TAP is attached; otherwise mica\n"
	"                      creates NAME (needs CAP_NET_ADMIN), brings it up and removes it\n"
	"                      at exit. mac: default random, locally administered; ip and gw\n"
	"                      are the guest's static address (no ip: the guest uses DHCP).\n"
	"                      IMAGE must come from an app that selects WANT_NET\n"
	"  --disk FILE[,ro][,name=NAME]\n"
	"                      give the guest FILE as a disk (repeatable, up to 4: xvda,\n"
	"                      xvdb, ...; its size a multiple of 512 bytes). ro: opened\n"
	"                      read-only, the guest's writes fail. name: what the guest\n"
	"                      reads in xenstore (default disk0, disk1, ...). IMAGE must\n"
	"                      come from an app that selects block storage\n"
	"  --mount PATH=DISK   the guest mounts the file system on disk DISK (a --disk\n"
	"                      name) at PATH, an absolute path (repeatable)\n"
	"  --snapshot FILE     when the guest says it is ready, save it to FILE and exit 0\n"
	"                      (IMAGE must come from an app that signals ready)\n"
	"  --restore FILE      resume the guest saved in FILE instead of booting; IMAGE may\n"
	"                      then be left out (if given, it must be the one saved); give\n"
	"                      as many --disk and --net as the saved guest had (the files\n"
	"                      and TAPs may differ): its devices reconnect to them\n"
	"  --stats             print boot time, hypercall count and per-NIC and per-disk\n"
	"                      counters to stderr at the end\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: the guest's own status when it powers off; 121 it asked to reboot,\n"
	"122 it made a forbidden host call, 123 it crashed, 124 --timeout expired,\n"
	"125 mica could not run it, 128+N mica was stopped by signal N.\n";

/* "--opt VALUE" or "--opt=VALUE"; returns the value, or NULL if this argument is not opt. */
static const char *run_args_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t len = strlen(opt);
	if (strncmp(argv[*i], opt, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int run_args_timeout(const char *s, uint64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > RUN_MAX_TIMEOUT_S)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return *ns ? 0 : -1;
}

/* "A.B.C.D" with each part a decimal 0..255 of at most 3 digits; *end is what follows it. */
static int run_args_ipv4(const char *s, const char **end)
{
	for (int part = 0; part < 4; part++) {
		if (part > 0 && *s++ != '.')
			return -1;
		unsigned int v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
	}
	*end = s;
	return 0;
}

static int run_args_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		unsigned int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[i * 3 + j];
			unsigned int d = c >= '0' && c <= '9' ? (unsigned int)(c - '0')
					 : c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10)
					 : c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) : 16;
			if (d == 16)
				return -1;
			v = v * 16 + d;
		}
		if (i < 5 && s[i * 3 + 2] != ':')
			return -1;
		mac[i] = (uint8_t)v;
	}
	return 0;
}

static bool run_args_ifname(const char *s, size_t len)
{
	if (len == 0 || len > 15 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* One --net value: comma-separated key=value parts, each key once, tap= required. */
static int run_args_net(const char *v, struct run_config *cfg, char *err, size_t errlen)
{
	if (cfg->nnics == GUEST_MAX_NICS) {
		snprintf(err, errlen, "more than %d --net NICs", GUEST_MAX_NICS);
		return -1;
	}
	struct run_nic nic = {.fd = -1};
	bool have_tap = false, have_mac = false;
	const char *p = v;
	for (;;) {
		const char *end = strchr(p, ','), *eq = strchr(p, '=');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!eq || eq > p + len) {
			snprintf(err, errlen, "--net '%s': '%.*s' is not KEY=VALUE (keys: tap, mac, ip, gw)", v, (int)len, p);
			return -1;
		}
		size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
		const char *val = eq + 1, *after;
		bool tap = klen == 3 && strncmp(p, "tap", 3) == 0, mac = klen == 3 && strncmp(p, "mac", 3) == 0,
		     ip = klen == 2 && strncmp(p, "ip", 2) == 0, gw = klen == 2 && strncmp(p, "gw", 2) == 0;
		if (!tap && !mac && !ip && !gw) {
			snprintf(err, errlen, "--net '%s': unknown key '%.*s' (keys: tap, mac, ip, gw)", v, (int)klen, p);
			return -1;
		}
		if ((tap && have_tap) || (mac && have_mac) || (ip && nic.ip[0]) || (gw && nic.gw[0])) {
			snprintf(err, errlen, "--net '%s': %.*s given twice", v, (int)klen, p);
			return -1;
		}
		if (tap) {
			if (!run_args_ifname(val, vlen)) {
				snprintf(err, errlen, "--net '%s': tap '%.*s' is not an interface name (1-15 of A-Z a-z 0-9 _ . -)",
					 v, (int)vlen, val);
				return -1;
			}
			memcpy(nic.tap, val, vlen);
			have_tap = true;
		} else if (mac) {
			if (run_args_mac(val, vlen, nic.mac) != 0 || (nic.mac[0] & 1) ||
			    !(nic.mac[0] | nic.mac[1] | nic.mac[2] | nic.mac[3] | nic.mac[4] | nic.mac[5])) {
				snprintf(err, errlen, "--net '%s': mac '%.*s' is not a unicast address XX:XX:XX:XX:XX:XX", v,
					 (int)vlen, val);
				return -1;
			}
			have_mac = nic.mac_given = true;
		} else if (ip) {
			unsigned long prefix = 0;
			const char *pend = NULL;
			if (run_args_ipv4(val, &after) == 0 && *after == '/') {
				pend = after + 1;
				while (*pend >= '0' && *pend <= '9' && pend - after <= 2)
					prefix = prefix * 10 + (unsigned long)(*pend++ - '0');
			}
			if (!pend || pend == after + 1 || pend != val + vlen || prefix < 1 || prefix > 32) {
				snprintf(err, errlen, "--net '%s': ip '%.*s' is not A.B.C.D/N (N from 1 to 32)", v, (int)vlen, val);
				return -1;
			}
			memcpy(nic.ip, val, vlen);
		} else {
			if (run_args_ipv4(val, &after) != 0 || after != val + vlen) {
				snprintf(err, errlen, "--net '%s': gw '%.*s' is not an address A.B.C.D", v, (int)vlen, val);
				return -1;
			}
			memcpy(nic.gw, val, vlen);
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (!have_tap) {
		snprintf(err, errlen, "--net '%s': no tap=NAME", v);
		return -1;
	}
	if (nic.gw[0] && !nic.ip[0]) {
		snprintf(err, errlen, "--net '%s': gw needs ip (without ip the guest uses DHCP)", v);
		return -1;
	}
	for (int i = 0; i < cfg->nnics; i++) {
		if (strcmp(cfg->nics[i].tap, nic.tap) == 0) {
			snprintf(err, errlen, "--net '%s': tap %s is already vif%d", v, nic.tap, i);
			return -1;
		}
	}
	cfg->nics[cfg->nnics++] = nic;
	return 0;
}

/* 1-63 of A-Z a-z 0-9 _ . -: a xenstore value the guest can use as a name anywhere. */
static bool run_args_diskname(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* One --disk value: FILE, then ro and name=NAME in any order, each once. */
static int run_args_disk(char *v, struct run_config *cfg, char *err, size_t errlen)
{
	if (cfg->ndisks == RUN_MAX_DISKS) {
		snprintf(err, errlen, "more than %d --disk disks", RUN_MAX_DISKS);
		return -1;
	}
	struct run_disk disk = {.path = v, .fd = -1};
	char *p = strchr(v, ',');
	size_t flen = p ? (size_t)(p - v) : strlen(v);
	if (flen == 0) {
		snprintf(err, errlen, "--disk '%s': no file name", v);
		return -1;
	}
	bool have_ro = false, have_name = false;
	while (p) {
		const char *part = p + 1;
		char *end = strchr(part, ',');
		size_t len = end ? (size_t)(end - part) : strlen(part);
		if (len == 2 && strncmp(part, "ro", 2) == 0 && !have_ro) {
			have_ro = disk.ro = true;
		} else if (len >= 5 && strncmp(part, "name=", 5) == 0 && !have_name) {
			const char *n = part + 5;
			size_t nlen = len - 5;
			if (!run_args_diskname(n, nlen)) {
				snprintf(err, errlen, "--disk '%s': name '%.*s' is not 1-63 of A-Z a-z 0-9 _ . -", v,
					 (int)nlen, n);
				return -1;
			}
			memcpy(disk.name, n, nlen);
			have_name = true;
		} else {
			snprintf(err, errlen, "--disk '%s': '%.*s' is not ro or name=NAME, or is given twice", v, (int)len,
				 part);
			return -1;
		}
		p = end;
	}
	if (!have_name)
		snprintf(disk.name, sizeof(disk.name), "disk%d", cfg->ndisks);
	for (int i = 0; i < cfg->ndisks; i++) {
		if (strcmp(cfg->disks[i].name, disk.name) == 0) {
			snprintf(err, errlen, "--disk '%s': name %s is already disk%d's", v, disk.name, i);
			return -1;
		}
	}
	v[flen] = '\0'; /* the path, cut from its options */
	cfg->disks[cfg->ndisks++] = disk;
	return 0;
}

/* A guest mount point: absolute, 2-63 bytes, no empty, "." or ".." components. */
static bool run_args_mount_path(const char *s, size_t len)
{
	if (len < 2 || len > 63 || s[0] != '/' || s[len - 1] == '/')
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == '=' || s[i] == ',' || (unsigned char)s[i] >= 0x7f)
			return false;
		if (s[i] == '/') {
			size_t n = 1;
			while (i + n < len && s[i + n] != '/')
				n++;
			if (n == 1 || (n == 2 && s[i + 1] == '.') || (n == 3 && s[i + 1] == '.' && s[i + 2] == '.'))
				return false;
		}
	}
	return true;
}

/* Each --mount PATH=DISK, once every --disk is known: DISK must name one, each disk mounted once. */
static int run_args_mounts(char **mounts, int nmounts, struct run_config *cfg, char *err, size_t errlen)
{
	for (int m = 0; m < nmounts; m++) {
		const char *v = mounts[m], *eq = strrchr(v, '=');
		if (!eq || !run_args_mount_path(v, (size_t)(eq - v))) {
			snprintf(err, errlen, "--mount '%s' is not PATH=DISK with PATH absolute (2-63 bytes, no . or ..)", v);
			return -1;
		}
		int d;
		for (d = 0; d < cfg->ndisks && strcmp(cfg->disks[d].name, eq + 1) != 0; d++)
			;
		if (d == cfg->ndisks) {
			snprintf(err, errlen, "--mount '%s': no --disk is named '%s'", v, eq + 1);
			return -1;
		}
		if (cfg->disks[d].mount[0]) {
			snprintf(err, errlen, "--mount '%s': disk %s is already mounted at %s", v, eq + 1, cfg->disks[d].mount);
			return -1;
		}
		for (int o = 0; o < cfg->ndisks; o++) {
			if (strlen(cfg->disks[o].mount) == (size_t)(eq - v) && strncmp(cfg->disks[o].mount, v, (size_t)(eq - v)) == 0) {
				snprintf(err, errlen, "--mount '%s': %.*s already has disk %s", v, (int)(eq - v), v, cfg->disks[o].name);
				return -1;
			}
		}
		memcpy(cfg->disks[d].mount, v, (size_t)(eq - v));
	}
	return 0;
}

enum run_args_result run_args_parse(int argc, char **argv, struct run_config *cfg, char *err,
				    size_t errlen)
{
	static char *env[RUN_MAX_ENV];
	char *mounts[RUN_MAX_DISKS];
	int nmounts = 0;
	cfg->env = env;
	cfg->mem = RUN_DEFAULT_MEM;
	cfg->backend = RUN_BACKEND_AUTO;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *a = argv[i], *v;
		bool missing = false;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return RUN_ARGS_HELP;
		if (strcmp(a, "--stats") == 0) {
			cfg->stats = true;
		} else if ((v = run_args_value(argc, argv, &i, "--mem", &missing))) {
			if (size_parse(v, &cfg->mem) != 0) {
				snprintf(err, errlen, "--mem '%s' is not a size (examples: 512K, 64M, 1G)", v);
				return RUN_ARGS_ERROR;
			}
			if (cfg->mem % 4096 != 0 || cfg->mem > RUN_MAX_MEM) {
				snprintf(err, errlen, "--mem '%s' must be a multiple of 4K and at most 64G", v);
				return RUN_ARGS_ERROR;
			}
		} else if ((v = run_args_value(argc, argv, &i, "--timeout", &missing))) {
			if (run_args_timeout(v, &cfg->timeout_ns) != 0) {
				snprintf(err, errlen, "--timeout '%s' is not a number of seconds above 0", v);
				return RUN_ARGS_ERROR;
			}
		} else if ((v = run_args_value(argc, argv, &i, "--env", &missing))) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v) {
				snprintf(err, errlen, "--env '%s' is not NAME=VALUE", v);
				return RUN_ARGS_ERROR;
			}
			if (cfg->nenv == RUN_MAX_ENV) {
				snprintf(err, errlen, "more than %d --env variables", RUN_MAX_ENV);
				return RUN_ARGS_ERROR;
			}
			env[cfg->nenv++] = (char *)v;
		} else if ((v = run_args_value(argc, argv, &i, "--initrd", &missing))) {
			if (!*v) {
				snprintf(err, errlen, "--initrd needs a file name");
				return RUN_ARGS_ERROR;
			}
			cfg->initrd_path = v;
		} else if ((v = run_args_value(argc, argv, &i, "--net", &missing))) {
			if (run_args_net(v, cfg, err, errlen) != 0)
				return RUN_ARGS_ERROR;
		} else if ((v = run_args_value(argc, argv, &i, "--disk", &missing))) {
			if (run_args_disk((char *)v, cfg, err, errlen) != 0)
				return RUN_ARGS_ERROR;
		} else if ((v = run_args_value(argc, argv, &i, "--mount", &missing))) {
			if (nmounts == RUN_MAX_DISKS) {
				snprintf(err, errlen, "more than %d --mount mounts", RUN_MAX_DISKS);
				return RUN_ARGS_ERROR;
			}
			mounts[nmounts++] = (char *)v;
		} else if ((v = run_args_value(argc, argv, &i, "--snapshot", &missing))) {
			if (!*v) {
				snprintf(err, errlen, "--snapshot needs a file name");
				return RUN_ARGS_ERROR;
			}
			cfg->snapshot_path = v;
		} else if ((v = run_args_value(argc, argv, &i, "--restore", &missing))) {
			if (!*v) {
				snprintf(err, errlen, "--restore needs a file name");
				return RUN_ARGS_ERROR;
			}
			cfg->restore_path = v;
		} else if ((v = run_args_value(argc, argv, &i, "--backend", &missing))) {
			if (strcmp(v, "proc") == 0)
				cfg->backend = RUN_BACKEND_PROC;
			else if (strcmp(v, "kvm") == 0)
				cfg->backend = RUN_BACKEND_KVM;
			else {
				snprintf(err, errlen, "--backend '%s' is not one of proc, kvm", v);
				return RUN_ARGS_ERROR;
			}
		} else if (strcmp(a, "--") == 0) {
			break;
		} else {
			if (missing)
				snprintf(err, errlen, "%s needs a value", a);
			else
				snprintf(err, errlen, "unknown option '%s'", a);
			return RUN_ARGS_ERROR;
		}
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (run_args_mounts(mounts, nmounts, cfg, err, errlen) != 0)
		return RUN_ARGS_ERROR;
	if (cfg->snapshot_path && cfg->restore_path) {
		snprintf(err, errlen, "--snapshot and --restore cannot be combined");
		return RUN_ARGS_ERROR;
	}
	if (cfg->restore_path && i + 1 < argc) {
		snprintf(err, errlen, "--restore resumes the saved guest: it takes no guest ARGS");
		return RUN_ARGS_ERROR;
	}
	if (i >= argc && cfg->restore_path)
		return RUN_ARGS_OK;
	if (i >= argc) {
		snprintf(err, errlen, "no image given");
		return RUN_ARGS_ERROR;
	}
	cfg->image_path = argv[i];
	if (i + 1 < argc && strcmp(argv[i + 1], "--") == 0) {
		/* Drop the separator by moving the program name onto it. */
		i++;
	}
	const char *slash = strrchr(cfg->image_path, '/');
	argv[i] = (char *)(slash ? slash + 1 : cfg->image_path);
	cfg->argc = argc - i;
	cfg->argv = argv + i;
	return RUN_ARGS_OK;
}
