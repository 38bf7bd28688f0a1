// Writing what bpstress produces — the JSON report, the HTML page, stdout — so that a write that
// fails is never mistaken for one that succeeded, and a path that names something other than a
// file is never replaced by one.
//
// What a path names decides how it is written:
//   a regular file, or nothing yet   atomically: a temporary file in the same directory, fsync,
//                                    rename. A reader never sees half a report. A symbolic link
//                                    to a regular file keeps the link: its target is replaced.
//   "-", or this process's stdout    through stdout (or stderr), in order with what the command
//   or stderr by another name        printed before: `--report /dev/stdout` appends to it.
//   a character device or a FIFO     in place (open, write, close), never replaced: /dev/null
//                                    stays a device, /dev/full fails with ENOSPC, a FIFO's
//                                    reader gets the text.
//   a directory, socket, block       refused with one line, before anything is written.
//   device, dangling link
//
// Thread safety: none needed (the commands call these from their one main thread).
#pragma once

#include <string>
#include <string_view>

namespace bp {

// Checks up front, before a run spends its time, that `path` can be written as above: an
// existing file or device is writable, a new file's directory exists and takes a new file.
// On failure returns false with a one-line reason (without the option's name).
bool CheckOutputPath(const std::string& path, std::string* error);

// Writes `text` to `path` as above. On failure (open, write, fsync, close or rename; ENOSPC
// included) returns false with a one-line reason and leaves an existing regular file as it was.
bool WriteOutput(const std::string& path, std::string_view text, std::string* error);

// Flushes stdout and says whether everything written to it since the start reached the file,
// pipe or device it names (a full disk, /dev/full, a closed pipe fail here). On failure returns
// false with a one-line reason. Every command's output is checked with it before its exit code.
bool FlushStdout(std::string* error);

}  // namespace bp
