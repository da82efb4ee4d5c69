#!/usr/bin/env bash
# test-repl.sh: `s3dlua repl` on piped input (no prompts, lua.c-style printing and errors). TAP.
# Usage: S3DLUA=./s3dlua tests/cli/test-repl.sh
set -u
S3DLUA=${S3DLUA:-./s3dlua}
command -v "$S3DLUA" >/dev/null || { echo "Bail out! $S3DLUA not found"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# repl INPUT: runs the REPL on INPUT; sets out, err (trailing newlines stripped) and rc.
repl() {
    printf '%s' "$1" | HOME="$tmp" "$S3DLUA" repl >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# check WHAT EXPECTED ACTUAL: passes when both are equal.
check() {
    n=$((n + 1))
    if [ "$2" = "$3" ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        printf '#   expected: %q\n#   got:      %q\n' "$2" "$3"
        failed=$((failed + 1))
    fi
}

# check_has WHAT NEEDLE HAYSTACK: passes when HAYSTACK contains NEEDLE.
check_has() {
    case "$3" in
    *"$2"*) check "$1" "$2" "$2" ;;
    *) check "$1" "...$2..." "$3" ;;
    esac
}

repl $'1 + 2\n"a", nil, 3\n'
check "bare expression prints its values, tab-separated" $'3\na\tnil\t3' "$out"
check "bare expression: nothing on stderr, status 0" "0:" "$rc:$err"

repl $'x = 20\n=x + 1\n= x -- a comment\n'
check "=expr prints its value" $'21\n20' "$out"

repl $'local y = 5\nz = 6\n'
check "statements run silently" "" "$out$err"

repl $'for i = 1, 3 do\n  print(i)\nend\n'
check "multi-line for loop" $'1\n2\n3' "$out"

repl $'x = 1 +\n 2\n=x\ns = [[a\nb]]\n=s\n'
check "unfinished statements read more lines" $'3\na\nb' "$out"

repl $'error("boom")\nprint("after")\n'
check "runtime error: the REPL goes on" "after" "$out"
check_has "runtime error: message on stderr" "stdin:1: boom" "$err"
check_has "runtime error: traceback on stderr" "stack traceback:" "$err"
check "runtime error: EOF still exits 0" 0 "$rc"

repl $'x = = 1\n=1\n'
check_has "syntax error on stderr" "stdin:1: unexpected symbol near '='" "$err"
check "syntax error: the REPL goes on" "1" "$out"

repl $'=type(s3d)\n'
check "s3d is a table" "table" "$out"

repl "=#'$(head -c 10000 /dev/zero | tr '\0' x)'"
check "a 10000-byte line without a final newline" "10000" "$out"

repl $'for i = 1, 2 do\n'
check_has "EOF inside a statement reports it" "'end' expected near '<eof>'" "$err"

repl $'print("bye")\nos.exit(3)\nprint("not reached")\n'
check "os.exit() sets the exit status" "bye:3" "$out:$rc"

st="s3d.open(\"file://$tmp/store/\")"
repl "$(printf '%s:put("k.txt", "stored")\n=#%s:ls()\n=%s:get("k.txt"):tostring()\n' "$st" "$st" "$st")"
check "store calls block at the prompt (put prints its byte count)" $'6\n1\nstored' "$out"

# on a terminal: libedit, prompts and a history file (script(1) gives the REPL a pty)
# Input is written only once the prompt shows: libedit flushes typed-ahead input when it
# sets the terminal up, and a slow start (valgrind) would lose it and wait forever.
mkfifo "$tmp/tty.in"
HOME="$tmp" timeout 120 script -qec "$S3DLUA repl" /dev/null <"$tmp/tty.in" >"$tmp/tty.out" 2>&1 &
ttypid=$!
exec 3>"$tmp/tty.in"
wait_for() { # wait_for TEXT: until the terminal shows TEXT (60 s at most)
    local i
    for ((i = 0; i < 600; i++)); do
        grep -q -- "$1" "$tmp/tty.out" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
wait_for "> "
printf 'x = 41\n=x + 1\n' >&3
wait_for 42
printf 'os.exit(0)\n' >&3
exec 3>&-
wait "$ttypid"
tty_out=$(tr -d '\r' <"$tmp/tty.out")
check_has "on a terminal the prompt is shown" "> " "$tty_out"
check_has "on a terminal expressions print" "42" "$tty_out"
check_has "on a terminal lines go to ~/.s3dlua_history" "41" "$(cat "$tmp/.s3dlua_history" 2>/dev/null)"

echo "1..$n"
[ "$failed" -eq 0 ]
