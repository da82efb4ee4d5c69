/* main.c - argument dispatch: run, -e, repl, and the storage commands (which
 * live in lua/s3dlua/cli.lua). --threads N runs the script once per OS thread,
 * each with its own loop and Lua state (wrk's model); results merge at the end. */
#include "log.h"
#include "oplog.h"
#include <curl/curl.h>
#include "repl.h"
#include "rt.h"
#include "stats.h"
#include <lauxlib.h>
#include <luajit.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef S3D_VERSION
#define S3D_VERSION "dev"
#endif

enum mode { MODE_RUN, MODE_EVAL, MODE_CLI };

typedef struct job {
    enum mode mode;
    const char *target; /* script path, code, or command name */
    int argc;
    char **argv; /* arguments after the target */
    int thread_id, thread_count;
    rt r;
    int status;
    pthread_t tid;
} job;

static void push_args(lua_State *L, job *j)
{
    lua_createtable(L, j->argc, 1);
    lua_pushstring(L, j->target);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < j->argc; i++) {
        lua_pushstring(L, j->argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Runs the job's script in its runtime and drains its tasks; leaves the
 * runtime open so results can be merged. */
static void job_run(job *j)
{
    char err[256];
    if (rt_init(&j->r, j->thread_id, j->thread_count, err, sizeof err)) {
        fprintf(stderr, "s3dlua: %s\n", err);
        j->status = 1;
        return;
    }
    lua_State *L = j->r.L;
    push_args(L, j);
    lua_setglobal(L, "arg");
    int rc;
    if (j->mode == MODE_CLI) {
        lua_getglobal(L, "require");
        lua_pushstring(L, "s3dlua.cli");
        rc = rt_pcall(L, 1, 1);
        if (!rc) {
            lua_getfield(L, -1, "main");
            lua_remove(L, -2);
            lua_getglobal(L, "arg");
            rc = rt_pcall(L, 1, 1);
            j->status = rc ? 1 : (int)lua_tointeger(L, -1);
            if (!rc) lua_pop(L, 1);
        }
        rt_drain(&j->r);
        if (j->r.failed_tasks && !j->status) j->status = 1;
        return;
    }
    if (j->mode == MODE_EVAL)
        rc = luaL_loadbuffer(L, j->target, strlen(j->target), "=(command line)");
    else
        rc = luaL_loadfile(L, j->target);
    if (rc) {
        fprintf(stderr, "s3dlua: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        j->status = 1;
        return;
    }
    int nargs = 0;
    if (j->mode == MODE_RUN) {
        for (int i = 0; i < j->argc; i++) lua_pushstring(L, j->argv[i]);
        nargs = j->argc;
    }
    rc = rt_pcall(L, nargs, 1);
    int returned = !rc && lua_type(L, -1) == LUA_TNUMBER ? (int)lua_tointeger(L, -1) : 0;
    if (!rc) lua_pop(L, 1);
    rt_drain(&j->r);
    j->status = rc || j->r.failed_tasks ? 1 : returned;
}

static void *thread_main(void *arg)
{
    job_run(arg);
    return NULL;
}

/* Calls the script's global done() (thread 1's state) after every thread has
 * finished and the named stats of all threads are merged into thread 1's. */
static void call_done_hook(job *j)
{
    lua_State *L = j->r.L;
    lua_getglobal(L, "done");
    if (lua_isfunction(L, -1)) {
        if (rt_pcall(L, 0, 0)) j->status = 1;
        rt_drain(&j->r);
    } else {
        lua_pop(L, 1);
    }
}

static int run_jobs(enum mode mode, const char *target, int argc, char **argv, int threads)
{
    job *jobs = calloc((size_t)threads, sizeof *jobs);
    if (!jobs) return 1;
    for (int i = 0; i < threads; i++)
        jobs[i] = (job){.mode = mode,
                        .target = target,
                        .argc = argc,
                        .argv = argv,
                        .thread_id = i + 1,
                        .thread_count = threads};
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&jobs[i].tid, NULL, thread_main, &jobs[i])) {
            fprintf(stderr, "s3dlua: cannot start thread %d\n", i + 1);
            jobs[i].status = 1;
            jobs[i].tid = 0;
        }
    }
    job_run(&jobs[0]);
    int status = jobs[0].status;
    for (int i = 1; i < threads; i++) {
        if (jobs[i].tid) pthread_join(jobs[i].tid, NULL);
        if (jobs[i].status > status) status = jobs[i].status;
    }
    if (jobs[0].r.L) {
        for (int i = 1; i < threads; i++)
            if (jobs[i].r.L) stats_merge_states(jobs[0].r.L, jobs[i].r.L);
        rt_self = &jobs[0].r;
        if (mode == MODE_RUN) call_done_hook(&jobs[0]);
        if (jobs[0].status > status) status = jobs[0].status;
    }
    for (int i = threads - 1; i >= 0; i--) {
        if (!jobs[i].r.L) continue;
        rt_self = &jobs[i].r;
        rt_close(&jobs[i].r);
    }
    free(jobs);
    return status;
}

static int run_repl(void)
{
    rt r;
    char err[256];
    if (rt_init(&r, 1, 1, err, sizeof err)) {
        fprintf(stderr, "s3dlua: %s\n", err);
        return 1;
    }
    int status = repl_run(r.L);
    rt_close(&r);
    return status;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: s3dlua [-v|-vv] [--threads N] COMMAND [ARGS...]\n"
               "\n"
               "  run SCRIPT [ARGS...]   run a Lua workload script (sees `arg`)\n"
               "  -e 'CODE'              run Lua code\n"
               "  repl                   interactive Lua prompt (s3d is preloaded)\n"
               "  ls URI                 list objects (-r, --pattern GLOB, --regex RE, --json)\n"
               "  stat URI               size, mtime, etag (--json)\n"
               "  get URI                read an object (-o FILE|-, --offset N --length N, -r)\n"
               "  put FILE URI           write an object (URI --num N --size S: generated)\n"
               "  rm URI                 delete an object (-r for a prefix)\n"
               "  cp SRC DST             copy between any schemes (-r, -j N, -q)\n"
               "  mb URI, rb URI         create, delete a bucket (s3://bucket)\n"
               "  datagen --size S       generated data, exact dedup and compress ratios\n"
               "  replay OPLOG           run an op-log's operations again (--speed X, --target)\n"
               "  oplog stats|convert    an op-log's summary; another format\n"
               "  tfrecord-index SRC     DALI index of TFRecord files (--verify: CRCs, -j N)\n"
               "  tfrecord-gen URI       a TFRecord file of generated records and its index\n"
               "\n"
               "Global options:\n"
               "  -v, -vv                log to stderr (info, debug)\n"
               "  -t, --threads N        OS threads, each with its own loop and Lua state\n"
               "                         (run: 1; cp, put, get -r, tfrecord-index: all cores)\n"
               "  --io-threads N         file I/O threads (default 2 per core, at least 4)\n"
               "  --endpoint-url URL     S3 endpoint (else AWS_ENDPOINT_URL, the profile, AWS)\n"
               "  --ca-bundle FILE       CA certificates for TLS (else AWS_CA_BUNDLE)\n"
               "  --op-log FILE          log every store operation (.tsv or .jsonl, + .zst)\n"
               "  --version              print the version\n"
               "  -h, --help             this help; `s3dlua CMD --help` for one command\n"
               "\n"
               "URIs: file:///path/, direct:///path/ (O_DIRECT), null://, s3://bucket/key\n");
}

/* Every op-log is written out once all threads are done; a log that could
 * not be written fails the run. */
static int logs_closed(int status)
{
    if (oplog_finish_all()) return status ? status : 1;
    return status;
}

static int default_threads(const char *cmd, int argc, char **argv)
{
    int data_moving =
        strcmp(cmd, "cp") == 0 || strcmp(cmd, "put") == 0 || strcmp(cmd, "tfrecord-index") == 0;
    if (strcmp(cmd, "get") == 0)
        for (int i = 0; i < argc; i++)
            if (strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "--recursive") == 0) data_moving = 1;
    if (!data_moving) return 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int main(int argc, char **argv)
{
    int threads = 0, i = 1;
    /* A peer that went away is an error to report (EPIPE), not a reason to die:
     * sockets written by libuv, a FIFO op-log whose reader quit, stdout piped
     * into head. libcurl protects its own writes; ours need this. */
    signal(SIGPIPE, SIG_IGN);
    /* File I/O runs on libuv's pool. Its size bounds the operations really in
     * flight at a device; more threads than that on few cores cost more in
     * wake-ups and lock traffic than they give on cached data (measured: 64
     * threads on 2 cores, 0.68x the IOPS of 4). 2 per core, at least 4; for a
     * deep device queue set UV_THREADPOOL_SIZE (or --io-threads). */
    if (!getenv("UV_THREADPOOL_SIZE")) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        char n[24];
        snprintf(n, sizeof n, "%ld", cpus * 2 > 4 ? (cpus * 2 < 1024 ? cpus * 2 : 1024) : 4);
        setenv("UV_THREADPOOL_SIZE", n, 0);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread starts */
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-v") == 0) {
            s3d_log_level += 1;
        } else if (strcmp(a, "-vv") == 0) {
            s3d_log_level += 2;
        } else if (strcmp(a, "-vvv") == 0) {
            s3d_log_level += 3; /* and libcurl's own trace of every request */
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (i + 1 >= argc || (threads = atoi(argv[i + 1])) < 1 || threads > 1024) {
                fprintf(stderr, "s3dlua: %s needs a thread count (1..1024)\n", a);
                return 2;
            }
            i++;
        } else if (strncmp(a, "--threads=", 10) == 0) {
            if ((threads = atoi(a + 10)) < 1 || threads > 1024) {
                fprintf(stderr, "s3dlua: --threads needs a count (1..1024)\n");
                return 2;
            }
        } else if (strcmp(a, "--io-threads") == 0) {
            if (i + 1 >= argc || atoi(argv[i + 1]) < 1 || atoi(argv[i + 1]) > 1024) {
                fprintf(stderr, "s3dlua: --io-threads needs a count (1..1024)\n");
                return 2;
            }
            setenv("UV_THREADPOOL_SIZE", argv[++i], 1);
        } else if (strcmp(a, "--endpoint-url") == 0 || strcmp(a, "--ca-bundle") == 0) {
            /* the stores read the AWS CLI's variables; the flags set them */
            if (i + 1 >= argc) {
                fprintf(stderr, "s3dlua: %s needs a value\n", a);
                return 2;
            }
            setenv(a[2] == 'e' ? "AWS_ENDPOINT_URL" : "AWS_CA_BUNDLE", argv[++i], 1);
        } else if (strcmp(a, "--op-log") == 0 || strncmp(a, "--op-log=", 9) == 0) {
            const char *path = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;
            char err[300];
            if (!path || !*path) {
                fprintf(stderr, "s3dlua: --op-log needs a file (.tsv, .jsonl, optionally .zst)\n");
                return 2;
            }
            if (!(oplog_default = oplog_acquire(path, err, sizeof err))) {
                fprintf(stderr, "s3dlua: --op-log %s\n", err);
                return 1;
            }
        } else if (strcmp(a, "--version") == 0) {
            printf("s3dlua %s (%s, libuv %s)\n", S3D_VERSION, LUAJIT_VERSION, uv_version_string());
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            break;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "-e") == 0) {
        if (i >= argc) {
            fprintf(stderr, "s3dlua: -e needs Lua code\n");
            return 2;
        }
        return logs_closed(
            run_jobs(MODE_EVAL, argv[i], argc - i - 1, argv + i + 1, threads ? threads : 1));
    }
    if (strcmp(cmd, "run") == 0) {
        if (i >= argc) {
            fprintf(stderr, "s3dlua: run needs a script (s3dlua run SCRIPT [ARGS...])\n");
            return 2;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: s3dlua [--threads N] run SCRIPT [ARGS...]\n\n"
                   "Runs SCRIPT once per thread (default 1). The script sees `arg` and `...`,\n"
                   "s3d.thread.id and s3d.thread.count. After all threads finish, named\n"
                   "histograms and counters are merged into thread 1 and its global done(),\n"
                   "if defined, is called there.\n");
            return 0;
        }
        return logs_closed(
            run_jobs(MODE_RUN, argv[i], argc - i - 1, argv + i + 1, threads ? threads : 1));
    }
    if (strcmp(cmd, "repl") == 0) {
        if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
            printf("usage: s3dlua repl\n\nInteractive Lua prompt; the s3dlua module is the "
                   "global s3d.\n`=expr` and bare expressions print their values.\n");
            return 0;
        }
        return logs_closed(run_repl());
    }
    if (strcmp(cmd, "help") == 0) {
        if (i >= argc) {
            usage(stdout);
            return 0;
        }
        cmd = argv[i++];
        static char help[] = "--help";
        char *hargv[] = {help};
        return run_jobs(MODE_CLI, cmd, 1, hargv, 1);
    }
    if (!threads) threads = default_threads(cmd, argc - i, argv + i);
    int status = logs_closed(run_jobs(MODE_CLI, cmd, argc - i, argv + i, threads));
    curl_global_cleanup();
    return status;
}
