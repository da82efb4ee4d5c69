#!/usr/bin/env bash
# End-to-end tests of generated data (datagen, put --num) measured with real
# tools: zstd for the compression ratio, sha256 of 1 MiB blocks for dedup,
# and the files put --num writes on file://.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
command -v zstd >/dev/null || { echo "Bail out! zstd not found (tests/install-deps.sh installs it)"; exit 1; }
MiB=1048576
# sizes in MiB: of the compression runs, and of the dedup runs (under valgrind: smaller)
if [ "${VALGRIND:-}" = 1 ]; then CSIZE=64 DSIZE=16; else CSIZE=256 DSIZE=64; fi
U="file://$T"

# sha256 of each 1 MiB block of standard input, in order, one a line
block_hashes() { split -b "$MiB" --filter='sha256sum' - | awk '{print $1}'; }
# ratio A B: A/B with 3 decimals; near R WANT TOL: R within TOL (a fraction) of WANT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
near() { awk -v r="$1" -v want="$2" -v tol="$3" 'BEGIN { exit !(r >= want * (1 - tol) && r <= want * (1 + tol)) }'; }
# sha256 of the files of directory $1, as "name hash" lines sorted by name
dir_hashes() { (cd "$1" && sha256sum -- * | awk '{print $2, $1}' | sort); }
# checks that the objects of a put --num verify against the Lua generator:
# verify.lua PREFIX_URI TEMPLATE NUM SIZE SEED [DEDUP COMPRESS] prints the bad ones
cat >verify.lua <<'LUA'
local prefix, tmpl, num, size, seed, dedup, compress = ...
num = tonumber(num)
local st = assert(s3d.open(prefix))
local bad = {}
for i = 0, num - 1 do
  local vals, k = { i, num }, 0
  local key = tmpl:gsub("{}", function() k = k + 1 return tostring(vals[k]) end)
  local opts = { size = size, seed = seed, index = i, dedup = tonumber(dedup), compress = tonumber(compress) }
  local buf, err = st:get(key)
  if not buf then
    bad[#bad + 1] = key .. ": " .. tostring(err)
  else
    local ok, at = s3d.datagen.verify(buf, opts, 0)
    if not ok then bad[#bad + 1] = key .. ": wrong byte at " .. tostring(at) end
    if #buf ~= s3d.size(size) then bad[#bad + 1] = key .. ": " .. #buf .. " bytes" end
  end
end
print(#bad == 0 and "all verified" or table.concat(bad, "; "))
LUA

# --- compression ratios, as zstd -3 measures them
for N in 1 2 3 4 5 6 7 8; do
    csize=$("$S3DLUA" datagen --size "${CSIZE}MiB" --compress "$N" --seed "$N" | zstd -3 -q -c | wc -c)
    st=("${PIPESTATUS[@]}")
    is "datagen --compress $N exits 0" 0 "${st[0]}"
    r=$(ratio $((CSIZE * MiB)) "$csize")
    if near "$r" "$N" 0.10; then
        pass "compress $N: zstd -3 ratio $r is within 10% of $N"
    else
        fail "compress $N: zstd -3 ratio within 10% of $N" "${CSIZE} MiB -> $csize bytes: ratio $r"
    fi
    if [ "$N" = 1 ]; then
        if awk -v c="$csize" -v s=$((CSIZE * MiB)) 'BEGIN { exit !(c >= 0.99 * s) }'; then
            pass "compress 1 is incompressible ($csize of $((CSIZE * MiB)) bytes)"
        else
            fail "compress 1 compresses to >= 0.99 of the size" "$((CSIZE * MiB)) -> $csize bytes"
        fi
    fi
done

# --- dedup: distinct 1 MiB blocks by sha256
for N in 1 2 4 7; do
    "$S3DLUA" datagen --size "${DSIZE}MiB" --dedup "$N" --seed 3 | block_hashes >"h$N"
    u=$(((DSIZE + N - 1) / N))
    is "dedup $N: ${DSIZE} blocks of 1 MiB" "$DSIZE" "$(wc -l <"h$N")"
    is "dedup $N: ceil($DSIZE/$N) = $u distinct blocks" "$u" "$(sort -u "h$N" | wc -l)"
    # block i is block (i mod u)
    is "dedup $N: block i == block (i mod $u)" 0 \
        "$(awk -v u="$u" '{ h[NR - 1] = $1 } END { bad = 0; for (i = 0; i < NR; i++) if (h[i] != h[i % u]) bad++; print bad }' "h$N")"
done
# a size that is not a whole number of blocks: 20 MiB + 4097, dedup 4 -> 21
# blocks, ceil(21/4) = 6 unique; the cut last block (block 20) is the start of block 20 mod 6 = 2
"$S3DLUA" datagen --size $((20 * MiB + 4097)) --dedup 4 --seed 8 >cut.bin
is "a size of 20 MiB + 4097 bytes is kept" $((20 * MiB + 4097)) "$(stat -c %s cut.bin)"
is "dedup 4 over 20 full blocks: 6 distinct" 6 "$(head -c $((20 * MiB)) cut.bin | block_hashes | sort -u | wc -l)"
is "the cut last block is the start of block 20 mod 6" \
    "$(tail -c +$((2 * MiB + 1)) cut.bin | head -c 4097 | sha256sum)" "$(tail -c 4097 cut.bin | sha256sum)"

# distinct seeds share no block (1 MiB blocks), nor any 4 KiB page
"$S3DLUA" datagen --size "${DSIZE}MiB" --seed 1 | block_hashes | sort -u >s1
"$S3DLUA" datagen --size "${DSIZE}MiB" --seed 2 | block_hashes | sort -u >s2
is "seed 1: every block unique" "$DSIZE" "$(wc -l <s1)"
is "seeds 1 and 2 share no 1 MiB block" 0 "$(comm -12 s1 s2 | wc -l)"
mkdir pages
for seed in 1 2; do
    for c in 1 8; do
        "$S3DLUA" datagen --size 4MiB --seed "$seed" --compress "$c" | split -b 4096 -a 4 - "pages/s$seed-c$c-"
    done
done
is "4 KiB pages of two seeds (compress 1 and 8): all 4096 differ" 4096 \
    "$(sha256sum pages/* | awk '{print $1}' | sort -u | wc -l)"

# dedup 4 and compress 2 together
"$S3DLUA" datagen --size "${DSIZE}MiB" --dedup 4 --compress 2 --seed 4 >dc.bin
is "dedup 4 + compress 2: ceil($DSIZE/4) distinct blocks" $((DSIZE / 4)) "$(block_hashes <dc.bin | sort -u | wc -l)"
r=$(ratio $((DSIZE * MiB)) "$(zstd -3 -q -c dc.bin | wc -c)")
if near "$r" 2 0.10; then pass "dedup 4 + compress 2: zstd -3 ratio $r is within 10% of 2"; else
    fail "dedup 4 + compress 2: zstd -3 ratio within 10% of 2" "ratio $r"; fi
# a window over the whole object sees the repeats too: about 4 x 2
r=$(ratio $((DSIZE * MiB)) "$(zstd -3 -q --long=27 -c dc.bin | wc -c)")
if near "$r" 8 0.10; then pass "dedup 4 + compress 2: zstd --long ratio $r is within 10% of 8"; else
    fail "dedup 4 + compress 2: zstd --long ratio within 10% of 8" "ratio $r"; fi

# --- determinism
SZ=$((9 * MiB + 3))
GEN=(--size "$SZ" --dedup 2 --compress 3 --seed 77)
h1=$("$S3DLUA" datagen "${GEN[@]}" | sha256sum)
h2=$("$S3DLUA" datagen "${GEN[@]}" | sha256sum)
is "the same options give the same bytes in two runs" "$h1" "$h2"
s datagen "${GEN[@]}" -o out.bin
is "datagen -o FILE exits 0" 0 "$rc"
is "-o FILE has the size" "$SZ" "$(stat -c %s out.bin)"
is "-o FILE == stdout" "$h1" "$(sha256sum <out.bin)"
s datagen "${GEN[@]}" -o "$U/sub/out2.bin"
is "datagen -o file:// exits 0" 0 "$rc"
is "-o file:// == stdout" "$h1" "$(sha256sum <sub/out2.bin)"
is "datagen to stdout has the size" "$SZ" "$("$S3DLUA" datagen "${GEN[@]}" | wc -c)"
s -e "local st = s3d.open('$U/') local b = st:get('out.bin')
      print(s3d.datagen.verify(b, { size = $SZ, dedup = 2, compress = 3, seed = 77 }, 0))"
is "the datagen output verifies with s3d.datagen.verify and the same options" "true" "$out"
hb=$("$S3DLUA" datagen "${GEN[@]}" --block 64KiB | tee blk.bin | sha256sum)
lacks "--block 64KiB changes the bytes" "$h1" "$hb"
is "--block 64KiB keeps the size" "$SZ" "$(stat -c %s blk.bin)"
is "--block 64KiB dedups by 64 KiB blocks: ceil(145/2) = 73 distinct among the 144 full ones" 73 \
    "$(split -b 65536 --filter='sha256sum' - <blk.bin | head -n 144 | sort -u | wc -l)"
lacks "another seed changes the bytes" "$h1" "$("$S3DLUA" datagen --size "$SZ" --dedup 2 --compress 3 --seed 78 | sha256sum)"
is "--seed 0x4d == --seed 77" "$h1" "$("$S3DLUA" datagen --size "$SZ" --dedup 2 --compress 3 --seed 0x4d | sha256sum)"
# The bytes are a pure function of the options on every machine and in every
# version: data written earlier must still verify. Change these digests only
# with a deliberate change of the format.
is "the format is stable (1 MiB of seed 0)" \
    d6d2752be6f3eceede84d0c2765428424e55a1b9ec83cc29fb4eeee6140f294e \
    "$("$S3DLUA" datagen --size 1MiB | sha256sum | cut -c1-64)"

# --- put URI --num N --size S
names() { for ((i = 0; i < $2; i++)); do printf "$1\n" "$i" "$2"; done | sort; }
s put "$U/p1/" --num 20 --size 3MiB -j 4 -q
is "put --num 20 exits 0" 0 "$rc"
is "put --num 20: the names, from index 0, then N" "$(names 'obj_%s_of_%s.dat' 20)" "$(ls p1 | sort)"
is "put --num 20: every object is 3 MiB" "3145728" "$(stat -c %s p1/* | sort -u)"
is "the format is stable (put --num: object 1 of seed 0)" \
    388cb64815ac5321e9f411557345bff85281d9af1da0beb8018e57f47ae33064 "$(sha256sum <p1/obj_1_of_20.dat | cut -c1-64)"
is "put --num 20: the objects all differ" 20 "$(sha256sum p1/* | awk '{print $1}' | sort -u | wc -l)"
is "put --num 20: no 1 MiB block is shared" 60 "$(cat p1/* | block_hashes | sort -u | wc -l)"
s run verify.lua "$U/p1/" 'obj_{}_of_{}.dat' 20 3MiB 0
is "put --num: object i is the generator of seed 0, index i" "all verified" "$out"
s put "$U/p2/" --num 20 --size 3MiB -j 4 -q
is "put --num again exits 0" 0 "$rc"
is "put --num is reproducible (same seed, same files)" "$(dir_hashes p1)" "$(dir_hashes p2)"
s put "$U/p3/" --num 20 --size 3MiB -j 4 -q --seed 5
is "put --num --seed 5 exits 0" 0 "$rc"
is "--seed 5 shares no object with seed 0" 0 \
    "$(comm -12 <(sha256sum p1/* | awk '{print $1}' | sort) <(sha256sum p3/* | awk '{print $1}' | sort) | wc -l)"
s run verify.lua "$U/p3/" 'obj_{}_of_{}.dat' 20 3MiB 5
is "put --num --seed 5: object i is the generator of seed 5, index i" "all verified" "$out"
s put "$U/p4" --num 20 --size 3MiB -j 4 -q --template 'shard-{}-of-{}.bin'
is "put --num --template exits 0" 0 "$rc"
is "--template: the names" "$(names 'shard-%s-of-%s.bin' 20)" "$(ls p4 | sort)"
same=0
for ((i = 0; i < 20; i++)); do cmp -s "p1/obj_${i}_of_20.dat" "p4/shard-$i-of-20.bin" && same=$((same + 1)); done
is "--template: object i has the data of index i" 20 "$same"

# above the 4 MiB single-PUT size: streamed
s put "$U/big/" --num 3 --size 9MiB -q
is "put --num 3 --size 9MiB exits 0" 0 "$rc"
is "9 MiB objects: the names" "$(names 'obj_%s_of_%s.dat' 3)" "$(ls big | sort)"
is "9 MiB objects: the sizes" "9437184" "$(stat -c %s big/* | sort -u)"
is "9 MiB objects: all differ" 3 "$(sha256sum big/* | awk '{print $1}' | sort -u | wc -l)"
s run verify.lua "$U/big/" 'obj_{}_of_{}.dat' 3 9MiB 0
is "9 MiB objects verify" "all verified" "$out"
s put "$U/dd/" --num 2 --size 8MiB --dedup 4 --compress 2 --seed 9 -q
is "put --num --dedup 4 --compress 2 exits 0" 0 "$rc"
s run verify.lua "$U/dd/" 'obj_{}_of_{}.dat' 2 8MiB 9 4 2
is "put --num with dedup and compress: the objects verify" "all verified" "$out"
is "put --num --dedup 4: 2 distinct 1 MiB blocks per object" "2 2" \
    "$(for f in dd/*; do block_hashes <"$f" | sort -u | wc -l; done | xargs)"

# several OS threads: every object made exactly once
s -v --threads 2 put "$U/p5/" --num 20 --size 3MiB -j 4 -q
is "--threads 2 put --num exits 0" 0 "$rc"
is "--threads 2: the names" "$(names 'obj_%s_of_%s.dat' 20)" "$(ls p5 | sort)"
puts=$(grep -o "put generated -> [^:]*:[^:]*" <<<"$err" | sort)
is "--threads 2: 20 objects put" 20 "$(wc -l <<<"$puts")"
is "--threads 2: no object put twice" "" "$(uniq -d <<<"$puts")"
has "--threads 2: thread 1 put objects" "s3dlua[1] info: put generated" "$err"
has "--threads 2: thread 2 put objects" "s3dlua[2] info: put generated" "$err"
is "--threads 2: the same files as one thread" "$(dir_hashes p1)" "$(dir_hashes p5)"

# null:// takes generated objects too
s put null:// --num 5 --size 5MiB -q
is "put --num to null:// exits 0" 0 "$rc"

# --- errors: exit status 2 and a message
s datagen
is "datagen without --size exits 2" 2 "$rc"
has "datagen without --size says so" "--size is needed" "$err"
s datagen --size 1MiB --compress 0
is "datagen --compress 0 exits 2" 2 "$rc"
has "datagen --compress 0 says so" "compress must be a whole number" "$err"
s datagen --size 1MiB --dedup x
is "datagen --dedup x exits 2" 2 "$rc"
has "datagen --dedup x says so" "--dedup x: a number" "$err"
s datagen --size 1MiB --dedup 0
is "datagen --dedup 0 exits 2" 2 "$rc"
has "datagen --dedup 0 says so" "dedup must be" "$err"
s datagen --size 1MiB --block 5000
is "datagen --block 5000 exits 2" 2 "$rc"
has "datagen --block 5000 says so" "a multiple of 4 KiB" "$err"
s datagen --size 1MiB --seed -1
is "datagen --seed -1 exits 2" 2 "$rc"
has "datagen --seed -1 says so" "seed" "$err"
s datagen --size 1MiB --seed 12x
is "datagen --seed 12x exits 2" 2 "$rc"
has "datagen --seed 12x says so" "'12x' is not a decimal number" "$err"
s datagen --size 1MiB --seed ' -1'
is "datagen --seed ' -1' exits 2" 2 "$rc"
"$S3DLUA" datagen --size 64KiB --seed 010 >s010.bin
"$S3DLUA" datagen --size 64KiB --seed 10 >s10.bin
cmp -s s010.bin s10.bin && pass "--seed 010 is decimal 10, not octal" || fail "--seed 010 is decimal 10, not octal"
rm -f s010.bin s10.bin
is "datagen --size 0 writes nothing" 0 "$("$S3DLUA" datagen --size 0 | wc -c)"
s put "$U/empty0/" --num 2 --size 0
is "put --num 2 --size 0 exits 0" 0 "$rc"
is "put --num 2 --size 0 makes 2 empty objects" "0 0" "$(stat -c %s empty0/obj_0_of_2.dat empty0/obj_1_of_2.dat | tr '\n' ' ' | sed 's/ $//')"
s datagen --size lots
is "datagen --size lots exits 2" 2 "$rc"
has "datagen --size lots says so" "bad size" "$err"
s datagen --size 1MiB extra
is "datagen with a positional argument exits 2" 2 "$rc"
s datagen --size 1MiB --frob 1
is "datagen with an unknown option exits 2" 2 "$rc"
has "the unknown option is named" "unknown option --frob" "$err"
s put "$U/e1/" --num 3
is "put --num without --size exits 2" 2 "$rc"
has "put --num without --size says so" "--size is needed" "$err"
s put "$U/e2/" --num 3 --size 1MiB --compress 0
is "put --num --compress 0 exits 2" 2 "$rc"
has "put --num --compress 0 says so" "compress must be" "$err"
s put "$U/e3/" --num 3 --size 1MiB --dedup x
is "put --num --dedup x exits 2" 2 "$rc"
has "put --num --dedup x says so" "--dedup x: a number" "$err"
s put "$U/e4/" --num 0 --size 1MiB
is "put --num 0 exits 2" 2 "$rc"
has "put --num 0 says so" "--num 0: a whole number >= 1" "$err"
s put "$U/e5/" --num 2.5 --size 1MiB
is "put --num 2.5 exits 2" 2 "$rc"
s put "$U/e6/" "$U/e7/" --num 2 --size 1MiB
is "put --num with two URIs exits 2" 2 "$rc"
is "failed put --num commands wrote nothing" "" "$(ls -d e[0-9]* 2>/dev/null)"

# stdout closed early (| head): an error, not death by SIGPIPE
"$S3DLUA" datagen --size 256MiB 2>pipe.err | head -c 10 >/dev/null
is "datagen | head -c 10: exit 1 (not killed by SIGPIPE)" 1 "${PIPESTATUS[0]}"
has "datagen | head -c 10: says the pipe broke" "Broken pipe" "$(cat pipe.err)"

finish
