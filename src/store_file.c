/* store_file.c - file:// and direct:// (O_DIRECT): local files seen as objects.
 *
 * Keys are paths under the store's prefix. A put writes a temporary file in
 * the target directory and renames it into place, so a reader never sees half
 * an object and a failed put leaves nothing behind. Every call that may block
 * runs on libuv's thread pool; the loop thread only submits and completes,
 * and serves what cannot block: a small GET or a stat whose path is in the
 * dentry cache and whose bytes are in the page cache. direct://
 * reads and writes through page-aligned buffers at aligned offsets and writes
 * an unaligned tail with O_DIRECT switched off for that last write. */
#include "store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define ALIGN               4096u
#define CHUNK               (1u << 20) /* discard reads and direct staging go through 1 MiB */
#define AUTO_SEQUENTIAL_MIN (64ull << 20)
#define TMP_MARK            ".s3dlua-tmp."
#define INLINE_MAX          (256u << 10) /* GETs up to this size may be served on the loop */

struct s3d_stream {
    int fd;
    int direct;
    int writing;
    uint64_t size; /* reading: file size; writing: bytes written */
    uint64_t pos;
    char *final; /* writing: where commit renames the temp file to */
    char *tmp;
    char *stage; /* direct writing: aligned staging buffer of CHUNK bytes */
    size_t staged;
};

static atomic_uint tmp_counter;

static int is_direct(const s3d_store *st)
{
    return st->ops == &store_direct_ops;
}

static int build_path(s3d_req *req, char *out)
{
    const char *prefix = req->store->prefix;
    size_t plen = strlen(prefix);
    if (plen + req->keylen >= PATH_MAX) {
        s3d_req_fail(req, S3D_BAD_URI, "path too long");
        return -1;
    }
    if (memchr(req->key, 0, req->keylen)) {
        s3d_req_fail(req, S3D_BAD_URI, "key contains a NUL byte");
        return -1;
    }
    memcpy(out, prefix, plen);
    memcpy(out + plen, req->key, req->keylen);
    out[plen + req->keylen] = 0;
    if (out[0] == 0) strcpy(out, ".");
    return 0;
}

static void fail_open(s3d_req *req, int err, int direct)
{
    if (direct && err == EINVAL)
        s3d_req_fail(req, S3D_UNSUPPORTED,
                     "the file system refuses O_DIRECT (tmpfs?); use file:// here");
    else
        s3d_req_fail_errno(req, err, NULL);
}

static void apply_fadvise(int fd, int mode, uint64_t size)
{
    int adv;
    switch (mode) {
    case FADV_SEQUENTIAL:
        adv = POSIX_FADV_SEQUENTIAL;
        break;
    case FADV_RANDOM:
        adv = POSIX_FADV_RANDOM;
        break;
    case FADV_AUTO:
        adv = size >= AUTO_SEQUENTIAL_MIN ? POSIX_FADV_SEQUENTIAL : POSIX_FADV_RANDOM;
        break;
    default:
        return; /* normal; dontneed acts after the transfer */
    }
    (void)posix_fadvise(fd, 0, 0, adv);
}

static int ensure_bounce(s3d_req *req, size_t size)
{
    if (req->bounce_cap >= size) return 0;
    void *p;
    if (posix_memalign(&p, ALIGN, size)) return -1;
    free(req->bounce);
    req->bounce = p;
    req->bounce_cap = size;
    return 0;
}

/* Reads up to len bytes at off into dst; returns bytes read (short only at EOF)
 * or -1 with errno set. For O_DIRECT, dst must be aligned and hold len rounded
 * up to ALIGN, and off must be aligned. */
static ssize_t pread_full(int fd, char *dst, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, dst + got, len - got, (off_t)(off + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int pwrite_full(int fd, const char *src, size_t len, uint64_t off)
{
    while (len) {
        ssize_t n = pwrite(fd, src, len, (off_t)off);
        if (n < 0 && errno == ESPIPE) n = write(fd, src, len); /* a pipe or a tty */
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        src += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

/* Reads [off, off+len) into b (which is resized), honouring O_DIRECT alignment:
 * reads the aligned cover and moves the wanted bytes to the front. */
static ssize_t read_range(int fd, int direct, s3d_buf *b, uint64_t off, size_t len)
{
    uint64_t start = direct ? off & ~(uint64_t)(ALIGN - 1) : off;
    size_t skip = (size_t)(off - start);
    size_t span = skip + len;
    if (direct) span = (span + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    b->len = 0;
    if (s3d_buf_reserve(b, span ? span : 1)) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n = pread_full(fd, b->data, span, start);
    if (n < 0) return -1;
    size_t have = (size_t)n > skip ? (size_t)n - skip : 0;
    if (have > len) have = len;
    if (skip && have) memmove(b->data, b->data + skip, have);
    b->len = have;
    return (ssize_t)have;
}

static void do_get(s3d_req *req, const char *path, int direct)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) return fail_open(req, errno, direct);
    struct stat sb;
    if (fstat(fd, &sb)) {
        s3d_req_fail_errno(req, errno, "fstat");
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        s3d_req_fail(req, S3D_IS_DIR, "is a directory");
        goto out;
    }
    uint64_t size = (uint64_t)sb.st_size, off = 0, len = size;
    req->st.size = size;
    req->st.mtime = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
    if (req->suffix) {
        len = req->length < size ? req->length : size;
        off = size - len;
    } else if (req->ranged) {
        off = req->offset;
        if (off > size || (off == size && size > 0)) {
            s3d_req_fail(req, S3D_INVALID, "range starts at %llu, past the end (%llu bytes)",
                         (unsigned long long)off, (unsigned long long)size);
            goto out;
        }
        len = size - off;
        if (req->length && req->length < len) len = req->length;
    }
    apply_fadvise(fd, req->store->fadvise, size);
    if (req->discard) {
        if (ensure_bounce(req, CHUNK)) {
            s3d_req_fail(req, S3D_NOMEM, "out of memory");
            goto out;
        }
        uint64_t done = 0, pos = direct ? off & ~(uint64_t)(ALIGN - 1) : off;
        uint64_t skip = off - pos;
        while (done < len) {
            ssize_t n = pread_full(fd, req->bounce, CHUNK, pos);
            if (n < 0) {
                s3d_req_fail_errno(req, errno, "read");
                goto out;
            }
            if (!req->t_first) req->t_first = uv_hrtime();
            if (n == 0) break;
            uint64_t useful = (uint64_t)n > skip ? (uint64_t)n - skip : 0;
            skip = 0;
            done += useful;
            pos += (uint64_t)n;
            if ((size_t)n < CHUNK) break;
        }
        req->nbytes = done < len ? done : len;
    } else {
        ssize_t n = read_range(fd, direct, req->buf, off, (size_t)len);
        if (n < 0) {
            s3d_req_fail_errno(req, errno, "read");
            goto out;
        }
        req->t_first = uv_hrtime();
        req->nbytes = (uint64_t)n;
    }
    if (req->nbytes < len) s3d_req_fail(req, S3D_IO, "file shrank while being read");
    if (req->store->fadvise == FADV_DONTNEED) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
out:
    close(fd);
}

/* mkdir -p of the directory part of path. */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int rc = mkdir(path, 0755);
        int e = errno;
        *p = '/';
        if (rc && e != EEXIST) {
            errno = e;
            return -1;
        }
    }
    return 0;
}

/* Opens a fresh temporary file beside path; fills tmp. */
static int open_tmp(const char *path, char *tmp, int direct)
{
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    const char *name = slash ? slash + 1 : path;
    for (int attempt = 0; attempt < 2; attempt++) {
        snprintf(tmp, PATH_MAX, "%.*s.%.64s" TMP_MARK "%d.%u", dlen, path, name, (int)getpid(),
                 atomic_fetch_add(&tmp_counter, 1));
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (direct ? O_DIRECT : 0), 0644);
        if (fd >= 0 || errno != ENOENT || attempt) return fd;
        char copy[PATH_MAX];
        snprintf(copy, sizeof copy, "%s", path);
        if (make_parents(copy)) return -1;
    }
    return -1;
}

/* Writes len bytes at off; with O_DIRECT the aligned body goes straight from
 * src when src is aligned, else through the request's aligned bounce buffer,
 * and the unaligned tail is written with O_DIRECT cleared. */
static int write_at(s3d_req *req, int fd, int direct, const char *src, size_t len, uint64_t off)
{
    if (!direct) return pwrite_full(fd, src, len, off);
    size_t body = len & ~(size_t)(ALIGN - 1);
    if (((uintptr_t)src & (ALIGN - 1)) == 0) {
        if (body && pwrite_full(fd, src, body, off)) return -1;
    } else {
        if (ensure_bounce(req, CHUNK)) {
            errno = ENOMEM;
            return -1;
        }
        for (size_t done = 0; done < body;) {
            size_t n = body - done < CHUNK ? body - done : CHUNK;
            memcpy(req->bounce, src + done, n);
            if (pwrite_full(fd, req->bounce, n, off + done)) return -1;
            done += n;
        }
    }
    if (body == len) return 0;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_DIRECT)) return -1;
    return pwrite_full(fd, src + body, len - body, off + body);
}

/* Opens where a put of `path` writes. A regular file (or a link to one) gets a
 * temporary file beside it, renamed over it on commit; a device, FIFO or
 * socket (/dev/null, /dev/stdout, a raw disk) is written in place: renaming
 * over it would replace the device node. `final` receives the path to rename
 * to (links resolved); tmp is "" when writing in place. */
static int open_target(const char *path, char *tmp, char *final, int direct)
{
    struct stat sb;
    snprintf(final, PATH_MAX, "%s", path);
    tmp[0] = 0;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
        return open(path, O_WRONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    char real[PATH_MAX];
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && realpath(path, real))
        snprintf(final, PATH_MAX, "%s", real);
    return open_tmp(final, tmp, direct);
}

static void do_put(s3d_req *req, const char *path_in, int direct)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    int fd = open_target(path_in, tmp, path, direct);
    if (fd < 0) return fail_open(req, errno, direct);
    if (write_at(req, fd, direct, req->src, req->srclen, 0)) {
        s3d_req_fail_errno(req, errno, "write");
        goto fail;
    }
    if (req->store->fadvise == FADV_DONTNEED) {
        (void)fdatasync(fd);
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    if (close(fd)) {
        fd = -1;
        s3d_req_fail_errno(req, errno, "close");
        goto fail;
    }
    fd = -1;
    if (tmp[0] && rename(tmp, path)) {
        s3d_req_fail_errno(req, errno, "rename");
        goto fail;
    }
    req->nbytes = req->srclen;
    return;
fail:
    if (fd >= 0) close(fd);
    if (tmp[0]) unlink(tmp);
}

static void do_stat(s3d_req *req, const char *path)
{
    struct stat sb;
    if (stat(path, &sb)) return s3d_req_fail_errno(req, errno, NULL);
    req->st.size = (uint64_t)sb.st_size;
    req->st.mtime = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
    req->st.is_dir = S_ISDIR(sb.st_mode);
}

/* Collects entries of dir (path relative to the store prefix = rel) whose
 * names start with namepart; recursive descends into every matching dir. */
static int walk(s3d_req *req, char *path, size_t plen, char *rel, size_t rlen, const char *namepart,
                size_t nlen)
{
    DIR *d = opendir(path[0] ? path : ".");
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return 0; /* like an empty prefix */
        s3d_req_fail_errno(req, errno, "opendir");
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        if ((name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))) ||
            strstr(name, TMP_MARK))
            continue;
        if (len < nlen || memcmp(name, namepart, nlen)) continue;
        if (plen + len + 2 >= PATH_MAX || rlen + len + 2 >= PATH_MAX) continue;
        memcpy(path + plen, name, len + 1);
        memcpy(rel + rlen, name, len + 1);
        struct stat sb;
        if (stat(path[0] ? path : name, &sb)) continue; /* vanished or dangling link */
        if (S_ISDIR(sb.st_mode)) {
            path[plen + len] = '/', path[plen + len + 1] = 0;
            rel[rlen + len] = '/', rel[rlen + len + 1] = 0;
            if (req->recursive) {
                if (walk(req, path, plen + len + 1, rel, rlen + len + 1, "", 0)) {
                    rc = -1;
                    break;
                }
            } else if (s3d_list_add(&req->list, rel, rlen + len + 1, 0, 0, 1)) {
                goto oom;
            }
        } else if (s3d_list_add(&req->list, rel, rlen + len, (uint64_t)sb.st_size,
                                (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9, 0)) {
            goto oom;
        }
    }
    closedir(d);
    path[plen] = 0, rel[rlen] = 0;
    return rc;
oom:
    closedir(d);
    s3d_req_fail(req, S3D_NOMEM, "out of memory while listing");
    return -1;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const s3d_entry *)a)->key, ((const s3d_entry *)b)->key);
}

static void do_list(s3d_req *req, char *path)
{
    /* path = prefix + key-prefix; split at the last '/' into dir and name part. */
    size_t plen = strlen(path), klen = req->keylen;
    if (strcmp(path, ".") == 0) plen = 0, path[0] = 0;
    const char *slash = memrchr(req->key, '/', klen);
    size_t name_off = slash ? (size_t)(slash - req->key) + 1 : 0;
    char namepart[NAME_MAX + 1];
    size_t nlen = klen - name_off;
    if (nlen > NAME_MAX) return; /* no such name can exist */
    memcpy(namepart, req->key + name_off, nlen);
    namepart[nlen] = 0;
    size_t dlen = plen - nlen;
    path[dlen] = 0;
    char rel[PATH_MAX];
    memcpy(rel, req->key, name_off);
    rel[name_off] = 0;
    if (walk(req, path, dlen, rel, name_off, namepart, nlen) == 0 && req->list.n)
        qsort(req->list.items, req->list.n, sizeof *req->list.items, entry_cmp);
}

/* Removes an empty directory tree (what is left after deleting every key under
 * a prefix); fails with not_empty if any file remains. */
static int rmdir_tree(char *path, size_t plen)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) continue;
        size_t len = strlen(n);
        if (plen + len + 2 >= PATH_MAX) continue;
        path[plen] = '/';
        memcpy(path + plen + 1, n, len + 1);
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (rmdir_tree(path, plen + 1 + len)) rc = -1;
        } else {
            errno = ENOTEMPTY;
            rc = -1;
        }
        path[plen] = 0;
    }
    closedir(d);
    if (rc) return -1;
    return rmdir(path);
}

static void do_delete(s3d_req *req, char *path)
{
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/') {
        path[len - 1] = 0;
        if (rmdir_tree(path, len - 1)) s3d_req_fail_errno(req, errno, NULL);
        return;
    }
    if (unlink(path)) s3d_req_fail_errno(req, errno, NULL);
}

/* Deletes each key; the ones that fail are listed with their reason. */
static void do_delete_many(s3d_req *req)
{
    const char *prefix = req->store->prefix;
    size_t plen = strlen(prefix);
    char path[PATH_MAX];
    for (size_t i = 0; i < req->nkeys; i++) {
        size_t kl = req->keylens[i];
        if (plen + kl >= PATH_MAX || memchr(req->keys[i], 0, kl)) {
            if (s3d_list_add_error(&req->list, req->keys[i], kl, "bad key")) goto oom;
            continue;
        }
        memcpy(path, prefix, plen);
        memcpy(path + plen, req->keys[i], kl);
        path[plen + kl] = 0;
        if (unlink(path) == 0) {
            req->nbytes++;
        } else {
            int e = errno;
            if (s3d_list_add_error(&req->list, req->keys[i], kl,
                                   e == ENOENT ? "not_found: not found" : strerror(e)))
                goto oom;
        }
    }
    return;
oom:
    s3d_req_fail(req, S3D_NOMEM, "out of memory");
}

static void do_open_read(s3d_req *req, const char *path, int direct)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) return fail_open(req, errno, direct);
    struct stat sb;
    if (fstat(fd, &sb) || S_ISDIR(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode))
            s3d_req_fail(req, S3D_IS_DIR, "is a directory");
        else
            s3d_req_fail_errno(req, errno, "fstat");
        close(fd);
        return;
    }
    s3d_stream *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return s3d_req_fail(req, S3D_NOMEM, "out of memory");
    }
    s->fd = fd;
    s->direct = direct;
    s->size = req->st.size = (uint64_t)sb.st_size;
    req->st.mtime = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
    apply_fadvise(fd, req->store->fadvise, s->size);
    req->stream = s;
}

static void do_read(s3d_req *req)
{
    s3d_stream *s = req->stream;
    uint64_t off = req->ranged ? req->offset : s->pos;
    size_t want = req->length ? (size_t)req->length : CHUNK;
    if (off >= s->size) {
        req->buf->len = 0;
        return;
    }
    if (want > s->size - off) want = (size_t)(s->size - off);
    ssize_t n = read_range(s->fd, s->direct, req->buf, off, want);
    if (n < 0) return s3d_req_fail_errno(req, errno, "read");
    req->t_first = uv_hrtime();
    req->nbytes = (uint64_t)n;
    if (!req->ranged) s->pos = off + (uint64_t)n; /* read_at is a pread: no seek */
}

/* The cosocket pattern for reads: when the bytes are in the page cache,
 * preadv2(RWF_NOWAIT) copies them on the loop thread without blocking, which
 * saves two cross-thread wake-ups per read; otherwise (EAGAIN, a short read)
 * the read goes to the pool as usual. Returns 1 when the read is done. */
static int read_nowait(s3d_req *req)
{
    s3d_stream *s = req->stream;
    if (s->direct) return 0;
    uint64_t off = req->ranged ? req->offset : s->pos;
    size_t want = req->length ? (size_t)req->length : CHUNK;
    if (off >= s->size) return 0;
    if (want > s->size - off) want = (size_t)(s->size - off);
    req->buf->len = 0;
    if (s3d_buf_reserve(req->buf, want ? want : 1)) return 0;
    struct iovec iov = {req->buf->data, want};
    ssize_t n = preadv2(s->fd, &iov, 1, (off_t)off, RWF_NOWAIT);
    if (n < 0 || (size_t)n != want) return 0;
    req->buf->len = want;
    req->t_first = uv_hrtime();
    req->nbytes = want;
    if (!req->ranged) s->pos = off + want;
    return 1;
}

static void do_open_write(s3d_req *req, const char *path, int direct)
{
    s3d_stream *s = calloc(1, sizeof *s);
    char tmp[PATH_MAX], final[PATH_MAX];
    if (!s) return s3d_req_fail(req, S3D_NOMEM, "out of memory");
    s->fd = open_target(path, tmp, final, direct);
    if (s->fd < 0) {
        fail_open(req, errno, direct);
        free(s);
        return;
    }
    s->direct = direct;
    s->writing = 1;
    s->final = strdup(final);
    s->tmp = strdup(tmp);
    if (direct && posix_memalign((void **)&s->stage, ALIGN, CHUNK)) s->stage = NULL;
    if (!s->final || !s->tmp || (direct && !s->stage)) {
        close(s->fd);
        if (tmp[0]) unlink(tmp);
        free(s->final), free(s->tmp), free(s->stage), free(s);
        return s3d_req_fail(req, S3D_NOMEM, "out of memory");
    }
    req->stream = s;
}

/* Direct writes collect in an aligned stage and leave it in whole chunks, so
 * callers may write any sizes; commit writes what is left, tail included. */
static int stream_append(s3d_req *req, s3d_stream *s, const char *src, size_t len)
{
    if (!s->direct) {
        if (pwrite_full(s->fd, src, len, s->pos)) return -1;
        s->pos += len;
        return 0;
    }
    while (len) {
        size_t n = CHUNK - s->staged < len ? CHUNK - s->staged : len;
        memcpy(s->stage + s->staged, src, n);
        s->staged += n, src += n, len -= n;
        if (s->staged == CHUNK) {
            if (write_at(req, s->fd, 1, s->stage, CHUNK, s->pos)) return -1;
            s->pos += CHUNK;
            s->staged = 0;
        }
    }
    return 0;
}

static void stream_close(s3d_stream *s, int keep)
{
    if (s->fd >= 0) close(s->fd);
    if (s->writing && !keep && s->tmp[0]) unlink(s->tmp);
    free(s->final), free(s->tmp), free(s->stage), free(s);
}

static void do_commit(s3d_req *req)
{
    s3d_stream *s = req->stream;
    if (s->direct && s->staged) {
        if (write_at(req, s->fd, 1, s->stage, s->staged, s->pos)) {
            s3d_req_fail_errno(req, errno, "write");
            return stream_close(s, 0);
        }
        s->pos += s->staged;
        s->staged = 0;
    }
    if (req->store->fadvise == FADV_DONTNEED) {
        (void)fdatasync(s->fd);
        (void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    int rc = close(s->fd);
    s->fd = -1;
    if (rc || (s->tmp[0] && rename(s->tmp, s->final))) {
        s3d_req_fail_errno(req, errno, rc ? "close" : "rename");
        return stream_close(s, 0);
    }
    req->nbytes = s->pos;
    stream_close(s, 1);
}

static void file_work(uv_work_t *w)
{
    s3d_req *req = (s3d_req *)w;
    int direct = is_direct(req->store);
    char path[PATH_MAX];
    switch (req->op) {
    case OP_READ:
        return do_read(req);
    case OP_WRITE:
        if (stream_append(req, req->stream, req->src, req->srclen))
            return s3d_req_fail_errno(req, errno, "write");
        req->nbytes = req->srclen;
        return;
    case OP_COMMIT:
        return do_commit(req);
    case OP_ABORT:
        return stream_close(req->stream, 0);
    case OP_DELETE_MANY:
        return do_delete_many(req);
    default:
        break;
    }
    if (build_path(req, path)) return;
    switch (req->op) {
    case OP_GET:
        return do_get(req, path, direct);
    case OP_PUT:
        return do_put(req, path, direct);
    case OP_STAT:
        return do_stat(req, path);
    case OP_LIST:
        return do_list(req, path);
    case OP_DELETE:
        return do_delete(req, path);
    case OP_OPEN_READ:
        return do_open_read(req, path, direct);
    case OP_OPEN_WRITE:
        return do_open_write(req, path, direct);
    default:
        s3d_req_fail(req, S3D_UNSUPPORTED, "operation not supported by %s://", req->store->scheme);
    }
}

static void file_after(uv_work_t *w, int status)
{
    s3d_req *req = (s3d_req *)w;
    if (status == UV_ECANCELED) s3d_req_fail(req, S3D_IO, "cancelled");
    req->t_end = uv_hrtime();
    req->done(req);
}

/* 1 while openat2 may be tried: not on kernels without it (ENOSYS, then
 * never again), nor under valgrind (3.19 does not know the call and prints
 * a warning for each; its preload library names it). */
static atomic_int openat2_state; /* 0: not known yet, 1: usable, -1: not */

/* Opens path only if every step of its resolution is in the dentry cache
 * (openat2 RESOLVE_CACHED, Linux 5.12); -1 (EAGAIN, ENOSYS, ...) otherwise. */
static int open_cached(const char *path, int flags)
{
    int state = atomic_load(&openat2_state);
    if (!state) {
        const char *pre = getenv("LD_PRELOAD");
        state = pre && strstr(pre, "vgpreload") ? -1 : 1;
        atomic_store(&openat2_state, state);
    }
    if (state < 0) return -1;
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_CACHED};
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS) atomic_store(&openat2_state, -1);
    return fd;
}

/* The cosocket pattern for small objects: a GET (up to INLINE_MAX bytes) or a
 * stat whose path is cached and whose bytes are in the page cache is served
 * on the loop thread with calls that cannot block (RESOLVE_CACHED,
 * preadv2 RWF_NOWAIT). That saves the pool's round trip: two cross-thread
 * wake-ups and libuv's async spin, measured at ~60 us of CPU per small-file
 * GET on a 2-vCPU VM, more than the read itself. Returns 1 when the request
 * is done; 0 sends it to the pool, which also reports every error. */
static int serve_nowait(s3d_req *req)
{
    char path[PATH_MAX];
    if (is_direct(req->store) || req->store->fadvise == FADV_DONTNEED) return 0;
    if (build_path(req, path)) return 1; /* failed for good, with the reason */
    int fd = open_cached(path, req->op == OP_STAT ? O_PATH : O_RDONLY);
    if (fd < 0) return 0;
    struct stat sb;
    int done = 0;
    if (fstat(fd, &sb)) goto out;
    uint64_t size = (uint64_t)sb.st_size, off = 0, len = size;
    if (req->op == OP_STAT) {
        req->st.size = size;
        req->st.mtime = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
        req->st.is_dir = S_ISDIR(sb.st_mode);
        done = 1;
        goto out;
    }
    if (!S_ISREG(sb.st_mode) || size > INLINE_MAX) goto out;
    if (req->suffix) {
        len = req->length < size ? req->length : size;
        off = size - len;
    } else if (req->ranged) {
        off = req->offset;
        if (off > size || (off == size && size > 0)) goto out; /* the pool says why */
        len = size - off;
        if (req->length && req->length < len) len = req->length;
    }
    char *dst;
    if (req->discard) {
        if (ensure_bounce(req, CHUNK)) goto out;
        dst = req->bounce;
    } else {
        req->buf->len = 0;
        if (s3d_buf_reserve(req->buf, len ? (size_t)len : 1)) goto out;
        dst = req->buf->data;
    }
    if (len) {
        struct iovec iov = {dst, (size_t)len};
        ssize_t n = preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT);
        if (n < 0 || (uint64_t)n != len) goto out; /* not all cached: the pool reads it */
    }
    apply_fadvise(fd, req->store->fadvise, size);
    req->st.size = size;
    req->st.mtime = (double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
    req->t_first = uv_hrtime();
    req->nbytes = len;
    if (!req->discard) req->buf->len = (size_t)len;
    done = 1;
out:
    close(fd);
    return done;
}

static void file_submit(s3d_req *req)
{
    if (req->op == OP_MKBUCKET || req->op == OP_RMBUCKET) {
        s3d_req_fail(req, S3D_UNSUPPORTED, "%s:// has no buckets", req->store->scheme);
        req->t_end = uv_hrtime();
        req->done(req);
        return;
    }
    if (req->op == OP_READ && read_nowait(req)) return store_complete_later(req);
    if ((req->op == OP_GET || req->op == OP_STAT) && serve_nowait(req)) {
        /* done now: the caller gets the result without yielding, and no loop
         * turn is spent on it (sched_suspend sees the wait already done) */
        req->t_end = uv_hrtime();
        req->done(req);
        return;
    }
    uv_queue_work(&rt_self->loop, &req->work, file_work, file_after);
}

static void file_stream_free(s3d_stream *s)
{
    stream_close(s, 0);
}

static int file_open(s3d_store *st, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    st->fadvise = FADV_AUTO;
    return S3D_OK;
}

const store_ops store_file_ops = {
    .scheme = "file",
    .caps = STORE_CAN_RANGE | STORE_CAN_STREAM,
    .open = file_open,
    .submit = file_submit,
    .stream_free = file_stream_free,
};

const store_ops store_direct_ops = {
    .scheme = "direct",
    .caps = STORE_CAN_RANGE | STORE_CAN_STREAM,
    .open = file_open,
    .submit = file_submit,
    .stream_free = file_stream_free,
};
