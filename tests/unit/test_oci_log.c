/* unit-sources: runtime/oci/log.c runtime/util/log.c */
/* Unit tests of the OCI runtime's log lines: valid JSON (or logrus-like text) whatever a message holds. */
/* unit-libs: -ljansson */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "oci/log.h"
#include "unit.h"

static void test_json(const char *what, const char *msg, const char *want_msg)
{
	char line[4096], name[128];
	size_t n = oci_log_format_line(line, sizeof(line), OCI_LOG_JSON, "error", msg);
	json_error_t jerr;
	json_t *o = json_loadb(line, n, 0, &jerr);
	const char *got = json_string_value(json_object_get(o, "msg"));
	const char *time = json_string_value(json_object_get(o, "time"));
	snprintf(name, sizeof(name), "a JSON line for %s", what);
	unit_check(o && line[n - 1] == '\n' && !memchr(line, '\n', n - 1) && got && strcmp(got, want_msg) == 0 &&
			   strcmp(json_string_value(json_object_get(o, "level")), "error") == 0 && time &&
			   strlen(time) == 30 && time[29] == 'Z',
		   name, "'%.*s' (%s)", (int)n, line, o ? "parsed" : jerr.text);
	json_decref(o);
}

int main(void)
{
	test_json("a plain message", "create c1: no image", "create c1: no image");
	test_json("quotes and backslashes", "path \"a\\b\"", "path \"a\\b\"");
	test_json("a newline and a tab", "one\ntwo\tthree", "one\ntwo\tthree");
	/* Bytes outside ASCII are escaped one by one, so even a non-UTF-8 path keeps the line valid. */
	test_json("non-UTF-8 bytes", "bad \xff\xfe name", "bad \xc3\xbf\xc3\xbe name");

	char big[8192];
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char line[4096];
	size_t n = oci_log_format_line(line, sizeof(line), OCI_LOG_JSON, "error", big);
	json_error_t jerr;
	json_t *o = json_loadb(line, n, 0, &jerr);
	unit_check(o != NULL && n < sizeof(line), "a message longer than a line is cut, still valid JSON", "%s", jerr.text);
	json_decref(o);

	n = oci_log_format_line(line, sizeof(line), OCI_LOG_TEXT, "warning", "x \"y\"\nz");
	line[n] = '\0';
	unit_check(strncmp(line, "time=\"", 6) == 0 && strstr(line, "\" level=warning msg=\"x \\\"y\\\"\\u000az\"\n") &&
			   strchr(line, '\n') == line + n - 1,
		   "a text line is logrus-like and one line", "'%s'", line);
	return unit_exit_status();
}
