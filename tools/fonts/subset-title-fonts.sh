#!/bin/sh
# Remakes the bundled fonts in assets/fonts/ from Debian's fonts-nanum (SIL OFL 1.1): the
# title fonts, of which the sans also sets the contact sheets' labels.
#
#   apt-get install fonts-nanum && pip install fonttools && tools/fonts/subset-title-fonts.sh
#
# The sans keeps every precomposed Hangul syllable (U+AC00-D7A3: 11,172; 1.5 MB); the serif,
# whose glyphs are heavier (1.9 MB for all), keeps the 2,350 syllables of KS X 1001 (the ones
# EUC-KR can encode, which covers ordinary Korean text; 1.2 MB). Both keep printable ASCII,
# the punctuation titles use (middle dot, curly quotes, ellipsis, dashes, CJK brackets) and
# KS X 1001's 987 symbols (㎡, ℃, ①, ※, ○, …), and drop hinting: ab_glyph, which draws
# them, ignores hints. No Hanja: `compare --font` takes a font that has them. Deterministic.
set -eu
SRC=${NANUM_DIR:-/usr/share/fonts/truetype/nanum}
OUT=$(dirname "$0")/../../assets/fonts
PYFTSUBSET=${PYFTSUBSET:-pyftsubset}
PYTHON=${PYTHON:-python3}
COMMON="U+0020-007E,U+00A0,U+00B7,U+2018,U+2019,U+201C,U+201D,U+2026,U+2013,U+2014,U+2027,U+3001,U+3002,U+300C-300F,U+3008-300B"
# KS X 1001's symbols, Latin, Greek, Cyrillic, kana, jamo, box drawing, units (㎡), circled
# numbers (①) and full-width forms: every two-byte EUC-KR character that is neither a Hangul
# syllable nor a Hanja (987), which Korean report text and captions use as punctuation. The
# contact sheets set their labels (captions, style titles) in the sans too.
SYMBOLS=$("$PYTHON" -c '
ok = []
for hi in range(0xA1, 0xFF):
    for lo in range(0xA1, 0xFF):
        try:
            c = bytes([hi, lo]).decode("euc_kr")
        except UnicodeDecodeError:
            continue
        o = ord(c)
        if len(c) == 1 and not (0xAC00 <= o <= 0xD7A3 or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF):
            ok.append("U+%04X" % o)
assert len(ok) == 987, len(ok)
print(",".join(ok))')
KSX1001=$("$PYTHON" -c '
import sys
ok = []
for c in range(0xAC00, 0xD7A4):
    try:
        # Two bytes: a KS X 1001 code. (Python also writes the other syllables as 8-byte
        # jamo sequences, which are not in the table.)
        if len(chr(c).encode("euc_kr")) == 2:
            ok.append("U+%04X" % c)
    except UnicodeEncodeError:
        pass
assert len(ok) == 2350, len(ok)
print(",".join(ok))')
for triple in "NanumGothicBold:TitleSans:U+AC00-D7A3" "NanumMyeongjoBold:TitleSerif:$KSX1001"; do
    in=${triple%%:*}; rest=${triple#*:}; out=${rest%%:*}; hangul=${rest#*:}
    "$PYFTSUBSET" "$SRC/$in.ttf" --unicodes="$COMMON,$SYMBOLS,$hangul" --no-hinting --desubroutinize \
        --layout-features='*' --name-IDs='*' --name-legacy --name-languages='*' \
        --output-file="$OUT/$out.ttf"
    # "Nanum", "NanumGothic" and "NanumMyeongjo" are Reserved Font Names under the OFL, and a
    # subset is a Modified Version: it must not carry them. The names become reportfig's own;
    # the copyright notice (name ID 0) and licence (13, 14) stay as NAVER wrote them.
    "$PYTHON" - "$OUT/$out.ttf" "$out" <<'PY'
import sys
from fontTools.ttLib import TTFont
path, family = sys.argv[1], "Reportfig " + sys.argv[2]
font = TTFont(path, recalcTimestamp=False)
# Fixed timestamps, so the same inputs give the same bytes.
font["head"].modified = font["head"].created
names = font["name"]
for rec in list(names.names):
    if rec.nameID in (1, 3, 4, 6, 16, 17, 18, 21, 22):
        names.removeNames(nameID=rec.nameID)
names.setName(family, 1, 3, 1, 0x409)
names.setName("Bold", 2, 3, 1, 0x409)
names.setName(family + " (subset of NAVER Nanum, SIL OFL 1.1)", 3, 3, 1, 0x409)
names.setName(family, 4, 3, 1, 0x409)
names.setName(family.replace(" ", "-"), 6, 3, 1, 0x409)
font.save(path)
PY
done
ls -l "$OUT"/Title*.ttf
