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

# The same clip at 4 s and 8 s: what a provider asked for those lengths answers (the tests' fake providers).
for seconds in 4 8; do
  ff -f lavfi -i "testsrc=size=160x120:rate=10:duration=$seconds" \
     -f lavfi -i "sine=frequency=440:sample_rate=22050:duration=$seconds" \
     -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 32k -shortest \
     -fflags +bitexact -map_metadata -1 "$out/clip-${seconds}s.mp4"
done

# A still image.
ff -f lavfi -i "testsrc=size=64x48:rate=1:duration=1" -frames:v 1 "$out/image.png"

# --- Deliberately broken or suspicious files, one per failure mode validation must name. ---

# Zero length.
: > "$out/empty.mp3"

# An HTML error page saved under a media name (what a failed download leaves behind).
cat > "$out/error-page.mp3" <<'HTML'
<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>
HTML


# A 4 s video with its index at the front, cut at 60 %: the header announces more than there is.
ff -f lavfi -i "testsrc=size=160x120:rate=10:duration=4" \
   -c:v libx264 -preset veryfast -pix_fmt yuv420p -movflags +faststart \
   -fflags +bitexact -map_metadata -1 "$work/long.mp4"
size=$(stat -c %s "$work/long.mp4")
head -c $((size * 6 / 10)) "$work/long.mp4" > "$out/truncated.mp4"

# A WAV whose header announces 2 s but whose data stops after 1 s.
ff -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=2" -c:a pcm_s16le "$work/tone.wav"
head -c $((44 + 8000 * 2)) "$work/tone.wav" > "$out/truncated.wav"

# A whole WAV file under an .mp3 name: the container does not match the extension.
cp "$work/tone.wav" "$out/mismatch.mp3"

# An MP4 whose video packets were overwritten with noise in the middle: decode errors to count.
cp "$work/long.mp4" "$work/corrupt.mp4"
size=$(stat -c %s "$work/corrupt.mp4")
LC_ALL=C awk 'BEGIN { srand(7); for (i = 0; i < 6000; i++) printf "%c", int(rand() * 256) }' > "$work/noise"
dd if="$work/noise" of="$work/corrupt.mp4" bs=1 seek=$((size / 2)) conv=notrunc status=none
mv "$work/corrupt.mp4" "$out/corrupt.mp4"

# A PNG whose header declares 100000x100000 pixels (a decompression bomb): a real 1x1 PNG with
# its IHDR size and checksum rewritten.
ff -f lavfi -i "color=c=white:size=16x16" -frames:v 1 "$work/small.png"
python3 - "$work/small.png" "$out/bomb.png" <<'PY'
import struct, sys, zlib
data = bytearray(open(sys.argv[1], 'rb').read())
ihdr = data[12:29]
ihdr[4:12] = struct.pack('>II', 100000, 100000)
data[12:29] = ihdr
data[29:33] = struct.pack('>I', zlib.crc32(bytes(ihdr)) & 0xffffffff)
open(sys.argv[2], 'wb').write(data)
PY

# The same bomb as a JPEG (a 16x16 picture whose frame header declares 60000x60000) and as a lossy
# WebP (its VP8 key frame declares 16383x16383): the sizes are read from the headers, never decoded.
ff -f lavfi -i "testsrc=size=16x16" -frames:v 1 -c:v mjpeg "$work/small.jpg"
ff -f lavfi -i "testsrc=size=16x16" -frames:v 1 -c:v libwebp -lossless 0 "$work/small.webp"
python3 - "$work/small.jpg" "$out/bomb.jpg" "$work/small.webp" "$out/bomb.webp" <<'PY'
import struct, sys
jpeg = bytearray(open(sys.argv[1], 'rb').read())
offset = 2
while jpeg[offset + 1] not in (0xc0, 0xc1, 0xc2):
    offset += 2 + struct.unpack('>H', jpeg[offset + 2:offset + 4])[0]
jpeg[offset + 5:offset + 9] = struct.pack('>HH', 60000, 60000)
open(sys.argv[2], 'wb').write(jpeg)
webp = bytearray(open(sys.argv[3], 'rb').read())
assert webp[12:16] == b'VP8 ' and webp[23:26] == bytes([0x9d, 0x01, 0x2a])
webp[26:30] = struct.pack('<HH', 16383, 16383)
open(sys.argv[4], 'wb').write(webp)
PY

# An MP3 cut in the middle of a frame, as a dropped download leaves it (the demuxer reads to the
# end without complaint): the first 40000 bytes of speech.mp3, which is not a frame boundary.
head -c 40000 "$out/speech.mp3" > "$out/cut.mp3"

# Silence from end to end (2 s).
ff -f lavfi -i "anullsrc=sample_rate=16000:channel_layout=mono:duration=2" -c:a pcm_s16le "$out/silent.wav"

# Black from end to end (2 s), and a frozen picture (one frame of colour bars held for 2 s).
ff -f lavfi -i "color=c=black:size=160x120:rate=10:duration=2" \
   -c:v libx264 -preset veryfast -pix_fmt yuv420p -fflags +bitexact -map_metadata -1 "$out/black.mp4"
ff -f lavfi -i "testsrc=size=160x120:rate=10:duration=2" -vf "trim=end_frame=1,loop=loop=19:size=1:start=0,setpts=N/10/TB" \
   -c:v libx264 -preset veryfast -pix_fmt yuv420p -fflags +bitexact -map_metadata -1 "$out/frozen.mp4"

# One flat colour.
ff -f lavfi -i "color=c=0x3366cc:size=64x48" -frames:v 1 "$out/flat.png"

ls -l "$out"
