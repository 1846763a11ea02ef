#pragma once
/// @file
/// tg::Error is what every user mistake becomes: a message that names the op, the shapes or dtypes
/// involved and what was expected, so a person can act on it without a debugger.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace tg {

/// The exception tapegrad throws for every user mistake (a bad shape, dtype, argument or file).
class Error : public std::runtime_error {
 public:
  /// An error with this message.
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// Throws tg::Error with a fmt-formatted message.
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace tg

/// Cheap check: the message is only formatted when the condition fails. Throws tg::Error with the
/// fmt-formatted message (the arguments after `cond`) when `cond` is false.
#define TG_CHECK(cond, ...)               \
  do {                                    \
    if (!(cond)) ::tg::fail(__VA_ARGS__); \
  } while (0)
