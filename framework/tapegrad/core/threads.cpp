#include "tapegrad/core/threads.hpp"

#include "tapegrad/kernels/parallel.hpp"

namespace tg {

int get_num_threads() { return kernels::num_threads(); }
void set_num_threads(int n) { kernels::set_num_threads(n); }

}  // namespace tg
