/* xml.h - the little XML the object-store APIs answer with, through libexpat:
 * each element's text is handed over with its path ("ListBucketResult/Contents/Key"). */
#ifndef S3D_XML_H
#define S3D_XML_H
#include <stddef.h>

/* Called at each element's end with its '/'-joined path from the root and its
 * text content (not NUL-terminated; nested elements' text is not included). */
typedef void (*xml_elem_fn)(void *ud, const char *path, const char *text, size_t len);

/* Parses buf; returns 0, or -1 with a message ("line 3: not well-formed") in err. */
int xml_parse(const char *buf, size_t len, xml_elem_fn fn, void *ud, char *err, size_t errlen);
#endif
