/* stats.h - the s3dlua.stats Lua module (HDR latency histograms, counters, rate meters) and
 * the merge of one thread's results into another's.
 *
 * Every histogram and counter created in a lua_State is registered in that state under its
 * name (unnamed ones get "#<creation index>"), so results of threads running the same script
 * can be merged by name after the threads have joined. The registry holds them until the
 * state closes (results outlive the script's locals), so create histograms once, not per
 * operation: each one costs ~90 KB (default preset) to ~1 MB (inference). */
#ifndef S3D_STATS_H
#define S3D_STATS_H
#include <lua.h>

/* Opens the module: pushes the table {histogram, counter, rate, histograms, counters}.
 * Returns 1 (one value on the stack); raises on out-of-memory. */
int luaopen_s3dlua_stats(lua_State *L);

/* Adds every named histogram and counter of src into the same-named one of dst, creating it
 * in dst (same layout) when missing. Histograms of the same layout add exactly; others are
 * re-binned into dst's layout. Both states must be idle (no thread running in either); src
 * is only read. Never fails except on out-of-memory, which raises a Lua error in dst: call it
 * under lua_cpcall if that must not end the process. */
void stats_merge_states(lua_State *dst, lua_State *src);
#endif
