#!/usr/bin/env bash
# Makes the small media files in Samples/ that tests, docs and demos use.
# Uses the `ffmpeg` program (apt install ffmpeg); the product itself never runs it.
# Deterministic: running it again gives the same files (ffmpeg version permitting).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/Samples"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

# Speech: flite's slt voice (16 kHz), mono s16 WAV, about 6 s.
cat > "$work/speech.txt" <<'TEXT'
MediaJobs turns media requests into validated files. This recording was made by the project itself.
TEXT
ff -f lavfi -i "flite=textfile=$work/speech.txt:voice=slt" \
   -ar 16000 -ac 1 -c:a pcm_s16le -fflags +bitexact -flags:a +bitexact "$out/speech.wav"

# The same speech as a valid MP3 (a transcode input and the base of corrupt.mp3).
ff -i "$out/speech.wav" -c:a libmp3lame -b:a 64k -write_xing 0 -id3v2_version 0 \
   -fflags +bitexact "$out/speech.mp3"

# A corrupt MP3: the first 4 KiB of a real one (valid frame headers), then 24 KiB
# of pseudo-random bytes. Decoders meet invalid frames and report errors.
head -c 4096 "$out/speech.mp3" > "$out/corrupt.mp3"
LC_ALL=C awk 'BEGIN { srand(20240611); for (i = 0; i < 24576; i++) printf "%c", int(rand() * 256) }' \
   >> "$out/corrupt.mp3"

# Plain text, which is not media.
cat > "$out/notes.txt" <<'TEXT'
These are notes, not media. MediaJobs must refuse this file when it expects audio, video or an image.
TEXT

# A 2 s video with sound (H.264 + AAC in MP4), 160x120 at 10 fps.
ff -f lavfi -i "testsrc=size=160x120:rate=10:duration=2" \
   -f lavfi -i "sine=frequency=440:sample_rate=22050:duration=2" \
   -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 32k -shortest \
   -fflags +bitexact -map_metadata -1 "$out/clip.mp4"

# A still image.
ff -f lavfi -i "testsrc=size=64x48:rate=1:duration=1" -frames:v 1 "$out/image.png"

ls -l "$out"
