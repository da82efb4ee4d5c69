#!/usr/bin/env bash
# End-to-end tests of tfrecord-gen and tfrecord-index: the index is byte for
# byte what DALI's tfrecord2idx writes (its algorithm, in Python, below), every
# record's two masked CRC-32Cs check with an independent Python CRC-32C (as
# TensorFlow checks them), the SRC/DST forms, -j and --threads, --verify,
# corrupt and truncated files, and the options' errors.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
command -v python3 >/dev/null || { echo "Bail out! python3 not found"; exit 1; }
U="file://$T"
# record counts (under valgrind: fewer)
if [ "${VALGRIND:-}" = 1 ]; then R=40; else R=300; fi

# DALI's tools/tfrecord2idx, its loop as it is: dali_idx.py TFRECORD INDEX
cat >dali_idx.py <<'PY'
import struct, sys

def create_index(tfrecord_file, index_file):
    infile = open(tfrecord_file, "rb")
    idx = open(index_file, "w")
    while True:
        current = infile.tell()
        byte_len = infile.read(8)
        if len(byte_len) == 0:
            break
        infile.read(4)
        proto_len = struct.unpack("q", byte_len)[0]
        infile.read(proto_len)
        infile.read(4)
        idx.write(str(current) + " " + str(infile.tell() - current) + "\n")
    infile.close()
    idx.close()

create_index(sys.argv[1], sys.argv[2])
PY

# An independent CRC-32C (table-driven, reflected polynomial 0x82F63B78) that
# checks both masked CRCs of every record, as TensorFlow's reader does:
# tfr_check.py FILE -> "N records ok" or the first bad record
cat >tfr_check.py <<'PY'
import struct, sys

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE.append(c)

def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF

def mask(c):
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

assert crc32c(b"123456789") == 0xE3069283
assert crc32c(bytes(32)) == 0x8A9136AA
assert crc32c(bytes(range(32))) == 0x46DD794E

data = open(sys.argv[1], "rb").read()
off, n = 0, 0
while off < len(data):
    if off + 12 > len(data):
        sys.exit("record %d at %d: truncated header" % (n, off))
    (length,) = struct.unpack("<Q", data[off:off + 8])
    (lcrc,) = struct.unpack("<I", data[off + 8:off + 12])
    if mask(crc32c(data[off:off + 8])) != lcrc:
        sys.exit("record %d at %d: bad length CRC" % (n, off))
    end = off + 12 + length
    if end + 4 > len(data):
        sys.exit("record %d at %d: truncated" % (n, off))
    (dcrc,) = struct.unpack("<I", data[end:end + 4])
    if mask(crc32c(data[off + 12:end])) != dcrc:
        sys.exit("record %d at %d: bad data CRC" % (n, off))
    off, n = end + 4, n + 1
print("%d records ok" % n)
PY

# flip FILE OFFSET: xors the byte at OFFSET with 0x20
flip() { python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
f = open(p, "r+b"); f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0x20])); f.close()' "$1" "$2"; }
# field LINE COL FILE: a field of the index
field() { sed -n "$1p" "$3" | cut -d' ' -f"$2"; }
dali() { python3 dali_idx.py "$1" "$2"; }

# --- DALI identity: tfrecord-gen files of every size distribution
mkdir gen
declare -A SPEC=(
    [fixed]="3KiB"
    [zero]="0"
    [uniform]="uniform:0:8KiB"
    [lognormal]="lognormal:4KiB:3KiB"
    [weighted]="weighted:0=1,17=2,4KiB=1,64KiB=0.25"
)
for name in fixed zero uniform lognormal weighted; do
    f=gen/$name.tfrecord
    s tfrecord-gen "$U/$f" --records "$R" --size "${SPEC[$name]}" --seed 5
    is "tfrecord-gen --size ${SPEC[$name]} exits 0" 0 "$rc"
    dali "$f" "$f.dali"
    is "$name: DALI's index has $R records" "$R" "$(wc -l <"$f.dali")"
    cmp -s "$f.dali" "$f.idx" && pass "$name: tfrecord-gen's own index == DALI's tfrecord2idx" ||
        fail "$name: tfrecord-gen's own index == DALI's tfrecord2idx" "$(cmp "$f.dali" "$f.idx" 2>&1)"
    s tfrecord-index "$U/$f" "$U/gen/$name.ours"
    is "$name: tfrecord-index exits 0" 0 "$rc"
    cmp -s "$f.dali" "gen/$name.ours" && pass "$name: tfrecord-index == DALI's tfrecord2idx" ||
        fail "$name: tfrecord-index == DALI's tfrecord2idx" "$(cmp "$f.dali" "gen/$name.ours" 2>&1)"
    s tfrecord-index "$U/$f" "$U/gen/$name.verified" --verify
    is "$name: tfrecord-index --verify exits 0" 0 "$rc"
    cmp -s "$f.dali" "gen/$name.verified" && pass "$name: tfrecord-index --verify == DALI's" ||
        fail "$name: tfrecord-index --verify == DALI's"
done
is "--size 0: every record is 16 bytes" "16" "$(cut -d' ' -f2 gen/zero.tfrecord.dali | sort -u)"
is "--size 3KiB: every record is 3072 + 16 bytes" "3088" "$(cut -d' ' -f2 gen/fixed.tfrecord.dali | sort -u)"
is "--size 3KiB: the file is $R x 3088 bytes" $((R * 3088)) "$(stat -c %s gen/fixed.tfrecord)"
zeros=$(awk '$2 == 16' gen/weighted.tfrecord.dali | wc -l)
[ "$zeros" -gt 0 ] && pass "weighted: has 0-byte records ($zeros)" || fail "weighted: has 0-byte records"
is "weighted: only the 4 sizes given" "16 33 4112 65552" "$(cut -d' ' -f2 gen/weighted.tfrecord.dali | sort -un | xargs)"
awk '{ s = $2 - 16; if (s < 0 || s > 8192) bad++ } END { exit bad > 0 }' gen/uniform.tfrecord.dali &&
    pass "uniform:0:8KiB: sizes within 0..8192" || fail "uniform:0:8KiB: sizes within 0..8192"
is "lognormal: sizes vary" 1 "$([ "$(cut -d' ' -f2 gen/lognormal.tfrecord.dali | sort -u | wc -l)" -gt $((R / 2)) ] && echo 1)"

# a file of more than 4 MiB (pieces of the scan)
s tfrecord-gen "$U/gen/big.tfrecord" --records 90 --size 50KiB --seed 1
is "tfrecord-gen of 4.4 MiB exits 0" 0 "$rc"
dali gen/big.tfrecord gen/big.dali
cmp -s gen/big.dali gen/big.tfrecord.idx && pass "4.4 MiB: tfrecord-gen's index == DALI's" || fail "4.4 MiB: tfrecord-gen's index == DALI's"
rm gen/big.tfrecord.idx
s tfrecord-index "$U/gen/big.tfrecord" --verify
is "4.4 MiB: tfrecord-index --verify exits 0" 0 "$rc"
cmp -s gen/big.dali gen/big.tfrecord.idx && pass "4.4 MiB: tfrecord-index == DALI's" || fail "4.4 MiB: tfrecord-index == DALI's"

# --- the CRCs, checked by an independent CRC-32C (what TensorFlow checks)
for name in weighted zero; do
    is "$name: every record's masked CRCs check (Python CRC-32C)" "$R records ok" "$(python3 tfr_check.py gen/$name.tfrecord 2>&1)"
done
s tfrecord-gen "$U/gen/crc.tfrecord" --records 60 --size uniform:0:9000 --seed 9 --compress 3
is "tfrecord-gen --compress 3 exits 0" 0 "$rc"
is "uniform with --compress 3: every record's masked CRCs check" "60 records ok" "$(python3 tfr_check.py gen/crc.tfrecord 2>&1)"
cp gen/crc.tfrecord gen/crc-bad.tfrecord
flip gen/crc-bad.tfrecord $(($(field 3 1 gen/crc.tfrecord.idx) + 12))
is "the Python checker catches a flipped byte (it is no rubber stamp)" \
    "record 2 at $(field 3 1 gen/crc.tfrecord.idx): bad data CRC" "$(python3 tfr_check.py gen/crc-bad.tfrecord 2>&1)"

# --- reproducibility
s tfrecord-gen "$U/gen/r1.tfrecord" --records 50 --size lognormal:2KiB:1KiB --seed 42
s tfrecord-gen "$U/gen/r2.tfrecord" --records 50 --size lognormal:2KiB:1KiB --seed 42
s tfrecord-gen "$U/gen/r3.tfrecord" --records 50 --size lognormal:2KiB:1KiB --seed 43
is "the same --seed gives the same file" "$(sha256sum <gen/r1.tfrecord)" "$(sha256sum <gen/r2.tfrecord)"
is "the same --seed gives the same index" "$(sha256sum <gen/r1.tfrecord.idx)" "$(sha256sum <gen/r2.tfrecord.idx)"
lacks "another --seed gives another file" "$(sha256sum <gen/r1.tfrecord)" "$(sha256sum <gen/r3.tfrecord)"
lacks "another --seed draws other sizes" "$(sha256sum <gen/r1.tfrecord.idx)" "$(sha256sum <gen/r3.tfrecord.idx)"
s tfrecord-gen "$U/gen/r4.tfrecord" --records 50 --size 1KiB --seed 42
s tfrecord-gen "$U/gen/r5.tfrecord" --records 50 --size 1KiB --seed 43
lacks "another --seed gives other data (fixed sizes)" "$(sha256sum <gen/r4.tfrecord)" "$(sha256sum <gen/r5.tfrecord)"
s tfrecord-gen "$U/gen/noidx.tfrecord" --records 5 --size 100 --no-index
is "tfrecord-gen --no-index exits 0" 0 "$rc"
[ -f gen/noidx.tfrecord ] && [ ! -e gen/noidx.tfrecord.idx ] && pass "--no-index writes the file and no .idx" ||
    fail "--no-index writes the file and no .idx" "$(ls gen/noidx*)"
is "--no-index: the file has 5 records of 116 bytes" 580 "$(stat -c %s gen/noidx.tfrecord)"
s tfrecord-gen "$U/gen/none.tfrecord" --records 0 --size 1KiB
is "tfrecord-gen --records 0 exits 0" 0 "$rc"
is "--records 0: an empty file and an empty index" "0 0" "$(stat -c %s gen/none.tfrecord gen/none.tfrecord.idx | xargs)"
s tfrecord-gen gen/plain.tfrecord --records 3 --size 10
is "tfrecord-gen to a plain path exits 0" 0 "$rc"
is "a plain path is a local file" "0 26
26 26
52 26" "$(cat gen/plain.tfrecord.idx)"

# --- the command line of tfrecord-index
mkdir one
cp gen/uniform.tfrecord one/u.tfrecord
s tfrecord-index "$U/one/u.tfrecord"
is "single file: exits 0" 0 "$rc"
is "single file: prints nothing" "" "$out$err"
cmp -s gen/uniform.tfrecord.dali one/u.tfrecord.idx && pass "single file: DST defaults to SRC.idx (DALI's)" ||
    fail "single file: DST defaults to SRC.idx (DALI's)" "$(ls one)"
s tfrecord-index "$U/one/u.tfrecord" "$U/elsewhere/deep/u.index"
is "explicit DST file: exits 0" 0 "$rc"
cmp -s gen/uniform.tfrecord.dali elsewhere/deep/u.index && pass "explicit DST file: written there (DALI's)" ||
    fail "explicit DST file: written there (DALI's)"
rm one/u.tfrecord.idx
s tfrecord-index one/u.tfrecord
is "a plain path: exits 0" 0 "$rc"
cmp -s gen/uniform.tfrecord.dali one/u.tfrecord.idx && pass "a plain path: SRC.idx beside it" || fail "a plain path: SRC.idx beside it"

# a prefix: every file but *.idx, one index each
mkdir -p tree/sub
for x in a b sub/c; do cp gen/weighted.tfrecord "tree/$x.tfrecord"; done
cp gen/lognormal.tfrecord tree/d.data
echo "stale" >tree/a.tfrecord.idx
s tfrecord-index "$U/tree/"
is "prefix/: exits 0" 0 "$rc"
is "prefix/: every file indexed, *.idx left out" "a.tfrecord
a.tfrecord.idx
b.tfrecord
b.tfrecord.idx
d.data
d.data.idx
sub/c.tfrecord
sub/c.tfrecord.idx" "$(cd tree && find . -type f | sed 's|^\./||' | sort)"
same=0
for x in a b sub/c; do cmp -s gen/weighted.tfrecord.dali "tree/$x.tfrecord.idx" && same=$((same + 1)); done
cmp -s gen/lognormal.tfrecord.dali tree/d.data.idx && same=$((same + 1))
is "prefix/: the 4 indexes are DALI's (the stale one replaced)" 4 "$same"
# DST a directory for many
s tfrecord-index "$U/tree/" "$U/idxdir/"
is "prefix/ DST/: exits 0" 0 "$rc"
is "prefix/ DST/: one index per file under DST, relative names kept" "a.tfrecord.idx
b.tfrecord.idx
d.data.idx
sub/c.tfrecord.idx" "$(cd idxdir && find . -type f | sed 's|^\./||' | sort)"
cmp -s gen/weighted.tfrecord.dali idxdir/sub/c.tfrecord.idx && pass "prefix/ DST/: sub/c's index is DALI's" ||
    fail "prefix/ DST/: sub/c's index is DALI's"
s tfrecord-index "$U/tree/" "$U/idxdir2"
is "prefix/ DST (no slash): exits 0" 0 "$rc"
is "prefix/ DST (no slash): DST is a directory" "a.tfrecord.idx b.tfrecord.idx d.data.idx sub/c.tfrecord.idx" \
    "$(cd idxdir2 2>/dev/null && find . -type f | sed 's|^\./||' | sort | xargs)"

# a glob
mkdir globd
for i in 1 2 3; do cp gen/fixed.tfrecord "globd/s$i.tfrecord"; done
cp gen/fixed.tfrecord globd/other.bin
s tfrecord-index "$U/globd/*.tfrecord"
is "glob: exits 0" 0 "$rc"
is "glob: only the matching files are indexed" "other.bin s1.tfrecord s1.tfrecord.idx s2.tfrecord s2.tfrecord.idx s3.tfrecord s3.tfrecord.idx" \
    "$(ls globd | xargs)"
same=0
for i in 1 2 3; do cmp -s gen/fixed.tfrecord.dali "globd/s$i.tfrecord.idx" && same=$((same + 1)); done
is "glob: the indexes are DALI's" 3 "$same"
mkdir globd/sub && cp gen/fixed.tfrecord globd/sub/deep.tfrecord
s tfrecord-index "$U/globd/*.tfrecord"
[ ! -e globd/sub/deep.tfrecord.idx ] && pass "glob: * stays within its directory, as in a shell" ||
    fail "glob: * stays within its directory, as in a shell"
s tfrecord-index "$U/globd/*/*.tfrecord"
cmp -s gen/fixed.tfrecord.dali globd/sub/deep.tfrecord.idx && pass "glob: */*.tfrecord reaches one level down" ||
    fail "glob: */*.tfrecord reaches one level down"
rm -rf globd/sub
mkdir noslash && cp gen/fixed.tfrecord noslash/n.tfrecord
s tfrecord-index "$U/noslash"
is "a directory named without its slash: exits 0" 0 "$rc"
cmp -s gen/fixed.tfrecord.dali noslash/n.tfrecord.idx && pass "a directory named without its slash is its prefix" ||
    fail "a directory named without its slash is its prefix"
s tfrecord-index "$U/globd/s[12].tfrecord" "$U/globout/"
is "glob DST/: exits 0" 0 "$rc"
is "glob DST/: the indexes under DST" "s1.tfrecord.idx s2.tfrecord.idx" "$(ls globout 2>/dev/null | xargs)"
s tfrecord-index "$U/globd/*.nomatch"
is "a glob matching nothing exits 1" 1 "$rc"
has "...and says so" "no files" "$err"

# -j 2 and --threads 2: every file indexed exactly once
mkdir many
for i in $(seq -w 1 12); do cp gen/lognormal.tfrecord "many/f$i.tfrecord"; done
s -v tfrecord-index "$U/many/" -j 2
is "-j 2: exits 0" 0 "$rc"
done_list=$(grep -o "tfrecord-index $U/many/[^ ]* -> [^:]*:[^:]*: $R records" <<<"$err" | sort)
is "-j 2: 12 files indexed" 12 "$(grep -c . <<<"$done_list")"
is "-j 2: none twice" "" "$(uniq -d <<<"$done_list")"
rm many/*.idx
s -v --threads 2 tfrecord-index "$U/many/" -j 2 --verify
is "--threads 2 -j 2 --verify: exits 0" 0 "$rc"
done_list=$(grep -o "tfrecord-index $U/many/[^ ]* -> [^:]*:[^:]*: $R records verified" <<<"$err" | sort)
is "--threads 2: 12 files indexed" 12 "$(grep -c . <<<"$done_list")"
is "--threads 2: none twice" "" "$(uniq -d <<<"$done_list")"
has "--threads 2: thread 1 indexed files" "s3dlua[1] info: tfrecord-index" "$err"
has "--threads 2: thread 2 indexed files" "s3dlua[2] info: tfrecord-index" "$err"
same=0
for f in many/*.tfrecord; do cmp -s gen/lognormal.tfrecord.dali "$f.idx" && same=$((same + 1)); done
is "--threads 2: the 12 indexes are DALI's" 12 "$same"

# --- bad files: exit 1, the record and its offset, no index
mkdir bad
cp gen/fixed.tfrecord bad/flip.tfrecord
off3=$(field 4 1 gen/fixed.tfrecord.dali) # record 3
flip bad/flip.tfrecord $((off3 + 12 + 100))
s tfrecord-index "$U/bad/flip.tfrecord"
is "a flipped data byte without --verify: exits 0" 0 "$rc"
cmp -s gen/fixed.tfrecord.dali bad/flip.tfrecord.idx && pass "...with DALI's index" || fail "...with DALI's index"
rm -f bad/flip.tfrecord.idx
s tfrecord-index "$U/bad/flip.tfrecord" --verify
is "a flipped data byte with --verify: exits 1" 1 "$rc"
has "--verify names the URI, record 3 and its offset" \
    "s3dlua: tfrecord-index $U/bad/flip.tfrecord: record 3 at offset $off3: the data's CRC does not match" "$err"
[ ! -e bad/flip.tfrecord.idx ] && pass "--verify failure leaves no .idx" || fail "--verify failure leaves no .idx"

cp gen/fixed.tfrecord bad/lflip.tfrecord
off5=$(field 6 1 gen/fixed.tfrecord.dali)
flip bad/lflip.tfrecord $((off5 + 1)) # 3072 ^ (0x20 << 8): a shorter length
s tfrecord-index "$U/bad/lflip.tfrecord" --verify
is "a flipped length byte with --verify: exits 1" 1 "$rc"
is "--verify: the length's CRC, record 5 and its offset" \
    "s3dlua: tfrecord-index $U/bad/lflip.tfrecord: record 5 at offset $off5: the length's CRC does not match (a corrupt length field, or not a TFRecord file)" "$err"
[ ! -e bad/lflip.tfrecord.idx ] && pass "...and no .idx" || fail "...and no .idx"

offlast=$(field "$R" 1 gen/fixed.tfrecord.dali) # record R-1
size=$(stat -c %s gen/fixed.tfrecord)
cut_at() { head -c "$2" gen/fixed.tfrecord >"bad/$1.tfrecord"; }
cut_at trunc-data $((offlast + 12 + 1000))
cut_at trunc-len $((offlast + 5))
cut_at trunc-foot $((size - 2))
for v in "" --verify; do
    for c in trunc-data trunc-len trunc-foot; do
        s tfrecord-index "$U/bad/$c.tfrecord" $v
        is "$c $v: exits 1" 1 "$rc"
        case $c in
        trunc-len) want="record $((R - 1)) at offset $offlast: the file ends inside its length field (5 of 12 header bytes)" ;;
        trunc-data) want="record $((R - 1)) at offset $offlast: length 3072 runs past the end of the file ($((offlast + 1012)) bytes): truncated, or a corrupt length" ;;
        trunc-foot) want="record $((R - 1)) at offset $offlast: length 3072 runs past the end of the file ($((size - 2)) bytes): truncated, or a corrupt length" ;;
        esac
        is "$c $v: the message names the record and its offset" "s3dlua: tfrecord-index $U/bad/$c.tfrecord: $want" "$err"
        [ ! -e "bad/$c.tfrecord.idx" ] && pass "$c $v: no .idx" || fail "$c $v: no .idx"
    done
done
# a huge length (with a valid length CRC), from the Python side
python3 - bad/huge.tfrecord <<'PY'
import struct, sys
exec(open("tfr_check.py").read().split("data = open")[0])
hl = struct.pack("<Q", 0x0FFFFFFFFFFFFFFF)
d = b"abc"
rec = struct.pack("<Q", 3) + struct.pack("<I", mask(crc32c(struct.pack("<Q", 3)))) + d + struct.pack("<I", mask(crc32c(d)))
open(sys.argv[1], "wb").write(rec + hl + struct.pack("<I", mask(crc32c(hl))) + b"x" * 40)
PY
s tfrecord-index "$U/bad/huge.tfrecord" --verify
is "a huge length: exits 1" 1 "$rc"
is "a huge length: named with record 1, offset 19" \
    "s3dlua: tfrecord-index $U/bad/huge.tfrecord: record 1 at offset 19: length 1152921504606846975 runs past the end of the file (71 bytes): truncated, or a corrupt length" "$err"
[ ! -e bad/huge.tfrecord.idx ] && pass "a huge length: no .idx" || fail "a huge length: no .idx"
is "failed indexes leave nothing behind in bad/ (no .idx, no temporary)" "" "$(ls -A bad | grep -e idx -e s3dlua-tmp)"
# a prefix with bad files among good ones
mkdir mixed
cp gen/fixed.tfrecord mixed/good1.tfrecord
cp gen/fixed.tfrecord mixed/good2.tfrecord
cp bad/trunc-len.tfrecord mixed/bad.tfrecord
s tfrecord-index "$U/mixed/" -j 2
is "a prefix with a bad file: exits 1" 1 "$rc"
has "...naming the bad file" "s3dlua: tfrecord-index $U/mixed/bad.tfrecord: record $((R - 1)) at offset $offlast" "$err"
is "...only once" 1 "$(grep -c 'tfrecord-index' <<<"$err")"
is "...the good files are indexed, the bad one not (and no temporary)" "bad.tfrecord good1.tfrecord good1.tfrecord.idx good2.tfrecord good2.tfrecord.idx" \
    "$(ls -A mixed | xargs)"
# an empty file, a missing file
: >bad/empty.tfrecord
s tfrecord-index "$U/bad/empty.tfrecord" --verify
is "a 0-byte file: exits 0" 0 "$rc"
is "a 0-byte file: an empty index" "0" "$(stat -c %s bad/empty.tfrecord.idx 2>&1)"
s tfrecord-index "$U/bad/missing.tfrecord"
is "a missing file: exits 1" 1 "$rc"
is "a missing file: named" "s3dlua: tfrecord-index $U/bad/missing.tfrecord: not found" "$err"
[ ! -e bad/missing.tfrecord.idx ] && pass "a missing file: no .idx" || fail "a missing file: no .idx"
s tfrecord-index
is "tfrecord-index without SRC exits 2" 2 "$rc"
has "...and says so" "tfrecord-index needs SRC [DST]" "$err"
s tfrecord-index a b c
is "tfrecord-index with 3 arguments exits 2" 2 "$rc"

# --- tfrecord-gen's errors: exit 2 and a message, nothing written
for spec in "uniform:1" "bogus:1:2" "weighted:4KiB" "weighted:4KiB=x" "uniform:5:1" "lots" "lognormal:1KiB"; do
    s tfrecord-gen "$U/e/x.tfrecord" --records 3 --size "$spec"
    is "--size $spec: exits 2" 2 "$rc"
    has "--size $spec: the message names it" "s3dlua: tfrecord-gen: --size $spec: " "$err"
done
s tfrecord-gen "$U/e/x.tfrecord" --records 3 --size bogus:1:2
has "--size bogus:1:2: unknown distribution" "unknown distribution 'bogus'" "$err"
s tfrecord-gen "$U/e/x.tfrecord" --records 3 --size uniform:1
has "--size uniform:1: needs two values" "uniform needs two values" "$err"
s tfrecord-gen "$U/e/x.tfrecord" --records 3 --size weighted:4KiB
has "--size weighted:4KiB: needs SIZE=WEIGHT" "weighted needs SIZE=WEIGHT" "$err"
s tfrecord-gen "$U/e/x.tfrecord" --size 1KiB
is "tfrecord-gen without --records exits 2" 2 "$rc"
has "...and says so" "--records N" "$err"
for r in -1 1.5 x; do
    s tfrecord-gen "$U/e/x.tfrecord" --records "$r" --size 1KiB
    is "tfrecord-gen --records $r exits 2" 2 "$rc"
done
s tfrecord-gen "$U/e/x.tfrecord" --records 3
is "tfrecord-gen without --size exits 2" 2 "$rc"
has "...and says so" "--size is needed" "$err"
s tfrecord-gen "$U/e/x.tfrecord" --records 3 --size 1KiB --compress 0
is "tfrecord-gen --compress 0 exits 2" 2 "$rc"
s tfrecord-gen "$U/e/x.tfrecord" --records 3 --size 1KiB --seed x
is "tfrecord-gen --seed x exits 2" 2 "$rc"
s tfrecord-gen --records 3 --size 1KiB
is "tfrecord-gen without URI exits 2" 2 "$rc"
is "failed tfrecord-gen commands wrote nothing" "" "$(ls -A e 2>/dev/null)"

finish
