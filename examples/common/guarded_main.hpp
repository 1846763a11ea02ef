#pragma once
// main() for the example programs: runs `run` and turns an exception (a tg::Error says what was
// wrong and what was expected) into "PROGRAM: message" on stderr and exit status 1, instead of
// an abort.
#include <exception>

#include <fmt/format.h>

namespace tg::examples {

template <class F>
int guarded_main(const char* program, F&& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return 1;
  }
}

}  // namespace tg::examples
