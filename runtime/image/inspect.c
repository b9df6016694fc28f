/* `mica inspect`: what an image is, needs and occupies, from its validated description. */
#include "inspect.h"
#include "size.h"

#include <elf.h>
#include <inttypes.h>

static void image_print_devices(FILE *out, uint32_t devices)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = { { MICA_DEV_CONSOLE, "console" }, { MICA_DEV_ECHO, "echo" }, { MICA_DEV_NET, "net" },
		    { MICA_DEV_BLOCK, "block" } };
	const char *sep = "";
	size_t i;

	fputs("devices:    ", out);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (devices & names[i].bit) {
			fprintf(out, "%s%s", sep, names[i].name);
			sep = ", ";
		}
	}
	fprintf(out, "%s\n", *sep ? "" : "none");
}

static void image_print_segments(FILE *out, const struct image *img)
{
	char size[SIZE_FORMAT_MAX];
	unsigned int i;

	fputs("segments:   ", out);
	for (i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->seg[i];

		size_format(s->filesz, size, sizeof size);
		fprintf(out, "%s%c%c%c 0x%" PRIx64 " %s", i ? ", " : "", s->flags & PF_R ? 'r' : '-',
			s->flags & PF_W ? 'w' : '-', s->flags & PF_X ? 'x' : '-', s->vaddr, size);
		if (s->memsz > s->filesz) {
			size_format(s->memsz - s->filesz, size, sizeof size);
			fprintf(out, " (+%s bss)", size);
		}
	}
	fputc('\n', out);
}

void image_print(FILE *out, const char *path, const struct image *img, uint64_t file_size)
{
	char size[SIZE_FORMAT_MAX];

	fprintf(out, "image:      %s\n", path);
	fprintf(out, "app:        %s\n", img->note.app);
	fprintf(out, "platform:   %s\n", image_platform_name(img->note.platform));
	fprintf(out, "abi:        %" PRIu32 "\n", img->note.abi_version);
	image_print_devices(out, img->note.devices);
	fprintf(out, "entry:      0x%" PRIx64 "\n", img->entry);
	if (img->has_pvh_entry)
		fprintf(out, "pvh entry:  0x%" PRIx32 "\n", img->pvh_entry);
	else
		fputs("pvh entry:  none\n", out);
	image_print_segments(out, img);
	size_format(img->highest - img->lowest, size, sizeof size);
	fprintf(out, "span:       0x%" PRIx64 "-0x%" PRIx64 " (%s)\n", img->lowest, img->highest, size);
	size_format(file_size, size, sizeof size);
	fprintf(out, "file size:  %s\n", size);
}
