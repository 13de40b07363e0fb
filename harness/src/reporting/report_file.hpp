// Writing a report file safely. A report replaces what is at its path only
// when that is a regular file (or nothing): a device node, a FIFO, a
// symlink or a directory is refused, never replaced. The text goes to a
// temporary file in the target's own directory, renamed over the target,
// so a reader never sees half a report and nothing is left beside it.
#pragma once

#include <string>

namespace loopcert {

/// Checks, before a run, that a report can later be written to `path`: it
/// is a regular file or absent, and its directory takes a new file. Throws
/// std::runtime_error saying why not.
void check_report_path(const std::string& path);

/// Writes `text` to `path` as described above; throws std::runtime_error.
void write_report_file(const std::string& path, const std::string& text);

/// Whether two report paths name the same file (even spelled differently).
bool same_report_path(const std::string& a, const std::string& b);

}  // namespace loopcert
