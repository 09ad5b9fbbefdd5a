/* JSON output shared by the loaders' loggers. */
#ifndef KRSI_JSON_H
#define KRSI_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s as a JSON string, escaping what JSON requires. */
static void json_string(FILE *out, const char *s, size_t max)
{
	fputc('"', out);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

#endif
