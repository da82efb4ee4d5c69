# oplog-fixtures.sh - foreign op-logs written by hand, shared by the reader's
# tests (test-oplog-read.sh checks every value of them; test-timers-reader.sh
# reads them in both of the reader's modes), and logs with bad lines for the
# error checks of both. Source it, then call write_foreign_logs or
# write_bad_logs in the directory that is to hold them; write_bad_logs also
# leaves H (our header) and good (one of our lines) for the caller.
write_foreign_logs() {
# warp (current): 15 columns, tab-separated though named .csv.zst, RFC3339Nano
# with a local offset and the fraction's trailing zeros trimmed (none when 0),
# comment lines (# ...) at the top and at the end
printf '%s\n' \
    $'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tlast_byte\tend\tduration_ns\tcat' \
    '# warp comment above the entries' \
    $'0\t1\tPUT\tclient-1\t1\t4096\thttp://10.0.0.1:9000\tbench/obj.1\t\t2024-03-05T10:20:30.5+01:00\t\t\t2024-03-05T10:20:30.625+01:00\t125000000\t0' \
    $'1\t2\tGET\tclient-1\t1\t4096\thttp://10.0.0.2:9000\tbench/obj.1\t\t2024-03-05T10:20:31.123+01:00\t2024-03-05T10:20:31.1235+01:00\t2024-03-05T10:20:31.124+01:00\t2024-03-05T10:20:31.124001+01:00\t1001000\t1' \
    $'2\t1\tSTAT\tclient-2\t1\t0\thttp://10.0.0.1:9000\tbench/obj.1\t\t2024-03-05T10:20:32+01:00\t\t\t2024-03-05T10:20:32.000001+01:00\t1000\t2' \
    $'3\t3\tDELETE\tclient-2\t1\t0\thttp://10.0.0.1:9000\tbench/obj.1\tAccess Denied.\t2024-03-05T23:59:59.999999+01:00\t\t\t2024-03-06T00:00:00.000001+01:00\t2000\t3' \
    $'4\t4\tLIST\tclient-2\t25\t0\thttp://10.0.0.1:9000\tbench/\t\t2024-07-15T08:30:00.25+05:30\t\t\t2024-07-15T08:30:00.5+05:30\t250000000\t4' \
    '# Warp version: 1.0.0 - 1a2b3c4' \
    $'# Cmdline: warp get --duration=1m\twith a tab' | zstd -q -c >warp.csv.zst
# warp (legacy): 11 columns, negative offset, a leap day
printf '%s\n' \
    $'idx\tthread\top\tn_objects\tbytes\tfile\terror\tstart\tfirst_byte\tend\tduration_ns' \
    $'0\t7\tGET\t1\t1048576\twarp/obj-a\t\t2020-02-29T23:59:59.75-04:00\t2020-03-01T00:00:00.000000123-04:00\t2020-03-01T00:00:00.5-04:00\t750000000' \
    $'1\t8\tPUT\t1\t10\twarp/obj-b\tio: timeout\t2020-03-01T04:00:00Z\t\t2020-03-01T04:00:00.000001Z\t1000' >legacy.csv
# s3dlio: our 13 columns
printf '%s\n' \
    $'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns' \
    $'0\t12\tGET\t\t1\t262144\thttps://s3.example.com\ts3://bkt/data/f0.npz\t\t2025-06-01T12:00:00.000000001Z\t2025-06-01T12:00:00.010000000Z\t2025-06-01T12:00:00.020000001Z\t20000000' \
    $'1\t13\tSTAT\t\t1\t0\thttps://s3.example.com\ts3://bkt/data/f1.npz\t\t2025-06-01T12:00:00.500000000Z\t\t2025-06-01T12:00:00.500100000Z\t100000' \
    $'2\t12\tLIST\t\t7\t0\thttps://s3.example.com\ts3://bkt/data/\t\t2025-06-01T12:00:01.000000000Z\t\t2025-06-01T12:00:01.003000000Z\t3000000' \
    $'3\t13\tPUT\t\t1\t1000\thttps://s3.example.com\ts3://bkt/out/x\tHTTP 500\t2025-06-01T12:00:01.100000000Z\t\t2025-06-01T12:00:01.200000000Z\t100000000' >s3dlio.tsv
# the minimal 6 columns: no end (start + duration_ns), no idx/thread
printf '%s\n' \
    $'op\tfile\tbytes\tstart\tduration_ns\terror' \
    $'GET\ts3://b/k1\t10\t2024-01-01T00:00:00.25Z\t5000\t' \
    $'PUT\ts3://b/k2\t5\t2023-12-31T23:59:59.5Z\t750000000\tHTTP 503 SlowDown' \
    $'HEAD\ts3://b/k3\t0\t2024-01-01T00:00:01Z\t0\t' >minimal.tsv
# comma-separated: no duration_ns (end - start)
printf '%s\n' \
    'idx,thread,op,n_objects,bytes,file,error,start,first_byte,end' \
    '0,1,GET,1,2048,bkt/a,,2000-01-01T00:00:00.000002Z,2000-01-01T00:00:00.000003Z,2000-01-01T00:00:00.00001Z' \
    '1,2,STAT,1,0,bkt/b,NoSuchKey,1999-12-31T23:59:59.9Z,,2000-01-01T00:00:00.1Z' \
    '2,1,DELETE,1,0,bkt/c,,2000-01-01T01:00:00+01:00,,2000-01-01T01:00:00.5+01:00' >comma.csv
# comma-separated with CRLF line ends
printf 'op,file,bytes,start,end\r\nGET,bkt/x,1,2024-01-01T00:00:00Z,2024-01-01T00:00:00.001Z\r\nPUT,bkt/y,2,2024-01-01T00:00:01Z,2024-01-01T00:00:01.002Z\r\n' >crlf.csv
# header names in any case, and the aliases Operation, T_START, Start_Time
printf '%s\n' \
    $'Operation\tFILE\tBytes\tT_START\tDuration_NS\tERROR' \
    $'GET\tk/1\t100\t2024-01-01T00:00:00.000001Z\t999\t' \
    $'STAT\tk/2\t0\t2024-01-01T00:00:02Z\t1\tnot found' >alias.tsv
printf '%s\n' \
    'OP,File,BYTES,Start_Time,END,Thread,IDX' \
    'PUT,k/3,3,2024-01-01T00:00:03Z,2024-01-01T00:00:03.5Z,4,9' >alias2.csv
# JSONL from another tool: spaces, fields in another order, an unknown field,
# JSON escapes (\n \t \" \\ \/ \u00e9, a surrogate pair for U+1F600)
printf '%s\n' \
    '{"op": "GET", "file": "s3://b/line\nbreak\ttab \"q\" back\\slash \u00e9 \/", "bytes": 12, "start": "2024-01-01T00:00:00.5Z", "end": "2024-01-01T00:00:01Z", "idx": 3, "thread": 2, "extra": "ignored", "n_objects": 1, "error": "", "first_byte": null}' \
    '{"idx":4,"op":"PUT","file":"emoji \ud83d\ude00","start":"2024-01-01T00:00:02Z","duration_ns":7}' >foreign.jsonl
: >empty.tsv
printf '%s\n' $'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns' >header-only.tsv
}

# H: our header; good IDX BYTES SECOND: one of our lines. Then badnum.tsv
# (bytes '12x' on line 3), badtime.tsv, badfb.csv.zst, count.tsv (12 fields),
# notlog.csv, notlog2.txt, bad.jsonl, mixed.tsv(.zst), corrupt.tsv.zst,
# trunc.tsv.zst.
write_bad_logs() {
H=$'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tend\tduration_ns'
good() { # good IDX BYTES SECOND: one of our lines
    printf '%s\t1\tGET\t\t1\t%s\t\tnull://k%s\t\t2024-01-01T00:00:%02d.5Z\t\t2024-01-01T00:00:%02d.75Z\t250000000\n' \
        "$1" "$2" "$1" "$3" "$3"
}
{
    echo "$H"
    good 0 10 1
    printf '1\t1\tGET\t\t1\t12x\t\tnull://bad\t\t2024-01-01T00:00:02Z\t\t2024-01-01T00:00:03Z\t1000000000\n'
    good 2 20 3
} >badnum.tsv
{
    echo "$H"
    good 0 10 1
    good 1 11 2
    printf '2\t1\tGET\t\t1\t5\t\tnull://bad\t\t2024-01-01 00:00:02\t\t2024-01-01T00:00:03Z\t1000000000\n'
} >badtime.tsv
# warp, compressed, a comment line: the bad first_byte (offset without ':') is on line 4
printf '%s\n' \
    $'idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\terror\tstart\tfirst_byte\tlast_byte\tend\tduration_ns\tcat' \
    '# comment' \
    $'0\t1\tGET\tc\t1\t1\te\tf\t\t2024-03-05T10:20:31+01:00\t2024-03-05T10:20:31.1+01:00\t\t2024-03-05T10:20:32+01:00\t1000000000\t0' \
    $'1\t1\tGET\tc\t1\t1\te\tf\t\t2024-03-05T10:20:31+01:00\t2024-03-05T10:20:31.1+0100\t\t2024-03-05T10:20:32+01:00\t1000000000\t0' |
    zstd -q -c >badfb.csv.zst
{
    echo "$H"
    good 0 10 1
    printf '1\t1\tGET\t\t1\t5\t\tnull://short\t\t2024-01-01T00:00:02Z\t\t2024-01-01T00:00:03Z\n'
} >count.tsv
printf 'name,age\nbob,3\n' >notlog.csv
printf '# hello\n\nsome text\there\n' >notlog2.txt
# JSONL: a number that is not one (line 2), a broken object (line 3)
{
    echo '{"idx":0,"thread":1,"op":"GET","client_id":"","n_objects":1,"bytes":7,"endpoint":"","file":"j0","error":"","start":"2024-01-01T00:00:00Z","first_byte":null,"end":"2024-01-01T00:00:01Z","duration_ns":1000000000}'
    echo '{"idx":1,"thread":1,"op":"GET","client_id":"","n_objects":1,"bytes":"7x","endpoint":"","file":"j1","error":"","start":"2024-01-01T00:00:00Z","first_byte":null,"end":"2024-01-01T00:00:01Z","duration_ns":1000000000}'
    echo '{"idx":2,"thread":1,"op":"GET",'
    echo '{"idx":3,"thread":1,"op":"PUT","client_id":"","n_objects":1,"bytes":8,"endpoint":"","file":"j3","error":"","start":"2024-01-01T00:00:02Z","first_byte":null,"end":"2024-01-01T00:00:03Z","duration_ns":1000000000}'
} >bad.jsonl
# good and bad lines mixed: good on 2, 4, 7; bad number 3, bad time 5, 12 fields 6
{
    echo "$H"
    good 0 100 1
    printf '1\t1\tGET\t\t1\tx\t\tnull://b1\t\t2024-01-01T00:00:02Z\t\t2024-01-01T00:00:03Z\t1000000000\n'
    good 2 200 4
    printf '3\t1\tGET\t\t1\t5\t\tnull://b3\t\tnever\t\t2024-01-01T00:00:03Z\t1000000000\n'
    printf '4\t1\tGET\t\t1\t5\t\tnull://b4\t\t2024-01-01T00:00:02Z\t\t2024-01-01T00:00:03Z\n'
    good 5 300 6
} >mixed.tsv
zstd -q -c mixed.tsv >mixed.tsv.zst
# corrupt .zst: a whole frame of 1000 lines (header + 999 entries), then bytes
# that are not zstd
{
    echo "$H"
    for i in $(seq 0 998); do good "$i" "$i" $((i % 60)); done
} | zstd -q -c >corrupt.tsv.zst
head -c 64 /dev/urandom | tr '\000-\377' '\100-\177\100-\177\100-\177\100-\177' >>corrupt.tsv.zst
# truncated .zst: a frame ending inside a number ("...\t1234"), then a frame cut
# after its header (the rest of the line, "56789\n" and more, never arrives)
printf 'op\tfile\tstart\tduration_ns\nGET\tk1\t2024-01-01T00:00:00Z\t111\nGET\tk2\t2024-01-01T00:00:01Z\t1234' |
    zstd -q -c >trunc.tsv.zst
printf '56789\nGET\tk3\t2024-01-01T00:00:02Z\t333\n' | zstd -q -c | head -c 6 >>trunc.tsv.zst
}
