#!/bin/sh
# Listen to and look at a speech grid: for each unit of a `rnnlab reproduce` grid on speech
# data, a sample of its best model (the run of lowest validation NLL among the unit's search
# trials and seed runs) as a WAV with its spectrogram, and the spectrogram of as long a stretch
# of the data (test recordings in manifest order, joined, cut to the same length) to compare.
#
# usage: scripts/speech_listen.sh GRID [DEST]      (DEST defaults to docs/results)
#   writes DEST/<tag>-<unit>-sample.wav and .png for each speech group GRID/<tag>-<unit>/, and
#   DEST/<tag>-data.png (the data's WAV is not kept: the data sets stay out of the repository).
# Environment: RNNLAB (the tool, default build/rnnlab), SECONDS_LONG (2), SEED (1), DATA (the
# data set directory, default the best run's summary.json "data_path", which is relative to
# the directory the grid ran in: run this from there, normally the repository root).
# Needs sox. Exit status: 0 done, 2 usage, 3 no speech group or no data, 4 a tool failed.
set -u
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/speech_listen.sh GRID [DEST]" >&2; exit 2; }
GRID=$1
DEST=${2:-docs/results}
RNNLAB=${RNNLAB:-build/rnnlab}
LEN=${SECONDS_LONG:-2}
SEED=${SEED:-1}
[ -d "$GRID" ] || { echo "speech_listen: $GRID is not a grid directory (rnnlab reproduce --out)" >&2; exit 2; }
[ -x "$RNNLAB" ] || { echo "speech_listen: $RNNLAB missing: run make first, or set RNNLAB" >&2; exit 4; }
command -v sox >/dev/null 2>&1 || { echo "speech_listen: sox not found (apt-get install sox)" >&2; exit 4; }
mkdir -p "$DEST" || exit 4
tmp=$(mktemp -d) || exit 4
trap 'rm -rf "$tmp"' EXIT

# A number field of a summary.json (one "key": value per line, as rnnlab writes them).
field() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"; }

spectrogram() {   # WAV PNG TITLE: sox's spectrogram, written atomically
    sox "$1" -n spectrogram -t "$3" -o "$tmp/s.png" || { echo "speech_listen: sox spectrogram of $1 failed" >&2; exit 4; }
    mv "$tmp/s.png" "$2" || exit 4
}

groups=0
data_tag=
for g in "$GRID"/*-tanh "$GRID"/*-gru "$GRID"/*-lstm; do
    [ -d "$g" ] || continue
    best= bestv=
    for s in "$g"/trial-*/summary.json "$g"/seed-*/summary.json; do
        [ -f "$s" ] && [ "$(field "$s" status)" = ok ] && [ "$(field "$s" head)" = mog ] || continue
        v=$(field "$s" valid_nll)
        if [ -z "$best" ] || awk -v a="$v" -v b="$bestv" 'BEGIN { exit !(a < b) }'; then best=$s bestv=$v; fi
    done
    [ -n "$best" ] || continue
    name=$(basename "$g")
    run=$(dirname "$best")
    "$RNNLAB" sample --model "$run/model.safetensors" --seconds "$LEN" --seed "$SEED" --out "$DEST/$name-sample.wav" \
        >/dev/null || { echo "speech_listen: rnnlab sample of $run failed" >&2; exit 4; }
    spectrogram "$DEST/$name-sample.wav" "$DEST/$name-sample.png" \
        "$name: $LEN s sampled from $(basename "$run") (valid NLL $bestv), seed $SEED"
    echo "$name: $run/model.safetensors (valid NLL $bestv) -> $DEST/$name-sample.wav, $DEST/$name-sample.png"
    groups=$((groups + 1))
    data_tag=${name%-*} data_best=$best
done
[ $groups -gt 0 ] || { echo "speech_listen: no finished speech run under $GRID/<tag>-<unit>/" >&2; exit 3; }

# The data: the test split's recordings in manifest order (the split scheme the runs used),
# joined until LEN seconds, cut to LEN.
data=${DATA:-$(field "$data_best" data_path)}
scheme=$(sed -n 's/.*"split_scheme": "\([a-z]*\)".*/\1/p' "$data_best")
[ -f "$data/manifest.tsv" ] || { echo "speech_listen: $data/manifest.tsv not found (run from where the grid ran, or set DATA)" >&2; exit 3; }
awk -F '\t' -v col="split_by_${scheme:-index}" -v len="$LEN" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == col) c = i; if ($i == "file") f = i; if ($i == "samples") n = i } next }
    c && $c == "test" && total < len * 8000 { print $f; total += $n }' "$data/manifest.tsv" > "$tmp/files"
[ -s "$tmp/files" ] || { echo "speech_listen: no test recording in $data/manifest.tsv" >&2; exit 3; }
set --
while read -r f; do set -- "$@" "$data/recordings/$f"; done < "$tmp/files"
sox "$@" "$tmp/data.wav" trim 0 "$LEN" || { echo "speech_listen: sox could not join the recordings" >&2; exit 4; }
spectrogram "$tmp/data.wav" "$DEST/$data_tag-data.png" \
    "$data_tag data: the first $# test recordings ($scheme split) joined, $LEN s"
echo "$data_tag data: $# test recordings of $data -> $DEST/$data_tag-data.png"
