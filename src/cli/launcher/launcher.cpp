// `xcodec`: sets the OpenMP wait policy, then runs the real program, xcodec-main, from the same
// folder. libgomp reads OMP_WAIT_POLICY once, when it is loaded, and the inference commands
// want it passive (xcodec/core/openmp_wait.h). This launcher links no LibTorch, so setting it
// here costs a millisecond; the program re-executing itself costs a second LibTorch start-up
// (~0.3 s).
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/inference_commands.h"

int main(int argc, char** argv) {
  if (xcodec::cli::is_inference_command(argc, argv) && std::getenv("OMP_WAIT_POLICY") == nullptr &&
      std::getenv("GOMP_SPINCOUNT") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", 0);
  }
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::fprintf(stderr, "xcodec: cannot locate this program (/proc/self/exe): %s\n",
                 std::strerror(errno));
    return 127;
  }
  self[n] = '\0';
  std::string program(self);
  program = program.substr(0, program.rfind('/') + 1) + "xcodec-main";
  execv(program.c_str(), argv);
  std::fprintf(stderr, "xcodec: cannot run %s: %s\n", program.c_str(), std::strerror(errno));
  return 127;
}
