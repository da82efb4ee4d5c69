/* xml.c - path + text callbacks on top of libexpat, enough for S3's answers
 * (ListObjectsV2, errors, multipart results). Element names keep no
 * namespace prefix; paths longer than 512 bytes or texts beyond 64 KiB are cut. */
#include "xml.h"
#include <expat.h>
#include <stdio.h>
#include <string.h>

typedef struct xml_state {
    char path[512];
    size_t plen;
    size_t depth_cut; /* >0 while inside elements too deep to track */
    char text[65536];
    size_t tlen;
    xml_elem_fn fn;
    void *ud;
} xml_state;

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    (void)attrs;
    xml_state *x = ud;
    size_t nl = strlen(name);
    if (x->depth_cut || x->plen + nl + 2 > sizeof x->path) {
        x->depth_cut++;
        return;
    }
    if (x->plen) x->path[x->plen++] = '/';
    memcpy(x->path + x->plen, name, nl + 1);
    x->plen += nl;
    x->tlen = 0;
}

static void on_end(void *ud, const XML_Char *name)
{
    (void)name;
    xml_state *x = ud;
    if (x->depth_cut) {
        x->depth_cut--;
        return;
    }
    x->fn(x->ud, x->path, x->text, x->tlen);
    x->tlen = 0;
    char *slash = strrchr(x->path, '/');
    x->plen = slash ? (size_t)(slash - x->path) : 0;
    x->path[x->plen] = 0;
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    xml_state *x = ud;
    size_t room = sizeof x->text - x->tlen;
    size_t take = (size_t)len < room ? (size_t)len : room;
    memcpy(x->text + x->tlen, s, take);
    x->tlen += take;
}

int xml_parse(const char *buf, size_t len, xml_elem_fn fn, void *ud, char *err, size_t errlen)
{
    static _Thread_local xml_state x; /* 64 KiB: not on the stack, one per thread */
    memset(&x, 0, offsetof(xml_state, text));
    x.tlen = 0;
    x.fn = fn;
    x.ud = ud;
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    XML_SetUserData(p, &x);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    int rc = 0;
    if (XML_Parse(p, buf, (int)len, 1) == XML_STATUS_ERROR) {
        snprintf(err, errlen, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(p),
                 XML_ErrorString(XML_GetErrorCode(p)));
        rc = -1;
    }
    XML_ParserFree(p);
    return rc;
}
