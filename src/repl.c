/* repl.c: the interactive Lua prompt of `s3dlua repl` (lua.c's interactive mode on libedit). */
#include "repl.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
/* libedit's readline compatibility API rather than <histedit.h>: readline(), add_history(),
 * read_history() and write_history() are all we need, where the native el_*()/history() API
 * wants an EditLine, a History, a prompt callback and event structs for the same result.
 * Debian's libedit-dev installs it as <editline/readline.h> (needs only -I/usr/include). */
#include <editline/readline.h>

#define REPL_HISTORY_FILE ".s3dlua_history"
#define REPL_HISTORY_MAX  1000

struct repl {
    int tty;        /* stdin is a terminal: libedit, prompts, history */
    int eof;        /* EOF seen: never read again (a terminal would wait for more) */
    char *histfile; /* malloc'd path, NULL when there is no history file */
    char *buf;      /* getline() buffer for non-terminal input */
    size_t cap;
};

/* Message handler for every lua_pcall: the error message plus debug.traceback(). */
static int repl_traceback(lua_State *L)
{
    if (!lua_isstring(L, 1)) {
        /* Error objects with __tostring print as that, without a traceback (as lua.c). */
        if (luaL_callmeta(L, 1, "__tostring") && lua_isstring(L, -1)) return 1;
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        lua_replace(L, 1);
    }
    lua_getglobal(L, "debug");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "traceback");
        if (lua_isfunction(L, -1)) {
            lua_pushvalue(L, 1);
            lua_pushinteger(L, 2); /* skip this handler */
            lua_call(L, 2, 1);
            return 1;
        }
    }
    lua_settop(L, 1);
    return 1;
}

/* Calls the function below nargs arguments, protected. Stack: f args -> results or error. */
static int repl_docall(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs;
    int status;

    lua_pushcfunction(L, repl_traceback);
    lua_insert(L, base);
    status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

/* print() for results: the global tostring on each argument, tab-separated (as lua.c). */
static int repl_print(lua_State *L)
{
    int n = lua_gettop(L);

    lua_getglobal(L, "tostring");
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s;
        lua_pushvalue(L, -1);
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        s = lua_tolstring(L, -1, &len);
        if (s == NULL) return luaL_error(L, "'tostring' must return a string to 'print'");
        if (i > 1) fputc('\t', stdout);
        fwrite(s, 1, len, stdout);
        lua_pop(L, 1);
    }
    fputc('\n', stdout);
    fflush(stdout);
    return 0;
}

/* Prints the error message on top of the stack to stderr, after any pending output. */
static void repl_report(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);

    fflush(stdout);
    fprintf(stderr, "%s\n", msg ? msg : "(error object is not a string)");
    fflush(stderr);
}

/* Pushes the next input line without its newline; returns 0 (nothing pushed) at EOF. */
static int repl_pushline(lua_State *L, struct repl *r, int first)
{
    if (r->eof) return 0;
    if (r->tty) {
        char *line;
        fflush(stdout);
        line = readline(first ? "> " : ">> ");
        if (line == NULL) return r->eof = 1, 0;
        if (line[0] != '\0') {
            add_history(line);
            /* Saved at once, so that os.exit() and kills lose nothing. */
            if (r->histfile) write_history(r->histfile);
        }
        lua_pushstring(L, line);
        free(line);
    } else {
        ssize_t n = getline(&r->buf, &r->cap, stdin);
        if (n < 0) return r->eof = 1, 0;
        if (n > 0 && r->buf[n - 1] == '\n') n--;
        lua_pushlstring(L, r->buf, (size_t)n);
    }
    return 1;
}

/* A syntax error at '<eof>' means the chunk is unfinished: read another line (lua.c). */
static int repl_incomplete(lua_State *L, int status)
{
    static const char mark[] = "'<eof>'";
    size_t len, mlen = sizeof mark - 1;
    const char *msg;

    if (status != LUA_ERRSYNTAX) return 0;
    msg = lua_tolstring(L, -1, &len);
    return len >= mlen && memcmp(msg + len - mlen, mark, mlen) == 0;
}

/* Compiles pre .. code .. post as chunk "=stdin"; pushes the function or the error message. */
static int repl_loadwith(lua_State *L, const char *pre, const char *code, size_t len,
                         const char *post)
{
    size_t n;
    const char *s;
    int status;

    lua_pushstring(L, pre);
    lua_pushlstring(L, code, len);
    lua_pushstring(L, post);
    lua_concat(L, 3);
    s = lua_tolstring(L, -1, &n);
    status = luaL_loadbuffer(L, s, n, "=stdin");
    lua_remove(L, -2);
    return status;
}

/* Expressions return their values through a call, so that a bare f() is no tail call: LuaJIT
 * would drop the chunk's frame and error("x") would lose "stdin:1:" and the traceback its
 * main chunk. "\n)" survives a trailing comment. */
#define REPL_EXPR_PRE  "return (function(...) return ... end)("
#define REPL_EXPR_POST "\n)"

/* Reads and compiles one chunk, however many lines it takes. Returns -1 at EOF (nothing
 * pushed), else the luaL_loadbuffer status with the function or the error message pushed.
 * "=expr" is always an expression; other code is one if it compiles as one (lua 5.3). */
static int repl_load(lua_State *L, struct repl *r)
{
    int status;

    if (!repl_pushline(L, r, 1)) return -1;
    for (;;) { /* stack: code */
        size_t len;
        const char *code = lua_tolstring(L, -1, &len);
        int expr = len > 0 && code[0] == '=';

        if (expr) code++, len--;
        status = repl_loadwith(L, REPL_EXPR_PRE, code, len, REPL_EXPR_POST);
        if (status == 0) break;
        lua_pop(L, 1);
        /* Compiled again unwrapped, for an error message that speaks of the user's code. */
        status = repl_loadwith(L, expr ? "return " : "", code, len, "");
        /* Done unless unfinished; at EOF, the unfinished chunk's error is reported. */
        if (!repl_incomplete(L, status) || !repl_pushline(L, r, 0)) break;
        lua_remove(L, -2); /* the error: stack is code line */
        lua_pushliteral(L, "\n");
        lua_insert(L, -2);
        lua_concat(L, 3);
    }
    lua_remove(L, -2);
    return status;
}

/* Opens libedit's history: ~/.s3dlua_history, created private (lines may hold secrets). */
static void repl_history_open(struct repl *r)
{
    const char *home = getenv("HOME");
    size_t n;
    int fd;

    rl_readline_name = "s3dlua"; /* for "s3dlua:" lines in ~/.editrc */
    using_history();
    stifle_history(REPL_HISTORY_MAX);
    if (home == NULL || home[0] == '\0') return;
    n = strlen(home) + sizeof "/" REPL_HISTORY_FILE;
    if ((r->histfile = malloc(n)) == NULL) return;
    snprintf(r->histfile, n, "%s/%s", home, REPL_HISTORY_FILE);
    if ((fd = open(r->histfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0) close(fd);
    read_history(r->histfile); /* an empty or unreadable file just means no history */
}

int repl_run(lua_State *L)
{
    struct repl r = {0};
    int top = lua_gettop(L);
    int status, rc = 0;

    r.tty = isatty(STDIN_FILENO);
    if (r.tty) repl_history_open(&r);
    while ((status = repl_load(L, &r)) != -1) {
        if (status == 0) status = repl_docall(L, 0, LUA_MULTRET);
        if (status == 0 && lua_gettop(L) > top) {
            lua_pushcfunction(L, repl_print);
            lua_insert(L, top + 1);
            status = repl_docall(L, lua_gettop(L) - top - 1, 0);
        }
        if (status != 0) repl_report(L);
        lua_settop(L, top);
    }
    if (r.tty) {
        fputc('\n', stdout); /* leave the shell's prompt on a line of its own */
    } else if (ferror(stdin)) {
        perror("s3dlua repl: stdin");
        rc = 1;
    }
    fflush(stdout);
    free(r.buf);
    free(r.histfile);
    return rc;
}
