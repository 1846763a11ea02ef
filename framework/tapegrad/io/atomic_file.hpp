#pragma once
// Writes a whole file atomically: a temporary file beside it (unique per process and call,
// created with O_EXCL), fsync, rename over the target, fsync of the directory. A crash or an
// error leaves either the old file or the new one, never a mix; the temporary is removed on error.
#include <string>
#include <string_view>

namespace tg::io {

// `who` prefixes error messages ("profiler", "run log").
void write_file_atomic(const std::string& path, std::string_view bytes, std::string_view who);

// The system's message for an errno value ("No such file or directory").
std::string errno_text(int e);

}  // namespace tg::io
