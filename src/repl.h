/* repl.h: the interactive Lua prompt of `s3dlua repl` (lua.c's interactive mode). */
#ifndef S3D_REPL_H
#define S3D_REPL_H

#include <lua.h>

/* Reads Lua chunks from stdin and runs them on L until EOF, lua.c style: "> " and ">> "
 * prompts, multi-line statements, `=expr` and bare expressions print their values, errors go
 * to stderr with a traceback and the prompt goes on. With a terminal on stdin: libedit line
 * editing and history in ~/.s3dlua_history (last 1000 lines); otherwise plain reads, no prompt.
 * L is prepared by the caller (libraries, globals); its stack is left as it was found.
 * Returns the process exit status: 0 on EOF, 1 if reading stdin failed. */
int repl_run(lua_State *L);

#endif
