# t/cdb-lib.sh: read a cdb file straight from its format, not through
# our library (bash).
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/cdb-lib.sh"
#   cdbget CDB KEY    # the value of KEY, NULs shown as '|'; exit 1 when not found
cdbget() {
  $PY - "$1" "$2" <<'EOF_PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
key = sys.argv[2].encode()
h = 5381
for c in key:
    h = (((h << 5) + h) ^ c) & 0xffffffff
pos, slots = struct.unpack_from("<II", data, (h & 255) * 8)
for i in range(slots):
    hh, rec = struct.unpack_from("<II", data, pos + (((h >> 8) + i) % slots) * 8)
    if rec == 0:
        break
    klen, dlen = struct.unpack_from("<II", data, rec)
    if hh == h and data[rec + 8:rec + 8 + klen] == key:
        print(data[rec + 8 + klen:rec + 8 + klen + dlen].decode().replace("\0", "|"))
        sys.exit(0)
sys.exit(1)
EOF_PY
}
