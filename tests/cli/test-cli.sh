#!/usr/bin/env bash
# End-to-end tests of the storage commands and the global options, on file://,
# direct:// and null://, against the real binary.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir -p src/sub/deep
printf 'hello world' >src/a.txt
printf 'bbb' >src/b.dat
printf 'deep' >src/sub/deep/c.dat
head -c 3000000 /dev/urandom >src/sub/big.bin
U="file://$T"

# --- help and version
s --help
is "--help exits 0" 0 "$rc"
has "--help lists the commands" "cp SRC DST" "$out"
for c in ls stat get put rm cp run repl; do
    s "$c" --help
    is "$c --help exits 0" 0 "$rc"
    has "$c --help shows its usage" "usage: s3dlua" "$out"
done
s help cp
has "help CMD shows that command" "usage: s3dlua cp" "$out"
s --version
has "--version names LuaJIT and libuv" "LuaJIT" "$out"
s
is "no command is a usage error (2)" 2 "$rc"
s frobnicate
is "an unknown command exits 2" 2 "$rc"
has "an unknown command is named" "unknown command 'frobnicate'" "$err"

# --- run and -e
cat >args.lua <<'LUA'
print(#arg, arg[0], arg[1], arg[2], ...)
LUA
s run args.lua x "y z"
is "run passes arg and ..." "2	args.lua	x	y z	x	y z" "$out"
s -e 'print(s3d.size("1KiB") + 1)'
is "-e runs code with s3d preloaded" 1025 "$out"
s -e 'error("bad thing")'
is "a script error exits 1" 1 "$rc"
has "a script error is printed with its place" "(command line):1: bad thing" "$err"
s run missing-script.lua
is "a missing script exits 1" 1 "$rc"
has "a missing script is named" "missing-script.lua" "$err"
s run args.lua && s -e 'return 3'
is "a script's returned number is the exit status" 3 "$rc"
s -e 's3d.spawn(function() error("task broke") end) print("main goes on")'
is "a failed task fails the run" 1 "$rc"
has "the main chunk still ran" "main goes on" "$out"
has "the task error is printed" "task broke" "$err"

# --- ls
s ls "$U/src/"
is "ls exits 0" 0 "$rc"
has "ls shows an object with its size" "11  $U/src/a.txt" "$out"
has "ls shows a directory as PRE" "PRE  $U/src/sub/" "$out"
lacks "ls is not recursive" "c.dat" "$out"
s ls "$U/src"
has "ls of a directory without / lists its contents" "$U/src/a.txt" "$out"
s ls -r "$U/src/"
has "ls -r lists nested objects" "$U/src/sub/deep/c.dat" "$out"
is "ls -r lists every object" 4 "$(echo "$out" | wc -l)"
s ls -r "$U/src/" --pattern '*.dat'
is "ls --pattern filters by name" "2" "$(echo "$out" | wc -l)"
has "--pattern keeps matches" "c.dat" "$out"
s ls -r "$U/src/" --regex '^sub/.*[.]bin$'
is "ls --regex filters by relative key" "$U/src/sub/big.bin" "$(echo "$out" | awk '{print $3}')"
s ls "$U/src/" --regex '('
is "a bad regex is a usage error" 2 "$rc"
has "a bad regex is named" "bad regex '('" "$err"
s ls --json "$U/src/"
has "ls --json gives the key" '"key":"a.txt"' "$out"
has "ls --json marks prefixes" '"is_prefix":true' "$out"
has "ls --json gives URIs unescaped" "\"uri\":\"$U/src/a.txt\"" "$out"
s ls src/
has "ls takes a plain local path" "$U/src/a.txt" "$out"
s ls "$U/nothing-here/"
is "ls of a missing directory exits 1" 1 "$rc"
has "ls of a missing directory says not found" "s3dlua: ls $U/nothing-here: not found" "$err"

# --- stat
s stat "$U/src/a.txt"
has "stat shows the size" "size:  11" "$out"
has "stat shows the type" "type:  object" "$out"
s stat --json "$U/src/a.txt"
has "stat --json" '"size":11' "$out"
s stat "$U/src/none"
is "stat of a missing object exits 1" 1 "$rc"
is "stat error names the URI" "s3dlua: stat $U/src/none: not found" "$err"

# --- get
s get "$U/src/a.txt"
is "get writes to stdout by default" "hello world" "$out"
s get "$U/src/a.txt" -o -
is "get -o - writes to stdout" "hello world" "$out"
s get "$U/src/sub/big.bin" -o got.bin
is "get -o FILE exits 0" 0 "$rc"
is "get -o FILE has the same bytes" "$(sha256sum <src/sub/big.bin | cut -c1-64)" "$(sha256sum <got.bin | cut -c1-64)"
s get "$U/src/a.txt" --offset 6 --length 3
is "get --offset --length reads a range" "wor" "$out"
s get "$U/src/a.txt" --offset 6
is "get --offset reads to the end" "world" "$out"
s get "$U/src/sub/big.bin" --offset 1MiB --length 4KiB -o part.bin
is "get range to a file with size units" "$(tail -c +1048577 src/sub/big.bin | head -c 4096 | sha256sum)" "$(sha256sum <part.bin)"
s get "$U/src/missing"
is "get of a missing object exits 1" 1 "$rc"
is "get error names command, URI and reason" "s3dlua: get $U/src/missing: not found" "$err"
s get "$U/src/a.txt" --offset 100
is "a range past the end exits 1" 1 "$rc"
has "a range past the end says so" "past the end" "$err"
s get "$U/src/sub"
is "get of a directory exits 1" 1 "$rc"
# a device or a link as the output is written through, never replaced
if [ "$(id -u)" = 0 ] && mknod devnull c 1 3 2>/dev/null; then
    s get "$U/src/a.txt" -o devnull
    [ -c devnull ] && pass "get -o a device writes to it and keeps it a device" ||
        fail "get -o a device replaced the device node"
fi
printf 'old' >target.txt && ln -s target.txt link.txt
s get "$U/src/a.txt" -o link.txt
[ -L link.txt ] && is "get -o a symlink writes its target and keeps the link" "hello world" "$(cat target.txt)" ||
    fail "get -o a symlink replaced the link"
s get "$U/src/a.txt" -o /dev/stdout
is "get -o /dev/stdout (a pipe here) works" "hello world" "$out"
s get -r "$U/src/sub/" -o dl
is "get -r exits 0" 0 "$rc"
is "get -r downloads the tree" "deep" "$(cat dl/deep/c.dat)"
cmp -s dl/big.bin src/sub/big.bin && pass "get -r copies big files intact" || fail "get -r copies big files intact"

# --- put
s put src/a.txt "$U/up/"
is "put FILE URI/ exits 0" 0 "$rc"
is "put to a prefix keeps the name" "hello world" "$(cat up/a.txt)"
s put src/b.dat "$U/up/renamed.dat"
is "put FILE URI names the object" "bbb" "$(cat up/renamed.dat)"
s put nosuchfile "$U/up/"
is "put of a missing file exits 1" 1 "$rc"
has "put of a missing file names it" "$U/nosuchfile: not found" "$err"
s put src/a.txt up2/
is "put needs a URI destination" 2 "$rc"

# --- cp across schemes
s cp -r "$U/src/" "$U/copy/" -j 4
is "cp -r exits 0" 0 "$rc"
diff -r src copy >/dev/null && pass "cp -r reproduces the tree" || fail "cp -r reproduces the tree"
s cp src/sub/big.bin "$U/one/big.bin"
cmp -s one/big.bin src/sub/big.bin && pass "cp of one file from a plain path" || fail "cp of one file"
s cp src/sub "$U/x/"
is "cp of a directory without -r exits 1" 1 "$rc"
has "cp of a directory says use -r" "is a directory (use -r)" "$err"
s cp "$U/src/a.txt" "null://sink/a"
is "cp to null:// exits 0" 0 "$rc"
s cp "null://gen/obj" "$U/fromnull.bin"
is "cp from null:// writes the generated object" 1048576 "$(stat -c %s fromnull.bin)"
s -q cp -r "$U/src/" "$U/quiet/"
is "unknown global -q is not accepted before the command" 2 "$rc"
s cp -q -r "$U/src/" "$U/quiet/"
is "cp -q is quiet" "" "$err"
s cp "$U/src/missing" "$U/x/"
is "cp of a missing source exits 1" 1 "$rc"
has "cp names the missing source" "$U/src/missing: not found" "$err"
s cp -j 0 src/a.txt "$U/x/"
is "cp -j 0 is a usage error" 2 "$rc"
s --threads 2 cp -r "$U/src/" "$U/threaded/"
diff -r src threaded >/dev/null && pass "cp with 2 threads copies every object once" || fail "cp with 2 threads"

# --- a large object streams in 4 MiB pieces, several fetched ahead while one is
# written (8 buffers for one object, 2 with -j 1): the same bytes either way
head -c 22000000 /dev/urandom >large.bin
for j in 16 1; do
    s cp -j "$j" large.bin "$U/large-$j/large.bin"
    is "cp -j $j of a 22 MB object exits 0" 0 "$rc"
    cmp -s large.bin "large-$j/large.bin" && pass "cp -j $j of a 22 MB object: same bytes" ||
        fail "cp -j $j of a 22 MB object: same bytes"
done
rm -rf large.bin large-16 large-1

# --- progress bar only on a terminal, only for copies that take a moment
head -c 30000000 /dev/zero >src2.bin 2>/dev/null
S3DLUA_PROGRESS_DELAY=0 script -qec "$S3DLUA cp -j 1 $T/src2.bin $U/tty/src2.bin" /dev/null >tty.out 2>&1
has "cp draws a progress bar on a terminal" "MiB/s" "$(tr '\r' '\n' <tty.out)"
has "the bar shows an ETA" "ETA" "$(cat tty.out)"
S3DLUA_PROGRESS_DELAY=0 s cp src2.bin "$U/notty/src2.bin"
lacks "no progress bar when stderr is not a terminal" "ETA" "$err"
rm -f src2.bin tty/src2.bin notty/src2.bin

# --- rm
s rm "$U/copy/a.txt"
is "rm exits 0" 0 "$rc"
[ ! -e copy/a.txt ] && pass "rm deletes the object" || fail "rm deletes the object"
s rm "$U/copy/a.txt"
is "rm of a missing object exits 1" 1 "$rc"
is "rm error names the URI" "s3dlua: rm $U/copy/a.txt: not found" "$err"
s rm "$U/copy/sub"
is "rm of a directory without -r exits 1" 1 "$rc"
s rm -r "$U/copy/"
is "rm -r exits 0" 0 "$rc"
[ ! -e copy ] && pass "rm -r removes the objects and the emptied directories" || fail "rm -r removes everything"

# --- direct:// (O_DIRECT) on a real file system, any size
D=$(mktemp -d /var/tmp/s3dlua-direct.XXXXXX)
s cp -r "$U/src/" "direct://$D/"
is "cp into direct:// exits 0" 0 "$rc"
diff -r src "$D" >/dev/null && pass "direct:// writes unaligned sizes intact" || fail "direct:// writes intact"
s get "direct://$D/sub/big.bin" --offset 4097 --length 10000 -o dpart.bin
is "direct:// unaligned range" "$(tail -c +4098 src/sub/big.bin | head -c 10000 | sha256sum)" "$(sha256sum <dpart.bin)"
s cp -r "direct://$D/" "$U/fromdirect/"
diff -r src fromdirect >/dev/null && pass "direct:// reads unaligned sizes intact" || fail "direct:// reads intact"
rm -rf "$D"
# A file system that refuses O_DIRECT (procfs here; tmpfs did before Linux 6.6)
if ! dd if=/proc/version of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
    s get direct:///proc/version
    is "direct:// where O_DIRECT is refused exits 1" 1 "$rc"
    has "direct:// says the file system refuses O_DIRECT" \
        "s3dlua: get direct:///proc/version: the file system refuses O_DIRECT" "$err"
fi

# --- URIs and schemes
s ls "gopher://x/y"
is "an unknown scheme exits 1" 1 "$rc"
has "an unknown scheme is named" "unknown scheme 'gopher'" "$err"
has "the whole URI is named" "gopher://x/y" "$err"

# --- logging
s -v cp src/a.txt "$U/logged/a.txt"
has "-v logs each copy" "info: cp $U/src/a.txt -> $U/logged/a.txt: 11 bytes" "$err"
s cp src/a.txt "$U/logged/b.txt"
is "without -v nothing is logged" "" "$err"
s -vv stat "$U/src/a.txt"
has "-vv logs every store operation with its time" "debug: HEAD $U/src/a.txt: 0 bytes in" "$err"
s -vv get "$U/src/none"
has "-vv logs failed operations with the reason" "$U/src/none: not found" "$err"

# --- threads: each runs the script; named stats merge into thread 1 for done()
cat >threads.lua <<'LUA'
local s3d = require "s3dlua"
local h = s3d.stats.histogram({ name = "lat" })
local c = s3d.stats.counter("ops")
for i = 1, 100 do h:record(s3d.thread.id * 1000); c:add(1) end
io.stdout:write(string.format("thread %d of %d\n", s3d.thread.id, s3d.thread.count))
function done() print("merged", h:count(), c:get(), h:min(), h:max()) end
LUA
s --threads 3 run threads.lua
has "every thread runs the script" "thread 3 of 3" "$out"
has "done() sees the merged histogram and counter" "merged	300	300	1000	3000" "$out"
s run threads.lua
has "one thread by default" "merged	100	100	1000	1000" "$out"
s --threads 0 run threads.lua
is "--threads 0 is a usage error" 2 "$rc"
finish
