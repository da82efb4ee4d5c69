#!/bin/sh
# Runs a program under valgrind; any memory error or definite leak makes it
# exit 99 (which tests/run.sh counts as a failure). Usage: valgrind.sh PROG ARGS...
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --suppressions="$(dirname "$0")/valgrind.supp" "$@"
