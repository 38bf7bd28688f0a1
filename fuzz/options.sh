#!/bin/sh
# Prints a fuzz target's options from fuzz/options/NAME.options (the OSS-Fuzz .options format,
# which .clusterfuzzlite/build.sh ships beside each target) for the Makefile's fuzz recipes:
#   fuzz/options.sh NAME libfuzzer   ->  -max_len=512 ...   (flags)
#   fuzz/options.sh NAME asan        ->  quarantine_size_mb=32:...   (an ASAN_OPTIONS value)
# Nothing when the file or the section is missing.
file="$(dirname "$0")/options/$1.options"
[ -f "$file" ] || exit 0
awk -v section="[$2]" -v flags="$([ "$2" = libfuzzer ] && echo 1)" '
  /^[ \t]*[#;]/ { next }
  /^[ \t]*\[/ { on = ($1 == section); next }
  on && /=/ {
    key = $0; sub(/[ \t]*=.*/, "", key); gsub(/^[ \t]+/, "", key)
    val = $0; sub(/^[^=]*=[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
    if (flags) printf "%s-%s=%s", sep, key, val; else printf "%s%s=%s", sep, key, val
    sep = flags ? " " : ":"
  }
  END { if (sep != "") print "" }' "$file"
